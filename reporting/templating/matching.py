"""Choose the template for an ordered procedure ("XR KNEE LEFT 3 VIEWS") and a modality code.

Each template's ``[match]`` table scores the procedure text; the highest score wins and
``generic`` is the fallback.  Scoring (documented in ``templates/README.md``):

- a template whose ``exclude`` pattern matches is out;
- one of its ``patterns`` (body part / procedure) or ``boost`` words must match: 10 points,
  plus 2 for every further distinct pattern that matches;
- its modality is named (a ``modality_patterns`` match or the DICOM modality code is one of
  ``modalities``): +8; another template's modality is named instead: -15;
- every distinct ``boost`` pattern that matches: +5;
- with no procedure words at all, a template listing the modality in ``default_for`` scores 1.

Ties go to the higher ``priority``, then to the longer matched text, then to the id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reporting.templating.spec import TemplateSpec

__all__ = ["MatchScore", "score_template", "rank_templates", "normalise_procedure", "GENERIC_ID"]

GENERIC_ID = "generic"

#: Modality codes that mean the same family (a radiograph is CR, DX or XR).
_FAMILIES: dict[str, str] = {"CR": "XR", "DX": "XR", "XR": "XR", "RG": "XR", "DR": "XR"}


def _family(code: str) -> str:
    code = code.strip().upper()
    return _FAMILIES.get(code, code)


def normalise_procedure(text: str) -> str:
    """Upper case, punctuation to spaces (keeping ``/`` splits), single spaces."""
    cleaned = re.sub(r"[^0-9A-Za-z]+", " ", text or "")
    return " ".join(cleaned.upper().split())


@dataclass(frozen=True, slots=True)
class MatchScore:
    template_id: str
    score: int
    matched_chars: int
    priority: int
    reasons: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[int, int, int, str]:
        # Higher is better for the first three; the id sorts ascending (negated by the caller).
        return (self.score, self.priority, self.matched_chars, self.template_id)


def _hits(patterns: Sequence[re.Pattern[str]], text: str) -> list[re.Match[str]]:
    found = []
    for pat in patterns:
        m = pat.search(text)
        if m is not None:
            found.append(m)
    return found


def _named_modalities(specs: Sequence[TemplateSpec], text: str) -> set[str]:
    """Modality families the procedure text names, judged by every template's patterns."""
    named: set[str] = set()
    for spec in specs:
        if _hits(spec.match.compiled["modality_patterns"], text):
            named.update(_family(m) for m in (spec.match.modalities or (spec.modality,)))
    return named


def score_template(
    spec: TemplateSpec, text: str, modality: str, named: set[str]
) -> MatchScore | None:
    """The score of ``spec`` for normalised procedure ``text``; None when it does not apply."""
    rule = spec.match
    comp = rule.compiled
    families = {_family(m) for m in (rule.modalities or (spec.modality,))}
    code = _family(modality) if modality else ""
    if text:
        if rule.any_body is not None and rule.any_body.search(text) is None:
            return None  # neither a body pattern nor a boost word: it cannot apply
        if _hits(comp["exclude"], text):
            return None
        body = _hits(comp["patterns"], text)
        boost = _hits(comp["boost"], text)
        if not body and not boost:
            return None
        reasons = [f"procedure {m.group(0)!r}" for m in body] + [
            f"specific {m.group(0)!r}" for m in boost
        ]
        score = 10 + 2 * max(0, len(body) - 1) + 5 * len(boost)
        own = _hits(comp["modality_patterns"], text)
        if own or (code and code in families):
            score += 8
            reasons.append("modality")
        elif (code and code not in families) or (named and not named & families):
            score -= 15
            reasons.append("other modality")
        chars = sum(len(m.group(0)) for m in (*body, *boost, *own))
        return MatchScore(spec.id, score, chars, rule.priority, tuple(reasons))
    if code and code in {_family(m) for m in rule.default_for}:
        return MatchScore(spec.id, 1, 0, rule.priority, (f"default for {code}",))
    return None


def rank_templates(
    specs: Sequence[TemplateSpec], procedure: str, modality: str
) -> list[MatchScore]:
    """Positive scores, best first."""
    text = normalise_procedure(procedure)
    candidates = [s for s in specs if s.id != GENERIC_ID]
    named = _named_modalities(candidates, text) if text else set()
    scores = [score_template(s, text, modality, named) for s in candidates]
    ranked = [s for s in scores if s is not None and s.score > 0]
    ranked.sort(key=lambda s: (-s.score, -s.priority, -s.matched_chars, s.template_id))
    return ranked

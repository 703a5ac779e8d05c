"""sex.mismatch: the sex stated in the text, pronouns, or sex-specific anatomy and procedures
contradict the patient's sex; or the template is for one sex only and the patient is the other.

The patient's sex comes from the record; when the record does not give it, a sex the text
states ("67-year-old woman") stands in, so "woman ... prostate" still conflicts.  A negated
mention still ties the report to a sex ("uterus surgically absent" is female); a mention about
someone else ("mother with ovarian cancer") does not.  Breast is not sex-specific.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reporting.model import Issue, Sex
from reporting.qa.context import Context, span
from reporting.qa.lexicon import sex_lexicon

__all__ = ["SexCheck"]

_AGE_NEAR = re.compile(r"(?:year[- ]old|yo|y/o|y\.o\.|patient|pt)\W*$", re.IGNORECASE)
_SKIP_SECTIONS = frozenset({"comparison"})
_KIND_WORDS = {
    "stated": "states",
    "pronouns": "uses the pronoun",
    "anatomy": "mentions",
    "procedures": "mentions",
}
_NAMES = {Sex.FEMALE: "female", Sex.MALE: "male"}


@dataclass(frozen=True, slots=True)
class _Hit:
    sex: Sex
    kind: str
    start: int
    end: int


class SexCheck:
    codes = ("sex.mismatch",)

    def run(self, ctx: Context) -> Iterator[Issue]:
        yield from self._template(ctx)
        hits = self._hits(ctx)
        if not hits:
            return
        expected = ctx.report.patient.sex
        source = "the patient's sex"
        support: _Hit | None = None
        if expected not in _NAMES:
            stated = {h.sex for h in hits if h.kind == "stated"}
            if len(stated) != 1:
                return
            expected = stated.pop()
            support = next(h for h in hits if h.kind == "stated")
            source = "the sex stated in the report"
        text = ctx.text
        for h in hits:
            if h.sex is expected:
                continue
            word = text[h.start : h.end]
            evidence = [span(text, h.start, h.end, f"{_NAMES[h.sex]} {h.kind}")]
            if support is not None:
                evidence.append(span(text, support.start, support.end, "stated sex"))
            yield ctx.issue(
                "sex.mismatch",
                f"The report {_KIND_WORDS[h.kind]} {word!r}, but {source} is {_NAMES[expected]}.",
                h.start,
                h.end,
                evidence=evidence,
                suggestion="Check that the report belongs to this patient and correct the "
                "text or the patient's sex.",
            )

    @staticmethod
    def _template(ctx: Context) -> Iterator[Issue]:
        spec = ctx.template
        sex = ctx.report.patient.sex
        if spec is None or spec.sex is None or sex not in _NAMES or sex.value == spec.sex:
            return
        yield ctx.issue(
            "sex.mismatch",
            f"The {spec.title} template is for {_NAMES[Sex(spec.sex)]} patients, but the "
            f"patient's sex is {_NAMES[sex]}.",
            0,
            0,
            suggestion="Check the patient's sex and the ordered procedure.",
        )

    @staticmethod
    def _hits(ctx: Context) -> list[_Hit]:
        lex = sex_lexicon()
        tokens = ctx.tokens
        found = lex.terms.find(tokens)
        if not found:
            return []
        blocked = {(h.first, h.last) for h in lex.not_sex_specific.find(tokens)}
        blocked_tokens = {i for a, b in blocked for i in range(a, b)}
        text = ctx.text
        hits: list[_Hit] = []
        for h in found:
            sex_code, kind = h.value
            if h.first in blocked_tokens or ctx.section_at(h.start) in _SKIP_SECTIONS:
                continue
            if kind == "pronouns":
                word = text[h.start : h.end]
                if word.isupper() and len(word) > 1:
                    continue  # "HE", "HIS" in capitals are abbreviations more often
            if kind in ("pronouns", "stated") and not _about_patient(ctx, h.start, kind):
                continue
            if kind in ("anatomy", "procedures"):
                a = ctx.assertion(h.start, h.end)
                if a.experiencer == "other" or a.hypothetical:
                    continue
            hits.append(_Hit(Sex(sex_code), kind, h.start, h.end))
        return hits


def _about_patient(ctx: Context, start: int, kind: str) -> bool:
    """False when the sentence may be about someone else (a doctor, a relative)."""
    if kind == "stated" and _AGE_NEAR.search(ctx.text[max(0, start - 20) : start]):
        return True
    s, e = ctx.sentence_at(start)
    lo, hi = ctx.token_range(s, e)
    return not sex_lexicon().other_person.any(ctx.tokens, lo, hi)

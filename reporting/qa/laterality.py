"""Laterality checks.

- ``laterality.order_mismatch``: on a lateral exam ordered for one side (record laterality, or
  the side in the procedure: "XR KNEE LEFT 3 VIEWS", "MRI RT SHOULDER"), the text names the
  other side.  Legitimate other-side mentions stay quiet: comparisons ("compared with the
  right"), "contralateral", prior history ("status post right TKA"), directions ("shift to the
  right"), both sides together, and the Comparison section.  Bilateral, midline and non-lateral
  exams (chest, abdomen, pelvis ...) never get it.
- ``laterality.findings_impression``: a finding (or an anatomy with the same findings) has one
  side in Impression while Findings give it only the opposite side.  A side Findings only hedge
  ("a mass on the right cannot be excluded") does not back a plainly stated Impression side, and
  history words ("previously seen", "known") do not excuse a flipped restatement.
- ``laterality.missing``: a lateral exam whose text never states a side.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reporting.model import Issue, Laterality, Span
from reporting.qa.context import SIDE_WORDS, Context, side_of, span
from reporting.qa.lexicon import rules_lexicon

__all__ = ["ExamSide", "exam_side", "OrderedSideCheck", "FindingsImpressionCheck"]

_PROC_SIDE = re.compile(
    r"(?<![A-Za-z])(?:(?P<left>left|lt)|(?P<right>right|rt)|(?P<bilateral>bilateral|bilat|both|b/l)"
    r")(?![A-Za-z])|(?<![\w-])(?:(?P<l>L)|(?P<r>R))(?![\w-])",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]]|\s-\s|\band\s+(?:the\s+)?(?:there|no)\b", re.IGNORECASE)
_COORDINATED = re.compile(r"(?:left|right)\s*(?:and|or|/|&)\s*$", re.IGNORECASE)
_SKIP_SECTIONS = frozenset({"comparison"})
_OPPOSITE = {"left": "right", "right": "left"}
_TIERS = {"finding": 2, "device": 2, "anatomy": 1, "phrase": 1, "group": 0}
_RESOLVED_BEFORE = re.compile(
    r"\b(?:cleared|resolved|resolution of|removed|removal of)\W+(?:\w+\W+)?$", re.I
)


@dataclass(frozen=True, slots=True)
class ExamSide:
    """Whether the exam is lateral, the ordered side, and where that came from."""

    lateral: bool
    ordered: str | None  # "left" | "right" | "bilateral" | None
    source: str  # what stated the side: "record", the procedure text, or ""


def _sides(desc: str) -> set[str]:
    found: set[str] = set()
    for m in _PROC_SIDE.finditer(desc):
        group = m.lastgroup or ""
        if group in ("l", "r") and not m.group(0).isupper():
            continue
        found.add({"l": "left", "r": "right"}.get(group, group))
    return found


def exam_side(ctx: Context) -> ExamSide:
    """Lateral or not, and the ordered side, from the record, procedure, template and exam line."""
    report = ctx.report
    desc = report.procedure.description.strip()
    if not desc:
        desc = " ".join(ctx.text[s:e] for s, e in ctx.section_spans("examination"))[:200]
    spec = ctx.template
    return _exam_side(
        desc,
        report.laterality.value,
        spec.id if spec is not None else "",
        bool(spec is not None and spec.lateral),
    )


@lru_cache(maxsize=4096)
def _exam_side(desc: str, laterality: str, template: str, template_lateral: bool) -> ExamSide:
    rules = rules_lexicon()
    sides = _sides(desc)
    ordered: str | None
    source = desc
    if laterality in (Laterality.LEFT, Laterality.RIGHT, Laterality.BILATERAL):
        ordered = laterality
        source = "record"
    elif "bilateral" in sides or len(sides) > 1:
        ordered = "bilateral"
    elif sides:
        ordered = sides.pop()
    else:
        ordered = None
    always = rules.lateral_parts.search(desc) is not None
    sided = rules.sided_parts.search(desc) is not None
    # An order that also names a midline region (chest, abdomen, pelvis ...) legitimately
    # talks about both sides: it is not treated as a lateral exam.
    never = rules.non_lateral_parts.search(desc) is not None
    one_side = ordered in ("left", "right")
    if never:
        lateral = False
    elif template and template != "generic":
        lateral = template_lateral or (one_side and (always or sided))
    else:
        lateral = always or (one_side and (sided or source == "record"))
    return ExamSide(lateral, ordered, source)


def _clause(text: str, sent: tuple[int, int], start: int, end: int) -> tuple[str, str]:
    """Text before and after ``start..end`` inside its clause (sentence cut at , ; : ( )."""
    s, e = sent
    before = text[max(s, start - 80) : start]
    cuts = list(_CLAUSE_BREAK.finditer(before))
    if cuts:
        before = before[cuts[-1].end() :]
    after = text[end : min(e, end + 60)]
    cut = _CLAUSE_BREAK.search(after)
    if cut:
        after = after[: cut.start()]
    return before, after


_LEFT_VERB = re.compile(
    r"\b(?:was|were|been|be|is|are|being)\s+(?:\w+ly\s+)?left$|"
    r"^left\s+(?:in\s+place|in\s+situ|behind|open|alone|untouched|unchanged|over)\b",
    re.IGNORECASE,
)


def legitimate_other_side(ctx: Context, start: int, end: int, *, history: bool = True) -> bool:
    """True when a side word at ``start..end`` is a comparison, history, direction, a pair of
    sides, or the verb "left" ("the drain was left in place").

    ``history=False`` does not accept history cues ("previously", "known"): an Impression
    restating a Findings lesion in the past tense must still give it the same side.
    """
    rules = rules_lexicon()
    text = ctx.text
    if text[start:end].lower() == "left" and (
        _LEFT_VERB.search(text[max(0, start - 30) : end])
        or _LEFT_VERB.match(text[start : end + 20])
    ):
        return True
    before, after = _clause(text, ctx.sentence_at(start), start, end)
    if history:
        if rules.cues_before.search(before) or rules.cues_after.match(after):
            return True
    else:
        past = rules.history_cues
        if any(_cue(m.group(0)) not in past for m in rules.cues_before.finditer(before)):
            return True
        m_after = rules.cues_after.match(after)
        if m_after and not any(_cue(m_after.group(0)).endswith(h) for h in past):
            return True
    if rules.directional_before.search(before) or rules.directional_after.match(after):
        return True
    return _COORDINATED.search(before) is not None


def _cue(found: str) -> str:
    return " ".join(found.lower().split())


class OrderedSideCheck:
    codes = ("laterality.order_mismatch", "laterality.missing")

    def run(self, ctx: Context) -> Iterator[Issue]:
        info = exam_side(ctx)
        if not info.lateral:
            return
        text = ctx.text
        words = [
            (m, side_of(m))
            for m in SIDE_WORDS.finditer(text)
            if ctx.section_at(m.start()) not in _SKIP_SECTIONS
        ]
        words = [(m, side) for m, side in words if side]
        if not words:
            at = self._anchor(ctx)
            wanted = f"the {info.ordered} side" if info.ordered else "the side examined"
            yield ctx.issue(
                "laterality.missing",
                f"This is a lateral exam but the report never states the side ({wanted}).",
                at,
                at,
                suggestion=f"State {wanted} in the examination line or the findings.",
            )
            return
        if info.ordered not in ("left", "right"):
            return
        wrong = _OPPOSITE[info.ordered]
        support = next((m for m, side in words if side == info.ordered), None)
        where = "the record" if info.source == "record" else repr(info.source)
        for m, side in words:
            if side != wrong or legitimate_other_side(ctx, m.start(), m.end()):
                continue
            evidence: list[Span] = [span(text, m.start(), m.end(), f"{wrong} side")]
            if support is not None:
                evidence.append(span(text, support.start(), support.end(), "ordered side"))
            yield ctx.issue(
                "laterality.order_mismatch",
                f"The report says {m.group(0)!r} but the {info.ordered} side was ordered "
                f"({where}).",
                m.start(),
                m.end(),
                evidence=evidence,
                suggestion=f"Change {m.group(0)!r} to {info.ordered!r}, or confirm the ordered side.",
            )

    @staticmethod
    def _anchor(ctx: Context) -> int:
        spans = ctx.section_spans("findings") or ctx.section_spans("impression")
        return spans[0][0] if spans else 0


_PHRASE = re.compile(r"\b(left|right)(?:[\s-]+sided)?[\s-]+([a-z]+)", re.IGNORECASE)
_NOT_HEADS = frozenset(
    {"and", "or", "to", "of", "side", "sided", "greater", "than", "is", "are", "the", "with",
     "in", "on", "at", "more", "less", "worse", "better", "a", "an", "as", "sides"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Phrase:
    """A side word and the word after it ("left costophrenic"), for what the NLP layer misses."""

    start: int
    end: int
    text: str
    concept: str
    laterality: str
    laterality_span: tuple[int, int]
    sentence: int
    section: str
    kind: str = "phrase"
    negated: bool = False


def _phrases(ctx: Context) -> list[_Phrase]:
    out: list[_Phrase] = []
    text = ctx.text
    for section in ("findings", "impression"):
        for s, e in ctx.section_spans(section):
            for m in _PHRASE.finditer(text, s, e):
                head = m.group(2).lower()
                if head in _NOT_HEADS or len(head) < 3:
                    continue
                if head.endswith("s") and not head.endswith("ss") and len(head) > 4:
                    head = head[:-1]
                if ctx.assertion(m.start(1), m.end(1)).negated:
                    continue
                out.append(
                    _Phrase(
                        m.start(),
                        m.end(),
                        m.group(0),
                        head,
                        m.group(1).lower(),
                        (m.start(1), m.end(1)),
                        ctx.sentence_index(m.start()),
                        section,
                    )
                )
    return out


def _keys(m: Any, groups: Mapping[str, str]) -> list[tuple[str, str]]:
    """What a mention is compared by: its concept, and for findings also its group."""
    if m.kind != "finding":
        return [(m.kind, m.concept)]
    out = [("finding", m.concept)]
    group = groups.get(m.concept)
    if group is not None:
        out.append(("group", group))
    return out


class FindingsImpressionCheck:
    codes = ("laterality.findings_impression",)

    @staticmethod
    def _impression_has_side(ctx: Context) -> bool:
        positions = ctx.tokens.positions
        spans = ctx.section_spans("impression")
        if not spans or not ctx.section_spans("findings"):
            return False
        for word in ("left", "right"):
            for i in positions.get(word, ()):
                start = ctx.tokens.starts[i]
                if any(s <= start < e for s, e in spans):
                    return True
        return False

    def run(self, ctx: Context) -> Iterator[Issue]:
        if not self._impression_has_side(ctx):
            return
        mentions = [*ctx.mentions, *_phrases(ctx)]
        rules = rules_lexicon()
        groups = rules.finding_groups
        sides_of: dict[tuple[str | None, int], set[str]] = {}
        side_span: dict[tuple[int, str], tuple[int, int]] = {}  # first side word per sentence
        pathologic: set[int] = set()
        for m in mentions:
            if m.negated:
                continue
            if m.laterality is not None:
                sides_of.setdefault((m.section, m.sentence), set()).add(m.laterality)
                if m.laterality_span is not None:
                    side_span.setdefault((m.sentence, m.laterality), m.laterality_span)
            if m.kind in ("finding", "device"):
                pathologic.add(m.sentence)
        normal: dict[int, bool] = {}

        def described(m: Any) -> bool:
            """An anatomy counts when its sentence describes something, not when it is normal."""
            if m.kind not in ("anatomy", "phrase") or m.sentence in pathologic:
                return True
            if m.sentence not in normal:
                lo, hi = ctx.token_range(*ctx.sentence_at(m.start))
                normal[m.sentence] = rules.normal.any(ctx.tokens, lo, hi)
            return not normal[m.sentence]

        # Findings: which sides each concept/group is given, from the mention or its sentence
        # ("3 cm mass in the posterior segment of the right upper lobe" puts the mass right).
        # Anatomy counts only in sentences that describe something ("the right hand is normal"
        # does not put the finding on the right).
        found: dict[tuple[str, str], dict[str, Any]] = {}
        direct: dict[tuple[tuple[str, str], str], bool] = {}  # side stated on the mention itself
        # (key, side) -> True when some Findings mention states it without hedging
        certain: dict[tuple[tuple[str, str], str], bool] = {}
        for f in mentions:
            if f.section != "findings" or f.negated:
                continue
            if not described(f):
                continue
            hedged = bool(getattr(f, "uncertain", False))
            # An anatomy with its own side keeps it ("right basal opacity and bibasal
            # atelectasis" does not put the right base on both sides).
            sides = (
                {f.laterality}
                if f.laterality and f.kind in ("anatomy", "phrase")
                else sides_of.get(("findings", f.sentence), set())
            )
            for key in _keys(f, groups):
                slot = found.setdefault(key, {})
                if f.laterality:
                    direct[(key, f.laterality)] = True
                    slot.setdefault(f.laterality, f)
                    if not hedged:
                        certain[(key, f.laterality)] = True
                for side in sides:
                    slot.setdefault(side, f)
                    if not hedged:
                        certain.setdefault((key, side), True)
        if not found:
            return
        text = ctx.text
        sided: list[tuple[Any, str]] = []
        for m in mentions:
            if m.section != "impression" or m.negated or getattr(m, "historical", False):
                continue
            m_side: str | None = m.laterality
            if m_side is None and m.kind in ("finding", "device"):
                sent = sides_of.get(("impression", m.sentence), set())
                m_side = next(iter(sent)) if len(sent) == 1 else None
            if m_side in ("left", "right"):
                sided.append((m, str(m_side)))

        # Each mention is judged by its most specific key Findings know: the concept itself,
        # else its group ("pneumonia" in Impression against "opacity" in Findings).  Evidence
        # has tiers: a finding or device concept (2) beats an anatomy or side phrase (1), which
        # beats a group (0); a concept whose side Findings only imply through the sentence
        # counts as tier 1.  In an Impression sentence a side is wrong when, at the highest
        # tier with any evidence for that side, there are conflicts and no support ("left base
        # atelectasis/infiltrate" is supported by "left basal airspace opacity" even though the
        # atelectasis itself is right-sided in Findings).
        def slot_of(m: Any) -> tuple[tuple[str, str] | None, dict[str, Any]]:
            for key in _keys(m, groups):
                if key in found:
                    return key, found[key]
            return None, {}

        support: dict[tuple[int, str], set[int]] = {}
        conflicts: list[tuple[Any, str, Any, int]] = []
        for m, side in sided:
            slot_key, slot = slot_of(m)
            if slot_key is None:
                continue
            tier = _TIERS.get(slot_key[0], 1)
            other = _OPPOSITE[side]
            # A side Findings only hedge ("another mass on the right cannot be excluded") does
            # not support an unhedged Impression when Findings state the other side plainly.
            # A hedged Impression mention counts as hedged only when it states its own side
            # ("possible right mass"); one that takes the side of its sentence ("right upper
            # lobe mass, suspicious for neoplasm") is as certain as that sentence.
            hedged_only = (
                not (getattr(m, "uncertain", False) and m.laterality)
                and other in slot
                and certain.get((slot_key, other), False)
                and not certain.get((slot_key, side), False)
                and not certain.get((slot_key, "bilateral"), False)
            )
            if (side in slot or "bilateral" in slot) and not hedged_only:
                support.setdefault((m.sentence, side), set()).add(tier)
            elif other in slot:
                if tier == 2 and not direct.get((slot_key, _OPPOSITE[side]), False):
                    tier = 1
                conflicts.append((m, side, slot[_OPPOSITE[side]], tier))
        top: dict[tuple[int, str], int] = {}
        for m, side, _, tier in conflicts:
            here = (m.sentence, side)
            top[here] = max(top.get(here, -1), tier, *support.get(here, ()))
        reported: set[tuple[int, int]] = set()
        for m, side, conflict, tier in conflicts:
            here = (m.sentence, side)
            if tier < top[here] or top[here] in support.get(here, ()):
                continue
            # a mention taking its sentence's side is flagged at that side word
            key_span = m.laterality_span or side_span.get((m.sentence, side)) or (m.start, m.end)
            if key_span in reported or legitimate_other_side(ctx, *key_span, history=False):
                continue
            if _RESOLVED_BEFORE.search(text, max(0, key_span[0] - 40), key_span[0]):
                continue
            reported.add(key_span)
            s, e = key_span
            cs, ce = conflict.laterality_span or (conflict.start, conflict.end)
            evidence = [
                span(text, s, e, "impression side"),
                span(text, cs, ce, "findings side"),
            ]
            yield ctx.issue(
                "laterality.findings_impression",
                f"Impression puts {m.text!r} on the {side}, but Findings describe it on the "
                f"{_OPPOSITE[side]} ({conflict.text!r}).",
                s,
                e,
                evidence=evidence,
                suggestion="Make the side in the impression agree with the findings.",
            )

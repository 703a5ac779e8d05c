"""Finding checks.

- ``finding.missing``: a topic the template requires ("heart", "pleura", "ovaries") is never
  addressed in the result sections; a negated mention counts as addressed.  One issue per topic,
  severity from the template topic.
- ``finding.contradiction``: the same finding is negated in Findings and affirmed in Impression
  (or the reverse).  Hedged, historical or hypothetical mentions do not count; neither do
  mentions on different sides ("no left effusion" / "right effusion") nor qualified negations
  ("no new consolidation", "no large effusion").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from reporting.model import Issue, Severity
from reporting.qa.context import Context, span
from reporting.qa.terms import TermIndex

if TYPE_CHECKING:  # pragma: no cover
    from reporting.templating import TemplateSpec

__all__ = ["TopicCheck", "ContradictionCheck"]

_RESULT_SECTIONS = ("findings", "impression", "preamble", "other", "addendum", "recommendation")
_NEG_CUE = re.compile(r"\b(?:no|not|without|negative for|free of|absence of|nor)\b", re.IGNORECASE)
_QUALIFIED = re.compile(
    r"\b(?:new|newly|large|larger|significant|significantly|acute|focal|discrete|additional|other|"
    r"frank|overt|gross|substantial|sizable|sizeable|moderate|increas\w*|worsen\w*|residual|"
    r"recurrent|confluent|lobar|dense|displaced|active|measurable|dominant|suspicious)\b",
    re.IGNORECASE,
)
_RESOLVED = re.compile(
    r"\b(?:resolved|resolving|resolution|no longer|previously|prior|cleared|clearing|removed|"
    r"improved|improving|improvement|decreased|decreasing|interval removal)\b",
    re.IGNORECASE,
)


_TOPIC_INDEXES: dict[tuple[str, int], tuple[TermIndex[str], ...]] = {}


def _topic_indexes(spec: TemplateSpec) -> tuple[TermIndex[str], ...]:
    key = (spec.id, id(spec))
    found = _TOPIC_INDEXES.get(key)
    if found is None:
        found = tuple(TermIndex.of(topic.terms) for topic in spec.required_topics)
        if len(_TOPIC_INDEXES) > 256:
            _TOPIC_INDEXES.clear()
        _TOPIC_INDEXES[key] = found
    return found


class TopicCheck:
    codes = ("finding.missing",)

    def run(self, ctx: Context) -> Iterator[Issue]:
        spec = ctx.template
        if spec is None or not spec.required_topics:
            return
        text = ctx.text
        results: list[tuple[int, int]] = []
        for name in _RESULT_SECTIONS:
            results.extend(ctx.section_spans(name))
        if not results:
            return  # no result text at all: section.missing says so
        tokens = ctx.tokens
        findings = ctx.section_spans("findings") or ctx.section_spans("impression")
        anchor = findings[0][1] if findings else len(text.rstrip())
        for topic, index in zip(spec.required_topics, _topic_indexes(spec), strict=True):
            spans = ctx.section_spans(topic.section) if topic.section else results
            if any(index.any(tokens, *ctx.token_range(s, e)) for s, e in spans):
                continue
            label = topic.label or topic.topic.replace("_", " ")
            if not label.startswith("the "):
                label = f"the {label}"
            yield ctx.issue(
                "finding.missing",
                f"The report does not address {label}.",
                anchor,
                anchor,
                topic=topic.topic,
                severity=Severity(topic.severity),
                suggestion=f"Describe {label}, even if normal.",
            )


def _head(words: str) -> str:
    """Last word, lower case, without a plural ending: the head noun of a mention."""
    last = re.split(r"[^\w]+", words.strip().lower())[-1] if words.strip() else ""
    if last.endswith("ies") and len(last) > 4:
        return last[:-3] + "y"
    if last.endswith(("sses", "xes", "ches", "shes")):
        return last[:-2]
    if last.endswith("s") and not last.endswith("ss") and len(last) > 3:
        return last[:-1]
    return last


def _affirmed(m: Any) -> bool:
    return not (
        m.negated or m.uncertain or m.historical or m.hypothetical or m.experiencer != "patient"
    )


class ContradictionCheck:
    codes = ("finding.contradiction",)

    def run(self, ctx: Context) -> Iterator[Issue]:
        text = ctx.text
        by_section: dict[str, list[Any]] = {"findings": [], "impression": []}
        for m in ctx.mentions:
            if m.kind == "finding" and m.section in by_section:
                by_section[m.section].append(m)
        if not by_section["findings"] or not by_section["impression"]:
            return
        seen: set[str] = set()
        for a_sec, b_sec in (("findings", "impression"), ("impression", "findings")):
            for neg in by_section[a_sec]:
                if not neg.negated or neg.uncertain or neg.hypothetical or neg.concept in seen:
                    continue
                if self._qualified(ctx, neg):
                    continue
                if any(
                    m.concept == neg.concept and _affirmed(m) and _head(m.text) == _head(neg.text)
                    for m in by_section[a_sec]
                ):
                    # its own section says it too, of another site ("Medial meniscus: tear.
                    # Lateral meniscus: no tear."): what the other section says agrees with that
                    continue
                ns, ne = ctx.sentence_at(neg.start)
                if _RESOLVED.search(text, ns, ne):
                    continue
                for pos in by_section[b_sec]:
                    if pos.concept != neg.concept or not _affirmed(pos):
                        continue
                    if _head(pos.text) != _head(neg.text):
                        continue  # same concept, different words ("congestion" / "edema")
                    if not self._sides_compatible(neg.laterality, pos.laterality):
                        continue
                    ps, pe = ctx.sentence_at(pos.start)
                    if _RESOLVED.search(text, ps, pe):
                        continue
                    seen.add(neg.concept)
                    first, second = sorted((neg, pos), key=lambda m: m.start)
                    yield ctx.issue(
                        "finding.contradiction",
                        f"{neg.section.title()} says no {neg.text!r} but {pos.section.title()} "
                        f"reports {pos.text!r}.",
                        second.start,
                        second.end,
                        evidence=(
                            span(text, neg.start, neg.end, f"negated in {neg.section}"),
                            span(text, pos.start, pos.end, f"affirmed in {pos.section}"),
                        ),
                        suggestion="Make Findings and Impression agree.",
                    )
                    break

    @staticmethod
    def _sides_compatible(neg_side: str | None, pos_side: str | None) -> bool:
        if neg_side is None:
            return True  # "no effusion" contradicts any effusion
        if pos_side is None:
            return False  # "no left effusion" vs "effusion": side unknown, not a contradiction
        return neg_side == pos_side or "bilateral" in (neg_side, pos_side)

    @staticmethod
    def _qualified(ctx: Context, m: Any) -> bool:
        """True for "no new X", "no large X": the negation is about a qualifier."""
        s, _ = ctx.sentence_at(m.start)
        before = ctx.text[max(s, m.start - 60) : m.end]
        cues = list(_NEG_CUE.finditer(before))
        if cues:
            before = before[cues[-1].end() :]
        return _QUALIFIED.search(before) is not None

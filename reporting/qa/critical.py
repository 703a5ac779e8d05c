"""critical.not_communicated: an affirmed critical finding (pneumothorax, free air, acute
hemorrhage, pulmonary embolism, torsion ...) with no statement that it was communicated.

A critical finding counts when it is affirmed for the patient in a result section (not the
indication or comparison), not negated, not historical or hypothetical, not hedged (unless
``QAOptions.critical_uncertain``), not asked about ("limited for evaluation of") and not marked
as already known ("stable", "resolved" ...).  A communication statement is a verb such as
"discussed"/"called"/"notified" near a recipient ("Dr.", "ED", "referring"), a means
("by telephone") or a clock time, or a phrase such as "findings were called to".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reporting.model import Issue, Span
from reporting.qa.context import BACKGROUND_SECTIONS, Context, span
from reporting.qa.lexicon import CriticalFinding, critical_lexicon
from reporting.qa.terms import Tokens

__all__ = ["CriticalCheck", "communicated"]

_TIME = re.compile(
    r"\b\d{1,2}:\d{2}\b|\b\d{1,2}\s*(?:a\.?m\b\.?|p\.?m\b\.?)|\b\d{3,4}\s*(?:hours|hrs|h)\b"
    r"|\bXXXX\s*(?:a\.m\.|p\.m\.|am\b|pm\b|hours\b)",
    re.IGNORECASE,
)


def communicated(text: str, tokens: Tokens | None = None) -> Span | None:
    """The first statement in ``text`` saying a result was communicated, or None."""
    lex = critical_lexicon()
    tokens = tokens or Tokens(text)
    for h in lex.phrases.find(tokens):
        return span(text, h.start, h.end, "communication")
    for v in lex.verbs.find(tokens):
        lo = tokens.index_at(max(0, v.start - 60))
        hi = tokens.index_at(v.end + lex.window)
        if lex.recipients.any(tokens, lo, hi) or lex.means.any(tokens, lo, hi):
            return span(text, v.start, v.end, "communication")
        if _TIME.search(text, max(0, v.start - 60), v.end + lex.window):
            return span(text, v.start, v.end, "communication")
    return None


class CriticalCheck:
    codes = ("critical.not_communicated",)

    def run(self, ctx: Context) -> Iterator[Issue]:
        lex = critical_lexicon()
        tokens = ctx.tokens
        hits = lex.findings.find(tokens)
        if not hits:
            return
        text = ctx.text
        found: dict[str, tuple[CriticalFinding, list[Span]]] = {}
        for h in hits:
            if ctx.section_at(h.start) in BACKGROUND_SECTIONS:
                continue
            a = ctx.assertion(h.start, h.end)
            if a.negated or a.hypothetical or a.historical or a.experiencer == "other":
                continue
            if a.uncertain and not ctx.options.critical_uncertain:
                continue
            lo, hi = ctx.token_range(*ctx.sentence_at(h.start))
            if lex.known.any(tokens, lo, hi) or lex.hypothetical.any(tokens, lo, hi):
                continue
            entry = found.setdefault(h.value.id, (h.value, []))
            entry[1].append(span(text, h.start, h.end, h.value.label))
        if not found or communicated(text, tokens) is not None:
            return
        for finding, spans in found.values():
            first = spans[0]
            yield ctx.issue(
                "critical.not_communicated",
                f"Critical finding ({finding.label}: {first.text!r}) with no statement that it "
                "was communicated.",
                first.start,
                first.end,
                evidence=spans,
                suggestion="Add who was told and when, e.g. 'Discussed with Dr. ... at 14:30 "
                "by telephone.'",
            )

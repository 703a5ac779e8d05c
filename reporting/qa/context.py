"""Everything one report's checks share: the report, its analysis, its template, lookups.

Built once per report by the engine; checks read it and never change it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from reporting.model import Issue, Report, Severity, Span
from reporting.qa.codes import DEFAULT_SEVERITY
from reporting.qa.options import QAOptions
from reporting.qa.terms import Tokens

if TYPE_CHECKING:  # pragma: no cover
    from reporting.nlp import Analysis, Assertion
    from reporting.templating import TemplateSpec

__all__ = ["BACKGROUND_SECTIONS", "Context", "span", "SIDE_WORDS"]

#: Side words as written in report text (LT/RT only in capitals or as "Lt."/"Rt.").
SIDE_WORDS = re.compile(
    r"(?<![\w-])(?:(?P<left>left)|(?P<right>right)|(?P<bilateral>bilateral(?:ly)?|both)"
    r"|(?P<lt>LT|Lt\.?)|(?P<rt>RT|Rt\.?))(?![\w])",
    re.IGNORECASE,
)
#: Sections that restate the order and background (not the reading): what a finding named there
#: does not need communicating or a follow-up recommendation.
BACKGROUND_SECTIONS = frozenset({"history", "comparison", "examination", "technique"})

_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\[(])|\n\s*\n|\n(?=\s*(?:\d+[.)]|[-*\u2022])\s)")


def side_of(match: re.Match[str]) -> str:
    """``left``/``right``/``bilateral`` for a :data:`SIDE_WORDS` match."""
    group = match.lastgroup or ""
    if group in ("left", "lt"):
        if group == "lt" and match.group(0) not in ("LT", "Lt", "Lt."):
            return ""
        return "left"
    if group in ("right", "rt"):
        if group == "rt" and match.group(0) not in ("RT", "Rt", "Rt."):
            return ""
        return "right"
    return "bilateral"


def span(text: str, start: int, end: int, label: str = "") -> Span:
    return Span(start, end, text[start:end], label)


@dataclass
class Context:
    """One report under check.  ``analysis`` is the NLP result for ``report.text``."""

    report: Report
    analysis: Analysis | None
    template: TemplateSpec | None
    options: QAOptions

    @property
    def text(self) -> str:
        return self.report.text

    # ------------------------------------------------------------------ sections
    @cached_property
    def _section_index(self) -> tuple[list[int], list[tuple[int, int, str]]]:
        spans = sorted(
            (s.start, s.start + len(s.text), s.name)
            for s in self.report.sections
            if s.start is not None
        )
        return [s[0] for s in spans], spans

    def section_at(self, offset: int) -> str | None:
        """Canonical name of the section whose text holds ``offset`` (None outside any)."""
        starts, spans = self._section_index
        i = bisect.bisect_right(starts, offset) - 1
        if i < 0:
            return None
        start, end, name = spans[i]
        return name if offset <= end else None

    def section_spans(self, name: str) -> list[tuple[int, int]]:
        """``(start, end)`` of every section called ``name`` that has text."""
        return [(s, e) for s, e, n in self._section_index[1] if n == name and e > s]

    # ------------------------------------------------------------------ tokens
    @cached_property
    def tokens(self) -> Tokens:
        """Lower-case word tokens of the text (for lexicon lookups)."""
        return Tokens(self.text)

    def token_range(self, start: int, end: int) -> tuple[int, int]:
        """Token indices ``[lo, hi)`` of the words inside ``start..end``."""
        return self.tokens.index_at(start), self.tokens.index_at(end)

    # ------------------------------------------------------------------ sentences
    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        """Sentence ``(start, end)`` offsets, in order."""
        if self.analysis is not None and self.analysis.sentences:
            return [(s.start, s.end) for s in self.analysis.sentences]
        out: list[tuple[int, int]] = []
        bounds = sorted(
            {0, len(self.text)}
            | {m.end() for m in _SENT_END.finditer(self.text)}
            | {s.start for s in self.report.sections if s.start is not None}
        )
        for a, b in zip(bounds, bounds[1:], strict=False):
            chunk = self.text[a:b]
            lead = len(chunk) - len(chunk.lstrip())
            trail = len(chunk.rstrip())
            if trail > lead:
                out.append((a + lead, a + trail))
        return out

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return [s for s, _ in self.sentences]

    def sentence_at(self, offset: int) -> tuple[int, int]:
        """The sentence around ``offset`` (``(offset, offset)`` when none holds it)."""
        i = bisect.bisect_right(self._sentence_starts, offset) - 1
        if i >= 0:
            s, e = self.sentences[i]
            if offset <= e:
                return s, e
        return offset, offset

    def sentence_index(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self._sentence_starts, offset) - 1)

    # ------------------------------------------------------------------ assertion
    def assertion(self, start: int, end: int) -> Assertion:
        """Negation / uncertainty / history / experiencer of the span, judged in its sentence."""
        if self.analysis is not None:
            return self.analysis.assertion(start, end)
        from reporting import nlp

        s, e = self.sentence_at(start)
        if e <= s:
            s, e = start, end
        return nlp.assertion(self.text[s:e], start - s, end - s)

    @property
    def mentions(self) -> Sequence[Any]:
        return self.analysis.mentions if self.analysis is not None else ()

    @property
    def measurements(self) -> Sequence[Any]:
        return self.analysis.measurements if self.analysis is not None else ()

    # ------------------------------------------------------------------ issues
    def issue(
        self,
        code: str,
        message: str,
        start: int,
        end: int,
        *,
        evidence: Sequence[Span] = (),
        suggestion: str | None = None,
        topic: str | None = None,
        severity: Severity | None = None,
    ) -> Issue:
        """An :class:`Issue` with the section at ``start`` and the configured severity."""
        chosen = self.options.severity_for(code, severity or DEFAULT_SEVERITY[code])
        return Issue(
            code=code,
            severity=chosen,
            message=message,
            start=start,
            end=end,
            section=self.section_at(start),
            evidence=tuple(evidence),
            suggestion=suggestion,
            topic=topic,
        )

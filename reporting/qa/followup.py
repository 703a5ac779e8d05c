"""followup.incomplete: a follow-up recommendation that lacks an interval or a modality.

A sentence in a result section is a recommendation when it holds a recommendation cue
("recommend", "suggest", "is advised" ...).  A follow-up recommendation ("follow-up", "repeat",
"to document resolution") needs a modality and an interval ("in 3 months", "after treatment");
a diagnostic work-up ("CT is recommended for further evaluation") needs a modality.
"""

from __future__ import annotations

from collections.abc import Iterator

from reporting.model import Issue
from reporting.qa.context import BACKGROUND_SECTIONS, Context, span
from reporting.qa.lexicon import followup_lexicon

__all__ = ["FollowupCheck"]


class FollowupCheck:
    codes = ("followup.incomplete",)

    def run(self, ctx: Context) -> Iterator[Issue]:
        lex = followup_lexicon()
        tokens = ctx.tokens
        cues = lex.recommendation.find(tokens)
        if not cues:
            return
        text = ctx.text
        done: set[int] = set()
        for cue in cues:
            s, e = ctx.sentence_at(cue.start)
            if s in done or ctx.section_at(s) in BACKGROUND_SECTIONS:
                continue
            done.add(s)
            lo, hi = ctx.token_range(s, e)
            proper = lex.followup.any(tokens, lo, hi)
            modality = lex.modality.any(tokens, lo, hi)
            workup = lex.workup.any(tokens, lo, hi)
            if not proper and lex.not_followup.any(tokens, lo, hi):
                continue
            if not (proper or modality or workup):
                continue
            interval = lex.interval_phrases.any(tokens, lo, hi) or bool(
                lex.interval.search(text, s, e)
            )
            redacted = "xxxx" in tokens.positions and any(
                lo <= i < hi for i in tokens.positions["xxxx"]
            )
            missing = []
            if not modality and not redacted:
                missing.append("a modality")
            if proper and not interval:
                missing.append("an interval")
            if not missing:
                continue
            yield ctx.issue(
                "followup.incomplete",
                f"Follow-up recommendation without {' or '.join(missing)}.",
                s,
                e,
                evidence=(span(text, cue.start, cue.end, "recommendation"),),
                suggestion="State the modality and when, e.g. 'Recommend follow-up chest CT in "
                "3 months.'",
            )

"""measurement.mismatch: the same lesion is measured differently in Findings and Impression.

An Impression measurement is paired with Findings measurements whose sentences name the same
finding (nodule, mass, cyst ...), with compatible sides and anatomy.  When there are such
candidates and none of their dimensions agrees with the Impression's (within rounding), the
report measures the lesion two ways.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from reporting.model import Issue
from reporting.qa.context import Context, span
from reporting.qa.lexicon import rules_lexicon

__all__ = ["MeasurementCheck", "to_mm"]

_LENGTH = {"mm": 1.0, "cm": 10.0, "m": 1000.0}


def to_mm(values: Sequence[float], unit: str) -> tuple[float, ...] | None:
    """Lengths in millimetres (None for other units)."""
    factor = _LENGTH.get(unit.lower().rstrip("."))
    return None if factor is None else tuple(v * factor for v in values)


def _agree(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.5, 0.08 * max(a, b))


class MeasurementCheck:
    codes = ("measurement.mismatch",)

    def run(self, ctx: Context) -> Iterator[Issue]:
        imp = [m for m in ctx.measurements if m.section == "impression"]
        fnd = [m for m in ctx.measurements if m.section == "findings"]
        if not imp or not fnd:
            return
        facts = self._sentence_facts(ctx)
        text = ctx.text
        for mi in imp:
            vi = to_mm(mi.values, mi.unit)
            fi, _, si = facts.get(mi.sentence, (frozenset(), frozenset(), frozenset()))
            if vi is None or not fi:
                continue
            cands = []
            for mf in fnd:
                vf = to_mm(mf.values, mf.unit)
                if vf is None:
                    continue
                ff, _, sf = facts.get(mf.sentence, (frozenset(), frozenset(), frozenset()))
                if not (fi & ff):
                    continue
                if si and sf and not (si & sf) and "bilateral" not in si | sf:
                    continue
                cands.append((mf, vf))
            if not cands:
                continue
            if any(_agree(a, b) for _, vf in cands for a in vi for b in vf):
                continue
            mf = cands[0][0]
            yield ctx.issue(
                "measurement.mismatch",
                f"Impression gives {mi.text!r} but Findings measure the same lesion as "
                f"{mf.text!r}.",
                mi.start,
                mi.end,
                evidence=(
                    span(text, mi.start, mi.end, "impression"),
                    *(span(text, c.start, c.end, "findings") for c, _ in cands[:3]),
                ),
                suggestion="Use the same measurement in Findings and Impression.",
            )

    @staticmethod
    def _sentence_facts(
        ctx: Context,
    ) -> dict[int, tuple[frozenset[str], frozenset[str], frozenset[str]]]:
        """sentence -> (finding concepts and lesion words, anatomy concepts, sides)."""
        acc: dict[int, tuple[set[str], set[str], set[str]]] = {}
        for m in ctx.mentions:
            if m.negated:
                continue
            f, a, s = acc.setdefault(m.sentence, (set(), set(), set()))
            (f if m.kind == "finding" else a).add(m.concept)
            if m.laterality:
                s.add(m.laterality)
        lesions = rules_lexicon().lesions
        sentences = ctx.analysis.sentences if ctx.analysis is not None else ()
        for idx in {m.sentence for m in ctx.measurements}:
            if 0 <= idx < len(sentences):
                sent = sentences[idx]
                lo, hi = ctx.token_range(sent.start, sent.end)
                words = {f"lesion:{h.value}" for h in lesions.find(ctx.tokens, lo, hi)}
                if words:
                    acc.setdefault(idx, (set(), set(), set()))[0].update(words)
        return {k: (frozenset(f), frozenset(a), frozenset(s)) for k, (f, a, s) in acc.items()}

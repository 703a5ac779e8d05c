"""Score reporting.nlp.assertion on the NegEx test sentences (../shared/data/negex-dev.tsv).

Each row gives a condition and a sentence; the condition is located in the sentence (case-
insensitively, any run of white space matching any other) and ``assertion(sentence, start, end)``
is compared with the physicians' labels: negation (precision/recall/F1), temporality (historical;
"Not particular" counts as hypothetical) and experiencer (accuracy).  The rows are also scored in
two halves -- even rows (the half rules were tuned on) and odd rows -- to show the rules generalise.

    .venv/bin/python benchmarks/negex_eval.py [--errors even|odd|all]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reporting.nlp import Assertion, assertion  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "negex-dev.tsv"
BASELINE = {"precision": 0.926, "recall": 0.960, "f1": 0.942}  # medspaCy ConText, held-back rows


@dataclass(frozen=True)
class Row:
    line: str
    condition: str
    sentence: str
    negated: bool
    historical: bool
    hypothetical: bool
    other: bool


def load_rows(path: Path = DATA) -> list[Row]:
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader, None)
        for rec in reader:
            if len(rec) < 6:
                continue
            line, condition, sentence, neg, temp, exp = rec[:6]
            rows.append(
                Row(
                    line,
                    condition,
                    sentence,
                    neg.strip().lower() == "negated",
                    temp.strip().lower() == "historical",
                    temp.strip().lower() == "not particular",
                    exp.strip().lower() != "patient",
                )
            )
    return rows


def locate(condition: str, sentence: str) -> tuple[int, int]:
    """Span of ``condition`` in ``sentence``; falls back to its longest word, then the sentence."""
    words = condition.split()
    if words:
        pattern = r"\s*".join(re.escape(w) for w in words)
        # The corpus writes the annotated occurrence in capitals: prefer it to an earlier one.
        upper = r"\s*".join(re.escape(w.upper()) for w in words)
        m = re.search(upper, sentence) or re.search(pattern, sentence, re.IGNORECASE)
        if m:
            return m.start(), m.end()
        for word in sorted(words, key=len, reverse=True):
            m = re.search(re.escape(word), sentence, re.IGNORECASE)
            if m:
                return m.start(), m.end()
    return 0, len(sentence)


def predict(row: Row) -> Assertion:
    start, end = locate(row.condition, row.sentence)
    return assertion(row.sentence, start, end)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    hist_ok: int = 0
    hyp_ok: int = 0
    exp_ok: int = 0
    n: int = 0

    def add(self, row: Row, pred: Assertion) -> None:
        self.n += 1
        if pred.negated and row.negated:
            self.tp += 1
        elif pred.negated:
            self.fp += 1
        elif row.negated:
            self.fn += 1
        else:
            self.tn += 1
        self.hist_ok += pred.historical == row.historical
        self.hyp_ok += pred.hypothetical == row.hypothetical
        self.exp_ok += (pred.experiencer == "other") == row.other

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(rows: list[Row]) -> Score:
    score = Score()
    for row in rows:
        score.add(row, predict(row))
    return score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", choices=("even", "odd", "all"), help="list misclassified rows")
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"skipped: {DATA} is not available")
        return 0
    rows = load_rows()
    t0 = time.perf_counter()
    halves = {"all": rows, "even (tuned)": rows[0::2], "odd (check)": rows[1::2]}
    scores = {name: evaluate(part) for name, part in halves.items()}
    elapsed = time.perf_counter() - t0
    print(f"NegEx sentences: {len(rows)} rows, scored in {elapsed:.2f}s")
    header = f"{'rows':<14}{'n':>6}{'neg P':>8}{'neg R':>8}{'neg F1':>8}{'hist acc':>10}{'hyp acc':>9}{'exp acc':>9}"
    print(header)
    print("-" * len(header))
    b = BASELINE
    print(
        f"{'medspaCy':<14}{'':>6}{b['precision']:>8.3f}{b['recall']:>8.3f}{b['f1']:>8.3f}{'':>10}{'':>9}{'':>9}"
    )
    for name, s in scores.items():
        print(
            f"{name:<14}{s.n:>6}{s.precision:>8.3f}{s.recall:>8.3f}{s.f1:>8.3f}"
            f"{s.hist_ok / s.n:>10.3f}{s.hyp_ok / s.n:>9.3f}{s.exp_ok / s.n:>9.3f}"
        )
    if args.errors:
        part = {"even": rows[0::2], "odd": rows[1::2], "all": rows}[args.errors]
        for row in part:
            pred = predict(row)
            problems = []
            if pred.negated != row.negated:
                problems.append(f"neg gold={row.negated}")
            if pred.historical != row.historical:
                problems.append(f"hist gold={row.historical}")
            if pred.hypothetical != row.hypothetical:
                problems.append(f"hyp gold={row.hypothetical}")
            if (pred.experiencer == "other") != row.other:
                problems.append(f"exp gold={row.other}")
            if problems:
                text = " ".join(row.sentence.split())
                print(
                    f"[{row.line}] {'; '.join(problems)} | {row.condition.strip()} | {text[:220]}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Throughput of reporting.nlp.analyze_many on the IU chest radiograph reports, one process.

Prints reports/s for bare ``spacy.blank("en")`` tokenisation (measured in the same run, since
machine load varies) beside the full pipeline, and the ratio.  Targets: >= 2,500 reports/s and
at least half the speed of bare tokenisation; medspaCy's pipeline does ~630 reports/s.

    .venv/bin/python benchmarks/nlp_speed.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import spacy  # noqa: E402

from reporting.nlp import analyze, analyze_many, get_nlp  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "iu-cxr-dev.jsonl"
MEDSPACY = 630.0


def interleaved_rates(runs: dict[str, object], texts: list[str], rounds: int) -> dict[str, float]:
    """Reports per CPU-second for each run, timing them block by block in turn.

    Process CPU time (not wall time) and the best of ``rounds`` per block keep the figures
    comparable on a shared, loaded machine.
    """
    blocks = [texts[i : i + 400] for i in range(0, len(texts), 400)]
    best = {name: [float("inf")] * len(blocks) for name in runs}
    for _ in range(rounds):
        for b, block in enumerate(blocks):
            for name, run in runs.items():
                t0 = time.process_time()
                run(block)  # type: ignore[operator]
                best[name][b] = min(best[name][b], time.process_time() - t0)
    return {name: len(texts) / sum(times) for name, times in best.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--long-mb", type=float, default=2.0, help="also time one text of this many MB (0: skip)"
    )
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"skipped: {DATA} is not available")
        return 0
    texts = [
        json.loads(line)["text"]
        for line in DATA.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    blank = spacy.blank("en")
    get_nlp()  # build outside the timing
    list(analyze_many(texts[:50]))

    def tokenise(batch: list[str]) -> None:
        for _doc in blank.pipe(batch, batch_size=256):
            pass

    def pipeline(batch: list[str]) -> None:
        for _a in analyze_many(batch, batch_size=256):
            pass

    rates = interleaved_rates({"bare": tokenise, "ours": pipeline}, texts, args.rounds)
    bare, ours = rates["bare"], rates["ours"]
    mentions = sum(len(a.mentions) for a in analyze_many(texts[:1000]))
    print(f"{len(texts)} chest radiograph reports, one process, CPU time, best of {args.rounds}")
    print(f"{'pipeline':<34}{'reports/s':>12}")
    print("-" * 46)
    print(f"{'medspaCy (reference figure)':<34}{MEDSPACY:>12.0f}")
    print(f"{'spacy.blank tokenisation':<34}{bare:>12.0f}")
    print(f"{'reporting.nlp.analyze_many':<34}{ours:>12.0f}")
    print(
        f"ratio to bare tokenisation: {ours / bare:.2f} (target >= 0.5); "
        f"vs medspaCy: {ours / MEDSPACY:.1f}x; mentions per report: {mentions / 1000:.1f}"
    )
    if args.long_mb > 0:
        joined = "\n".join(texts)
        size = int(args.long_mb * 1_000_000)
        big = (joined * (size // len(joined) + 1))[:size]
        t0 = time.process_time()
        result = analyze(big)
        spent = time.process_time() - t0
        print(
            f"one {len(big) / 1e6:.1f} MB text (sentence-aligned chunks): {spent:.1f} s CPU, "
            f"{len(big) / spent / 1e3:.0f} kB/s, {len(result.mentions)} mentions"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

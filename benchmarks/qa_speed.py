"""QA speed on the real chest radiograph reports, beside medspaCy and bare spaCy tokenisation.

    .venv/bin/python benchmarks/qa_speed.py [--limit N] [--repeat N] [--no-medspacy]

All rates are reports per second on one process, measured in the same run on the same texts
(``../shared/data/iu-cxr-dev.jsonl``):

* ``reporting QA``: ``reporting.qa.check_many`` with every check on (NLP analysis included);
  split into the NLP part (``nlp.analyze_many``) and the checks part for reference;
* ``spacy.blank("en") tokenisation``: ``nlp.pipe`` with no components;
* ``medspaCy``: sentencizer + target matcher + ConText + sectionizer, run in its own
  virtual environment ``benchmarks/.medspacy-venv`` (created here with ``python3 -m venv`` and
  ``pip install medspacy``; medspaCy pins spaCy 3.7 and numpy<2, so it cannot share our venv).
  The sentencizer is spaCy's rule-based one: medspaCy's PyRuSH runs on pure-Python PyFastNER
  here and manages ~20 reports/s, which would flatter us;
* ``reporting qa --workers 1`` (the CLI, start-up included) when that command exists.

Targets: >= 2.5x medspaCy and >= half of bare tokenisation.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
MEDSPACY_VENV = Path(__file__).resolve().parent / ".medspacy-venv"
sys.path.insert(0, str(REPO))

from reporting.records import from_record  # noqa: E402

MEDSPACY_SCRIPT = r"""
import json, sys, time
from loguru import logger

logger.remove()  # medspaCy logs through loguru; logging is not what we time
import medspacy
from medspacy.ner import TargetRule

texts = json.load(open(sys.argv[1], encoding="utf-8"))
repeat = int(sys.argv[2])
nlp = medspacy.load(medspacy_enable=["medspacy_target_matcher", "medspacy_context"])
nlp.add_pipe("sentencizer", first=True)
nlp.add_pipe("medspacy_sectionizer")
matcher = nlp.get_pipe("medspacy_target_matcher")
terms = [
    "pneumothorax", "pleural effusion", "effusion", "consolidation", "atelectasis", "pneumonia",
    "edema", "pulmonary edema", "cardiomegaly", "nodule", "mass", "opacity", "infiltrate",
    "granuloma", "emphysema", "fracture", "scarring", "hernia", "calcification", "lung", "heart",
    "mediastinum", "rib", "spine", "diaphragm",
]
matcher.add([TargetRule(t, "FINDING") for t in terms])
if repeat == 0:  # one cold pass: the caller times the whole process, start-up included
    n_ents = sum(len(doc.ents) for doc in nlp.pipe(texts))
    print(json.dumps({"rate": None, "pipeline": nlp.pipe_names, "ents": n_ents}))
    raise SystemExit(0)
list(nlp.pipe(texts[:50]))
best = 0.0
for _ in range(repeat):
    start = time.perf_counter()
    n_ents = sum(len(doc.ents) for doc in nlp.pipe(texts))
    rate = len(texts) / (time.perf_counter() - start)
    best = max(best, rate)
print(json.dumps({"rate": best, "pipeline": nlp.pipe_names, "ents": n_ents}))
"""


def best_rate(run, n: int, repeat: int) -> float:
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = max(best, n / (time.perf_counter() - start))
    return best


def ensure_medspacy_venv() -> tuple[Path | None, str]:
    python = MEDSPACY_VENV / "bin" / "python"
    if python.exists():
        probe = subprocess.run(
            [str(python), "-c", "import medspacy"], capture_output=True, text=True
        )
        if probe.returncode == 0:
            return python, ""
    print(f"creating {MEDSPACY_VENV} (python3 -m venv + pip install medspacy) ...", flush=True)
    made = subprocess.run(
        ["python3", "-m", "venv", str(MEDSPACY_VENV)], capture_output=True, text=True
    )
    if made.returncode != 0:
        return None, f"python3 -m venv failed: {made.stderr.strip()[-300:]}"
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "medspacy"], capture_output=True, text=True
    )
    if pip.returncode != 0:
        return None, f"pip install medspacy failed: {pip.stderr.strip()[-500:]}"
    return python, ""


def _medspacy_files(folder: Path, texts: list[str]) -> tuple[Path, Path]:
    """The medspaCy script and the texts it reads, written into ``folder``."""
    data = folder / "texts.json"
    data.write_text(json.dumps(texts), encoding="utf-8")
    script = folder / "run_medspacy.py"
    script.write_text(MEDSPACY_SCRIPT, encoding="utf-8")
    return script, data


def medspacy_rate(texts: list[str], repeat: int) -> tuple[float | None, str]:
    python, why = ensure_medspacy_venv()
    if python is None:
        return None, why
    with tempfile.TemporaryDirectory() as tmp:
        script, data = _medspacy_files(Path(tmp), texts)
        out = subprocess.run(
            [str(python), str(script), str(data), str(repeat)], capture_output=True, text=True
        )
    if out.returncode != 0:
        return None, f"medspaCy run failed: {out.stderr.strip()[-500:]}"
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return float(result["rate"]), "pipeline: " + " + ".join(result["pipeline"])


def medspacy_process_rate(texts: list[str]) -> tuple[float | None, str]:
    """One cold medspaCy process over the texts, timed from outside: start-up included."""
    python, why = ensure_medspacy_venv()
    if python is None:
        return None, why
    with tempfile.TemporaryDirectory() as tmp:
        script, data = _medspacy_files(Path(tmp), texts)
        start = time.perf_counter()
        out = subprocess.run(
            [str(python), str(script), str(data), "0"], capture_output=True, env=_installed_env()
        )
        elapsed = time.perf_counter() - start
    if out.returncode != 0:
        return None, "medspaCy process failed"
    return len(texts) / elapsed, "one cold process: import, load, one pass"


def _installed_env() -> dict[str, str]:
    """The environment with bytecode caching on, as for an installed package.

    Some CI sandboxes set PYTHONDONTWRITEBYTECODE; then our editable package would be compiled
    from source on every start while medspaCy's venv (compiled by pip) would not.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def write_records(folder: Path, records: list[dict], name: str = "reports.jsonl") -> Path:
    src = folder / name
    src.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return src


def cli_rate(src: Path, n: int) -> tuple[float | None, str]:
    """One ``reporting qa --workers 1`` process over ``src`` (``n`` reports), start-up included."""
    exe = REPO / ".venv" / "bin" / "reporting"
    try:
        import reporting.cli.qa_cmd  # noqa: F401
    except ImportError:
        return None, "the 'reporting qa' command does not exist yet"
    out = src.with_suffix(".out.jsonl")
    cmd = [str(exe), "qa", str(src), "--workers", "1", "--out", str(out), "-q"]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=_installed_env())
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        return None, f"{' '.join(cmd[1:])} exited {done.returncode}: {done.stderr.strip()[-300:]}"
    return n / elapsed, "reporting qa --workers 1 (process start-up included)"


def import_seconds(module: str) -> float:
    """Wall time of a fresh ``python -c "import module"`` in our venv (interpreter start-up
    included): the floor under any CLI that needs the module."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=_installed_env())
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best counts")
    ap.add_argument("--no-medspacy", action="store_true")
    ap.add_argument("--no-cli", action="store_true")
    ap.add_argument(
        "--cli-scale",
        type=int,
        default=10,
        help="also run the CLI on the reports repeated this many times (start-up amortised)",
    )
    args = ap.parse_args(argv)

    path = SHARED / "iu-cxr-dev.jsonl"
    if not path.exists():
        print(f"skipped: {path} is not available")
        return 0
    records = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    if args.limit:
        records = records[: args.limit]
    reports = [from_record(r) for r in records]
    texts = [r.text for r in reports]
    n = len(texts)

    import spacy

    from reporting import nlp
    from reporting.qa import QAOptions, check_many, run_checks

    options = QAOptions()
    list(check_many(reports[:50], options=options))  # warm up: models, lexicons, templates
    analyses = list(nlp.analyze_many(texts))
    blank = spacy.blank("en")
    runs = {
        "qa": lambda: sum(len(i) for _, i in check_many(reports, options=options)),
        "nlp": lambda: list(nlp.analyze_many(texts)),
        "checks": lambda: [
            run_checks(r, a, options) for r, a in zip(reports, analyses, strict=True)
        ],
        "bare": lambda: list(blank.pipe(texts)),
    }
    # Rounds interleave the pipelines so a busy machine slows them alike; the best round counts.
    best: dict[str, float] = {}
    med: float | None = None
    med_note = "skipped (--no-medspacy)"
    for round_no in range(args.repeat):
        for name, run in runs.items():
            best[name] = max(best.get(name, 0.0), best_rate(run, n, 1))
        if not args.no_medspacy and (med is not None or round_no == 0):
            rate, med_note = medspacy_rate(texts, 1)
            med = max(med or 0.0, rate) if rate is not None else None
    qa, bare = best["qa"], best["bare"]
    rows: list[tuple[str, float | None, str]] = [
        ("reporting QA (check_many, all checks)", qa, "one process, NLP included"),
        ("  of which NLP (nlp.analyze_many)", best["nlp"], ""),
        ("  of which checks (run_checks)", best["checks"], ""),
        ('spacy.blank("en") tokenisation', bare, f"spaCy {spacy.__version__}"),
        ("medspaCy", med, med_note),
    ]
    cli: float | None = None
    med_proc: float | None = None
    cli_big: float | None = None
    med_big: float | None = None
    spacy_s: float | None = None
    big: list[dict] = []
    if not args.no_cli:
        if args.cli_scale > 1:
            big = [
                {**r, "id": f"{r.get('id', i)}-{k}"}
                for k in range(args.cli_scale)
                for i, r in enumerate(records)
            ]
        # Processes interleave too (start-up is what is measured here, and it is noisy).
        with tempfile.TemporaryDirectory() as tmp:
            src = write_records(Path(tmp), records)
            src_big = write_records(Path(tmp), big, "big.jsonl") if big else None
            cli_note = med_proc_note = ""
            for _ in range(args.repeat):
                spacy_s = min(spacy_s or 1e9, import_seconds("spacy"))
                rate, cli_note = cli_rate(src, n)
                cli = None if rate is None else max(cli or 0.0, rate)
                if not args.no_medspacy:
                    rate, med_proc_note = medspacy_process_rate(texts)
                    med_proc = None if rate is None else max(med_proc or 0.0, rate)
            rows.append(("reporting qa CLI", cli, cli_note))
            if not args.no_medspacy:
                rows.append(("medspaCy process", med_proc, med_proc_note))
            if src_big is not None:
                cli_big, note = cli_rate(src_big, len(big))
                rows.append((f"reporting qa CLI, {len(big):,} reports", cli_big, note))
                if not args.no_medspacy:
                    med_big, note = medspacy_process_rate(
                        [r.text for r in reports] * args.cli_scale
                    )
                    rows.append((f"medspaCy process, {len(big):,} reports", med_big, note))

    print(f"QA speed: {n} IU chest radiograph reports, best of {args.repeat} interleaved rounds")
    print(f"{'pipeline':40} {'reports/s':>10}  note")
    for name, rate, note in rows:
        shown = f"{rate:10.0f}" if rate is not None else f"{'n/a':>10}"
        print(f"{name:40} {shown}  {note}")
    print()
    print("reference (../shared/data/README.md): medspaCy ~630/s, bare tokenisation ~3,000/s")
    if med:
        print(f"QA / medspaCy: {qa / med:.2f}x (target >= 2.5x)")
    else:
        print("QA / medspaCy: n/a (medspaCy did not run; see the note above)")
    print(f"QA / bare tokenisation: {qa / bare:.2f} (target >= 0.5)")
    if cli and med_proc:
        print(f"CLI / medspaCy, both with start-up: {cli / med_proc:.2f}x")
    if cli and med:
        print(f"CLI with start-up / medspaCy without: {cli / med:.2f}x (target >= 2.5x)")
        if spacy_s is not None:
            budget = n / (2.5 * med)
            print(
                f"  that target leaves {budget:.2f} s for the whole CLI run on {n} reports; "
                f"'import spacy' alone takes {spacy_s:.2f} s and bare tokenisation "
                f"{n / bare:.2f} s"
            )
    if cli_big and med_big:
        print(f"CLI / medspaCy, both with start-up, {len(big):,} reports: {cli_big / med_big:.2f}x")
    if cli_big and med:
        print(f"CLI with start-up on {len(big):,} reports / medspaCy without: {cli_big / med:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

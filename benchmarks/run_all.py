"""Run every benchmark in turn (``make bench``) and print each one's table with its baseline.

Each benchmark is its own script so it can be run alone; this runner only sequences them and
reports which failed.  Pass names to run a subset: ``python benchmarks/run_all.py qa_eval``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (script, extra arguments) in the order they run; cheap and self-contained first.
BENCHMARKS: list[tuple[str, list[str]]] = [
    ("negex_eval", []),
    ("nlp_speed", []),
    ("qa_eval", []),
    ("qa_speed", []),
    ("batch_speed", []),
    ("corrector_eval", []),
    ("dictation_eval", []),
    ("prompt_skip_eval", []),
    ("command_eval", []),
    ("field_eval", []),
    ("opposite_eval", []),
    # the same dictations through the TUI's live path, replayed in real time (about 14 min)
    ("field_eval", ["--live", "--voices", "held-out"]),
    ("short_eval", []),
    ("long_eval", []),
    ("voice_difficulty", []),
    ("tui_latency", []),
]


def main(argv: list[str]) -> int:
    wanted = set(argv)
    failed: list[str] = []
    for name, args in BENCHMARKS:
        if wanted and name not in wanted:
            continue
        script = HERE / f"{name}.py"
        if not script.exists():
            print(f"== {name}: missing ({script.name})", flush=True)
            failed.append(name)
            continue
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script), *args], cwd=HERE.parent)
        took = time.perf_counter() - started
        print(
            f"== {name}: {'ok' if result.returncode == 0 else 'FAILED'} in {took:.0f} s", flush=True
        )
        if result.returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

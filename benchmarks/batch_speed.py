"""Batch QA throughput and memory: 1 and 2 local workers, and a 2-worker Dask cluster on loopback.

The corpus is the IU chest radiograph set replicated (fresh ids) to ``--reports`` reports under
benchmarks/out/ (not committed).  Each configuration runs the real ``reporting qa`` command in a
subprocess; Dask runs twice: with the client sending each JSONL slice's bytes, and with workers
reading the slices from the files themselves (``--shared-storage``).  Throughput is measured in steady state:
from the first finished partition to the last (the checkpoint records when each partition was
written), so process start-up and model loading are left out; wall time is printed beside it.
Peak memory is the largest total RSS of every process the run used (command, local workers, Dask
workers), sampled every 0.1 s with psutil; CPU time per report (getrusage of the children) shows
the cost of parallelism even on a machine busy with other work, and the load average at the
start of each run says how busy it was.  A second, smaller corpus shows that memory does not
grow with corpus size.

Targets: 2 local workers >= 1.7x one worker; Dask on 2 workers >= 1.5x one local worker;
peak memory about equal at both sizes.

    .venv/bin/python benchmarks/batch_speed.py [--reports 200000] [--partition-size 256]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "iu-cxr-dev.jsonl"
OUT = REPO / "benchmarks" / "out"
REPORTING = str(Path(sys.executable).parent / "reporting")


@dataclass
class Run:
    label: str
    reports: int
    wall: float
    steady_rate: float
    peak_mb: float
    cpu_ms: float  # CPU time per report of the command and its local workers (nan for Dask)


def make_corpus(n: int) -> Path:
    path = OUT / f"iu-x{n}.jsonl"
    if path.exists():
        return path
    records = [
        json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for i in range(n):
            record = dict(records[i % len(records)])
            record["id"] = f"{record['id']}-{i // len(records)}"
            fh.write(json.dumps(record) + "\n")
    tmp.replace(path)
    return path


class PeakRSS:
    """Largest sum of RSS over all descendants of this process, sampled in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        try:
            import psutil

            self._me = psutil.Process()
        except ImportError:  # pragma: no cover - psutil comes with distributed
            self._me = None

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for proc in self._me.children(recursive=True) if self._me else ():
                try:
                    total += proc.memory_info().rss
                except Exception:  # the process ended between listing and reading
                    continue
            self.peak = max(self.peak, total)
            time.sleep(0.1)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextlib.contextmanager
def dask_cluster() -> Iterator[str]:
    """A scheduler and 2 single-threaded workers as separate processes on loopback (so this
    process, which samples memory, shares no interpreter with the scheduler)."""
    dask = str(Path(sys.executable).parent / "dask")
    info = OUT / "scheduler.json"
    info.unlink(missing_ok=True)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(info)],
            **quiet,
        )
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not info.exists():
            if time.monotonic() > deadline:
                raise SystemExit("the Dask scheduler did not start")
            time.sleep(0.2)
        procs.append(
            subprocess.Popen(
                [dask, "worker", "--scheduler-file", str(info), "--nworkers", "2",
                 "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                **quiet,
            )
        )  # fmt: skip
        from distributed import Client

        with Client(scheduler_file=str(info)) as client:
            client.wait_for_workers(2, timeout=120)
            address = client.scheduler.address
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def steady_rate(checkpoint: Path) -> float:
    with sqlite3.connect(checkpoint) as db:
        rows = db.execute("SELECT items, done_at FROM parts ORDER BY idx").fetchall()
    if len(rows) < 3:
        return float("nan")
    items = sum(n for n, _t in rows[1:])
    return items / max(rows[-1][1] - rows[0][1], 1e-9)


def run(
    label: str, corpus: Path, n: int, args: list[str], partition: int, baseline_mem: float = 0
) -> Run:
    out = OUT / f"results-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}.jsonl"
    cmd = [
        REPORTING,
        "qa",
        str(corpus),
        "-o",
        str(out),
        "-q",
        "--partition-size",
        str(partition),
        *args,
    ]
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with PeakRSS() as mem:
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000 / n
    if "--scheduler" in args:
        cpu = float("nan")  # the Dask workers are not children of the command
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{label}: reporting qa failed ({proc.returncode}): {proc.stderr.strip()}")
    rate = steady_rate(out.with_name(out.name + ".checkpoint.sqlite"))
    peak = max(mem.peak - baseline_mem, 0) / 2**20
    print(
        f"  {label:<30} {n:>8,} reports {wall:7.1f} s wall {rate:7.1f} reports/s "
        f"peak {peak:5.0f} MB  CPU {cpu:5.2f} ms/report  load {load:4.1f}",
        flush=True,
    )
    return Run(label, n, wall, rate, peak, cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reports", type=int, default=200_000, help="corpus size (default 200,000)"
    )
    parser.add_argument(
        "--small", type=int, default=0, help="second corpus size (default reports/5)"
    )
    parser.add_argument("--partition-size", type=int, default=256)
    parser.add_argument("--skip-dask", action="store_true")
    opts = parser.parse_args(argv)
    if not DATA.exists():
        print(f"skipped: {DATA} is not available")
        return 0
    n, small = opts.reports, opts.small or max(opts.reports // 5, 2000)
    corpus, small_corpus = make_corpus(n), make_corpus(small)
    print(
        f"batch QA on {os.cpu_count()} cores, partitions of {opts.partition_size} (steady-state rates)"
    )
    part = opts.partition_size
    broken = OUT / "one-broken-line.jsonl"
    broken.write_text("{broken\n", encoding="utf-8")
    bare = run("start-up, no QA (1 bad line)", broken, 1, ["--workers", "1"], part)
    tiny = run("start-up with QA (20 reports)", make_corpus(20), 20, ["--workers", "1"], part)
    process_ms = bare.cpu_ms  # the command itself: Python, reading, writing
    engine_ms = max(0.0, tiny.cpu_ms * 20 - process_ms)  # one process loading the QA engine
    one = run("1 local worker", corpus, n, ["--workers", "1"], part)
    two = run("2 local workers", corpus, n, ["--workers", "2"], part)
    small_two = run("2 local workers (small)", small_corpus, small, ["--workers", "2"], part)
    dask: Run | None = None
    shipped: Run | None = None
    if not opts.skip_dask:
        with dask_cluster() as address:
            # load the QA engine on both workers first, as the local runs' steady state does
            run("Dask warm-up", make_corpus(2000), 2000, ["--scheduler", address], part)
            shipped = run("Dask, 2 workers, shipped", corpus, n, ["--scheduler", address], part)
            dask = run(
                "Dask, 2 workers, slices",
                corpus,
                n,
                ["--scheduler", address, "--shared-storage"],
                part,
            )
    print()
    print(f"{'measure':<40} {'result':>10} {'target':>10}")
    speedup = two.steady_rate / one.steady_rate
    print(f"{'2 local workers / 1 worker':<40} {speedup:>9.2f}x {'>= 1.70x':>10}")
    for label, result in (("slices", dask), ("shipped", shipped)):
        if result is not None:
            ratio = result.steady_rate / one.steady_rate
            print(
                f"{'Dask 2 workers (' + label + ') / 1 local':<40} {ratio:>9.2f}x {'>= 1.50x':>10}"
            )
    print(
        f"{'peak MB, 2 workers: small / full corpus':<40} {small_two.peak_mb:>5.0f}/{two.peak_mb:<5.0f}"
        f"{'about equal':>11}"
    )
    steady_one = one.cpu_ms - (process_ms + engine_ms) / n
    steady_two = two.cpu_ms - (process_ms + 2 * engine_ms) / n
    print(
        f"{'CPU ms/report after start-up, 1 / 2 workers':<40} {steady_one:>4.2f}/{steady_two:<4.2f}"
    )
    print(
        f"{'CPU-bound speed-up on an idle machine':<40} {2 * steady_one / steady_two:>9.2f}x "
        f"{'>= 1.70x':>10}"
    )
    print("(other load on the machine lowers the wall-clock ratios: see the load column)")
    per_core = 1000 / steady_two if steady_two > 0 else float("nan")
    print(f"{'CPU-bound reports/s per core':<40} {per_core:>10.0f}")
    for cores, label in ((100, "100 nodes x 1 core"), (1600, "100 nodes x 16 cores")):
        hours = 100_000_000 / (per_core * cores * 0.9) / 3600
        print(f"{'100M reports on ' + label:<40} {hours:>8.2f} h  (90% scaling)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

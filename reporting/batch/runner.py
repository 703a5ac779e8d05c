"""The batch runner: stream items in partitions to an executor and write results in input order.

Executors: the calling process (1 worker), a local process pool, or a Dask distributed cluster.
Each keeps a bounded number of partitions in flight and returns results in submission order, so
memory is flat and the output is the same whichever executor ran it.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Protocol

from reporting.batch.checkpoint import Checkpoint, checkpoint_path, fingerprint
from reporting.batch.output import LineSink
from reporting.batch.progress import Progress
from reporting.batch.stats import Stats
from reporting.batch.worker import PartitionResult, WorkOptions, init_worker, process_partition
from reporting.errors import BatchError
from reporting.ingest import IngestOptions, ItemStream, Slice
from reporting.ingest.items import Item

__all__ = ["BatchOptions", "BatchOutcome", "run_batch", "default_workers"]

log = logging.getLogger(__name__)

Partition = tuple[int, list[Item] | Slice]


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class BatchOptions:
    """One batch run: how to read, how to check, where to run.

    ``workers`` local processes (1 = in this process) unless ``scheduler`` names a Dask
    scheduler (``tcp://host:port``); ``in_flight`` bounds the partitions submitted at once
    (default twice the worker count); ``resume`` continues from the checkpoint.
    Uncompressed JSONL files go out in slices of about ``partition_size`` lines that workers
    parse themselves (other formats as parsed reports); ``worker_reads``: workers read the slices
    from the files rather than receiving their bytes (default: yes for local workers; for Dask
    only when every worker sees the same paths).
    """

    ingest: IngestOptions = field(default_factory=IngestOptions)
    work: WorkOptions = field(default_factory=WorkOptions)
    workers: int = 1
    scheduler: str | None = None
    partition_size: int = 256
    in_flight: int | None = None
    resume: bool = False
    worker_reads: bool | None = None

    @property
    def ship_bytes(self) -> bool:
        """Slices carry their bytes (the workers cannot see the input files)."""
        if self.worker_reads is not None:
            return not self.worker_reads
        return self.scheduler is not None

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise BatchError("workers must be at least 1")
        if self.partition_size < 1:
            raise BatchError("partition size must be at least 1")

    def settings(self) -> dict[str, Any]:
        """What must not change between a run and its resumption."""
        work = self.work
        return {
            "ingest": asdict(self.ingest),
            "checker": work.checker if isinstance(work.checker, str) else repr(work.checker),
            "max_chars": work.max_chars,
            "redact": work.redact,
            "partition_size": self.partition_size,
        }


@dataclass
class BatchOutcome:
    stats: Stats
    elapsed: float
    new_reports: int
    partitions: int
    skipped_partitions: int
    warnings: list[tuple[str, str]]
    interrupted: bool = False
    #: where the JSONL results are (``out``, or a temporary spool the caller deletes)
    results: Path | None = None
    executor: str = ""


class Executor(Protocol):
    description: str

    def map_ordered(self, parts: Iterator[Partition]) -> Iterator[PartitionResult]: ...

    def close(self) -> None: ...


class InlineExecutor:
    description = "1 worker"

    def __init__(self, work: WorkOptions) -> None:
        self.work = work

    def map_ordered(self, parts: Iterator[Partition]) -> Iterator[PartitionResult]:
        for index, items in parts:
            yield process_partition(index, items, self.work)

    def close(self) -> None:
        return None


class PoolExecutor:
    def __init__(self, work: WorkOptions, workers: int, in_flight: int | None) -> None:
        self.work = work
        self.description = f"{workers} local workers"
        self.in_flight = in_flight or 2 * workers
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, initializer=init_worker)

    def map_ordered(self, parts: Iterator[Partition]) -> Iterator[PartitionResult]:
        pending: deque[cf.Future[PartitionResult]] = deque()
        try:
            for index, items in parts:
                pending.append(self.pool.submit(process_partition, index, items, self.work))
                while len(pending) >= self.in_flight:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except cf.process.BrokenProcessPool:
            raise BatchError(
                "a worker process died (out of memory?); results so far are kept, "
                "continue with --resume"
            ) from None
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    def __init__(self, work: WorkOptions, address: str, in_flight: int | None) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise BatchError(
                "--scheduler needs Dask: pip install 'reporting[dask]'", title="Missing dependency"
            ) from None
        try:
            self.client = Client(address, timeout="15s")
        except (OSError, TimeoutError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        threads = sum(self.client.nthreads().values()) or 1
        self.work = work
        self.in_flight = in_flight or 2 * threads
        self.description = f"Dask at {address}, {threads} worker thread(s)"

    def map_ordered(self, parts: Iterator[Partition]) -> Iterator[PartitionResult]:
        pending: deque[Any] = deque()
        try:
            for index, items in parts:
                pending.append(
                    self.client.submit(process_partition, index, items, self.work, pure=False)
                )
                while len(pending) >= self.in_flight:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
        finally:
            for future in pending:
                future.cancel()

    @staticmethod
    def _result(future: Any) -> PartitionResult:
        try:
            result = future.result()
        except (OSError, TimeoutError) as exc:
            raise BatchError(f"lost the Dask cluster: {exc}; continue with --resume") from None
        except Exception as exc:  # KilledWorker and friends: the run stops, results so far stay
            raise BatchError(
                f"a Dask worker failed ({type(exc).__name__}: {exc}); continue with --resume"
            ) from None
        assert isinstance(result, PartitionResult)
        return result

    def close(self) -> None:
        self.client.close()


def make_executor(options: BatchOptions) -> Executor:
    work = replace(options.work, ingest=options.ingest)
    if options.scheduler:
        return DaskExecutor(work, options.scheduler, options.in_flight)
    if options.workers == 1:
        return InlineExecutor(work)
    return PoolExecutor(work, options.workers, options.in_flight)


class _Partitioner:
    """Cut the input into numbered partitions (item chunks or file slices), skipping those
    already done; remembers how far into the input each partition reaches (for progress)."""

    def __init__(self, stream: ItemStream, size: int, skip: int, *, ship_bytes: bool) -> None:
        self.stream = stream
        self.size = size
        self.skip = skip
        self.ship_bytes = ship_bytes
        self.bytes_at: dict[int, int] = {}
        self._index = 0

    def __iter__(self) -> Iterator[Partition]:
        units = self.stream.units(slice_lines=self.size, attach=self.ship_bytes)
        chunk: list[Item] = []
        for unit in units:
            if isinstance(unit, Slice):
                if chunk:
                    yield from self._emit(chunk, self.stream.bytes_done)
                    chunk = []
                yield from self._emit(unit, self.stream.bytes_before_current + unit.end)
                continue
            chunk.append(unit)
            if len(chunk) >= self.size:
                yield from self._emit(chunk, self.stream.bytes_done)
                chunk = []
        if chunk:
            yield from self._emit(chunk, self.stream.bytes_done)

    def _emit(self, unit: list[Item] | Slice, position: int) -> Iterator[Partition]:
        index = self._index
        self._index += 1
        if index < self.skip:
            return
        self.bytes_at[index] = position
        yield index, unit


def run_batch(
    paths: list[str] | list[Path],
    *,
    options: BatchOptions,
    out: Path | None = None,
    echo: IO[str] | None = None,
    progress: Progress | None = None,
    spool: bool = False,
) -> BatchOutcome:
    """Check every report in ``paths``; write JSONL results to ``out`` (and/or ``echo``).

    Without ``out``, ``spool`` keeps the results in a temporary file (for CSV/Parquet).  Returns the
    merged statistics; a Ctrl-C returns with ``interrupted`` set and the output cut back to the
    last whole partition.
    """
    import io
    import tempfile

    from reporting.batch.checkpoint import ResumeState

    executor = make_executor(options)  # fails (unreachable cluster) before any output is touched
    stream = ItemStream(paths, options=options.ingest)
    checkpoint: Checkpoint | None = None
    sink: LineSink | None = None
    target: Path | None = None
    state = ResumeState()
    stats = Stats()
    progress = progress or Progress(io.StringIO(), enabled=False, total_bytes=0)
    items_done = 0
    partitions = 0
    interrupted = False
    try:
        if out is not None:
            checkpoint = Checkpoint(checkpoint_path(out))
            state = checkpoint.start(fingerprint(paths, options.settings()), resume=options.resume)
            target = out
        elif spool:
            fd, name = tempfile.mkstemp(prefix="reporting-qa-", suffix=".jsonl")
            os.close(fd)
            target = Path(name)
        stats = state.stats or Stats()
        progress.total_bytes = stream.bytes_total
        progress.resume_from(state.items)
        sink = LineSink(target, state.out_end, echo=echo)
        if state.partitions:
            log.info("resuming after %d partitions (%d reports)", state.partitions, state.items)
        items_done = state.items
        parts = _Partitioner(
            stream, options.partition_size, state.partitions, ship_bytes=options.ship_bytes
        )
        for result in executor.map_ordered(iter(parts)):
            end = sink.write(result.lines)
            room = max(0, 1000 - len(stream.warnings))
            stream.warnings.extend(result.warnings[:room])
            stats.merge(Stats.from_json(result.stats))
            if checkpoint is not None:
                checkpoint.record(result.index, len(result.lines), end, stats)
            items_done += len(result.lines)
            partitions += 1
            progress.update(items_done, parts.bytes_at.pop(result.index, 0), stats.errors)
        if checkpoint is not None:
            checkpoint.finish()
    except KeyboardInterrupt:
        interrupted = True
        if sink is not None:
            sink.rollback()
    finally:
        try:
            executor.close()
        except KeyboardInterrupt:
            interrupted = True
        progress.close()
        if sink is not None:
            sink.close()
        if checkpoint is not None:
            checkpoint.close()
    outcome = BatchOutcome(
        stats=stats,
        elapsed=progress.elapsed,
        new_reports=items_done - state.items,
        partitions=partitions,
        skipped_partitions=state.partitions,
        warnings=list(stream.warnings),
        interrupted=interrupted,
        results=target,
        executor=executor.description,
    )
    return outcome

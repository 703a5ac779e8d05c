"""Run a function over items a few at a time and take the results in the items' order.

    for done in in_order(transcribe_file, paths, workers=2):
        text = done.result()  # raises what transcribe_file raised for that path

The items are drawn lazily, at most twice ``workers`` ahead of the result being taken, so a
generator (utterances cut from a stream) is not run far ahead of the work; when the caller
stops early, the items not yet started are cancelled.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

__all__ = ["in_order"]

T = TypeVar("T")
R = TypeVar("R")


def in_order(func: Callable[[T], R], items: Iterable[T], *, workers: int) -> Iterator[Future[R]]:
    """The future of ``func(item)`` for each of ``items``, in order, ``workers`` running at
    once (one: each runs in a thread of its own in turn)."""
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="in-order") as pool:
        try:
            for item in items:
                pending.append(pool.submit(func, item))
                if len(pending) >= 2 * workers:
                    done = pending.popleft()
                    done.exception()  # wait for it
                    yield done
            while pending:
                done = pending.popleft()
                done.exception()
                yield done
        finally:
            for future in pending:
                future.cancel()

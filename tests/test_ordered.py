"""``reporting.ordered.in_order``: results in the items' order, however the work finishes."""

from __future__ import annotations

import threading
import time

import pytest

from reporting.ordered import in_order


def test_results_come_in_order_with_at_most_the_workers_running_and_errors_kept() -> None:
    running = most = 0
    lock = threading.Lock()

    def slow_first(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.2 if n == 0 else 0.02)
            if n == 3:
                raise ValueError("item 3 is broken")
            return n * n
        finally:
            with lock:
                running -= 1

    done = list(in_order(slow_first, range(6), workers=2))
    assert most == 2
    assert [d.result() for d in done[:3]] == [0, 1, 4]
    with pytest.raises(ValueError, match="item 3"):
        done[3].result()
    assert [d.result() for d in done[4:]] == [16, 25]


def test_items_are_drawn_a_few_ahead_and_the_rest_cancelled_when_the_caller_stops() -> None:
    drawn = []

    def items():
        for n in range(100):
            drawn.append(n)
            yield n

    results = in_order(lambda n: n, items(), workers=2)
    assert next(results).result() == 0
    assert len(drawn) <= 5  # at most twice the workers ahead
    results.close()
    assert len(drawn) <= 5

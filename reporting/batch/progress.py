"""Progress bar on stderr (rate, ETA) and the final one-screen summary.

The bar draws only when enabled and the stream is a terminal; ETA comes from the share of input
bytes read, so no pre-count of reports is needed.
"""

from __future__ import annotations

import time
from typing import IO

from reporting.batch.stats import Stats

__all__ = ["Progress", "format_summary"]


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"


class Progress:
    def __init__(
        self, stream: IO[str], *, enabled: bool, total_bytes: int, width: int = 24
    ) -> None:
        self.stream = stream
        isatty = getattr(stream, "isatty", None)
        self.enabled = enabled and bool(isatty and isatty())
        self.total_bytes = total_bytes
        self.width = width
        self.started = time.monotonic()
        self.base_items = 0
        self.items = 0
        self.errors = 0
        self._last_draw = 0.0

    def resume_from(self, items: int) -> None:
        self.base_items = items
        self.items = items

    def update(self, items: int, bytes_done: int, errors: int, *, force: bool = False) -> None:
        self.items = items
        self.errors = errors
        now = time.monotonic()
        if not self.enabled or (not force and now - self._last_draw < 0.2):
            return
        self._last_draw = now
        elapsed = max(now - self.started, 1e-6)
        rate = (items - self.base_items) / elapsed
        share = min(1.0, bytes_done / self.total_bytes) if self.total_bytes else 0.0
        filled = int(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        eta = "--:--:--"
        if 0 < share < 1:
            eta = _duration(elapsed * (1 - share) / share)
        elif share >= 1:
            eta = _duration(0)
        line = (
            f"\r[{bar}] {share:4.0%}  {items:,} reports  {rate:,.0f}/s  ETA {eta}"
            f"  errors {errors:,}"
        )
        self.stream.write(line.ljust(79))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


def format_summary(
    stats: Stats,
    *,
    elapsed: float,
    new_reports: int,
    workers: str,
    outputs: list[str],
    warnings: int = 0,
    interrupted: bool = False,
) -> str:
    """A short plain-text summary of a run (fits one screen)."""
    rate = new_reports / elapsed if elapsed > 0 else 0.0
    head = "interrupted" if interrupted else "done"
    lines = [
        f"reporting qa {head}: {stats.reports:,} reports ({new_reports:,} this run in "
        f"{elapsed:.1f} s, {rate:,.0f}/s, {workers})",
    ]
    share = stats.flagged / stats.checked if stats.checked else 0.0
    lines.append(
        f"  checked {stats.checked:,}   unreadable {stats.errors:,}   "
        f"flagged {stats.flagged:,} ({share:.1%})   issues {stats.issues:,}"
    )
    if stats.by_severity:
        sev = ", ".join(
            f"{stats.by_severity[s][0]:,} {s}"
            for s in ("error", "warning", "info")
            if s in stats.by_severity
        )
        lines.append(f"  by severity: {sev}")
    top = sorted(stats.by_code.items(), key=lambda kv: (-kv[1][1], kv[0]))[:8]
    if top:
        lines.append("  most frequent:")
        per = 10000 / stats.checked if stats.checked else 0.0
        for code, (sev, n, _r) in top:
            lines.append(f"    {code:<32} {sev:<8} {n:>9,}  ({n * per:,.1f} per 10,000 reports)")
    if stats.error_kinds:
        kinds = sorted(stats.error_kinds.items(), key=lambda kv: -kv[1])[:4]
        lines.append("  unreadable: " + "; ".join(f"{k} ({n:,})" for k, n in kinds))
    if warnings:
        lines.append(
            f"  {warnings:,} input warning(s), e.g. text decoded as Latin-1 (details with --log)"
        )
    if interrupted:
        lines.append("  results so far are complete lines; continue with --resume")
    for out in outputs:
        lines.append(f"  wrote {out}")
    return "\n".join(lines)

"""The QA dashboard: one self-contained HTML file (inline CSS, charts as base64 PNG).

Counts and rates per 10,000 checked reports by issue code and severity, by modality, procedure,
author and month (when the reports carry them), example sentences with the flagged span
highlighted, and the reasons inputs could not be read.  Every value from the data is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from reporting.batch.stats import Stats
from reporting.resources import atomic_write_text

__all__ = ["render_summary", "write_summary"]

_SEVERITY_COLOURS = {"error": "#c0392b", "warning": "#e67e22", "info": "#2e86c1"}
_TOP = 25

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:2em auto;
max-width:1100px;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
.meta{color:#666}.cards{display:flex;flex-wrap:wrap;gap:.8em;margin:1.2em 0}
.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:9em}
.card b{display:block;font-size:1.5em}table{border-collapse:collapse;width:100%;margin:.6em 0}
th,td{border-bottom:1px solid #eee;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
.sev{font-weight:600}.sev-error{color:#c0392b}.sev-warning{color:#b9650d}.sev-info{color:#2e86c1}
mark{background:#ffe08a;padding:0 .1em}img{max-width:100%}.note{color:#666;font-size:.9em}
"""


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[bool]) -> str:
    out = ["<table><thead><tr>"]
    out += [f"<th>{escape(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for value, is_num in zip(row, numeric, strict=True):
            if is_num:
                out.append(f'<td class="n">{_n(value)}</td>')
            else:
                out.append(f"<td>{value}</td>")  # already HTML
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="chart" src="data:image/png;base64,{data}">'


def _code_chart(stats: Stats) -> str:
    from matplotlib.figure import Figure

    rows = sorted(stats.by_code.items(), key=lambda kv: kv[1][1])[-20:]
    if not rows or not stats.checked:
        return ""
    fig = Figure(figsize=(9, 0.35 * len(rows) + 1.2))
    ax = fig.add_subplot()
    values = [n * 10000 / stats.checked for _c, (_s, n, _r) in rows]
    colours = [_SEVERITY_COLOURS.get(s, "#888") for _c, (s, _n, _r) in rows]
    ax.barh([c for c, _ in rows], values, color=colours)
    ax.set_xlabel("issues per 10,000 reports")
    ax.spines[["top", "right"]].set_visible(False)
    present = {s for _c, (s, _n, _r) in rows}
    for sev, colour in _SEVERITY_COLOURS.items():
        if sev in present:
            ax.bar(0, 0, color=colour, label=sev)
    ax.legend(loc="lower right", frameon=False)
    return _png(fig)


def _month_chart(stats: Stats) -> str:
    from matplotlib.figure import Figure

    months = sorted((k, v) for k, v in stats.groups.get("month", {}).items() if k != "(other)")
    if len(months) < 2:
        return ""
    fig = Figure(figsize=(9, 3))
    ax = fig.add_subplot()
    labels = [m for m, _ in months]
    rates = [v[2] * 10000 / v[0] if v[0] else 0 for _m, v in months]
    ax.plot(labels, rates, marker="o", color="#2e86c1")
    ax.set_ylabel("issues per 10,000 reports")
    ax.set_ylim(bottom=0)
    ax.tick_params(axis="x", labelrotation=45)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def _group_section(stats: Stats, group: str, title: str) -> str:
    table = stats.groups.get(group)
    if not table:
        return ""
    if group == "month":
        items = sorted(table.items())
    else:
        items = sorted(table.items(), key=lambda kv: (-kv[1][0], kv[0]))[:_TOP]
    rows = [
        [escape(value), r, f, f * 100 / r if r else 0, i * 10000 / r if r else 0]
        for value, (r, f, i) in items
    ]
    more = len(table) - len(items)
    note = f'<p class="note">{more:,} more not shown.</p>' if more > 0 else ""
    return (
        f"<h2>By {escape(title)}</h2>"
        + _table(
            [title, "reports", "flagged", "flagged %", "issues per 10,000"],
            rows,
            [False, True, True, True, True],
        )
        + note
    )


def _examples(stats: Stats) -> str:
    rows = []
    for code in sorted(stats.examples):
        for ex in stats.examples[code]:
            span = escape(ex.get("span", ""))
            if not span:  # the issue is about something absent: mark where it was expected
                span = "<span title='expected here'>\u2038</span>"
            sentence = (
                f"{escape(ex.get('before', ''))}<mark>{span}</mark>{escape(ex.get('after', ''))}"
            )
            sev = escape(str(ex.get("severity", "")))
            where = escape(str(ex.get("id") or ex.get("source") or ""))
            rows.append(
                [
                    f"{escape(code)}<br><span class='sev sev-{sev}'>{sev}</span>",
                    where,
                    escape(str(ex.get("section") or "")),
                    sentence,
                    escape(str(ex.get("message", ""))),
                ]
            )
    if not rows:
        return ""
    return "<h2>Examples of flagged sentences</h2>" + _table(
        ["issue", "report", "section", "sentence (flagged span highlighted)", "message"],
        rows,
        [False] * 5,
    )


def _errors(stats: Stats, *, redact: bool) -> str:
    if not stats.errors:
        return ""
    kinds = sorted(stats.error_kinds.items(), key=lambda kv: -kv[1])
    out = "<h2>Inputs that could not be checked</h2>" + _table(
        ["reason", "count"], [[escape(k), n] for k, n in kinds], [False, True]
    )
    if not redact and stats.error_examples:
        out += _table(
            ["source", "error"],
            [[escape(e["source"]), escape(e["error"])] for e in stats.error_examples],
            [False, False],
        )
    return out


def render_summary(
    stats: Stats,
    *,
    title: str = "Report QA summary",
    inputs: Sequence[str] = (),
    redact: bool = False,
    generated: dt.datetime | None = None,
) -> str:
    """The dashboard as one HTML string (no external resources)."""
    when = (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    checked = stats.checked
    per10k = stats.issues * 10000 / checked if checked else 0.0
    flagged_pct = stats.flagged * 100 / checked if checked else 0.0
    shown_inputs = ", ".join(Path(p).name for p in inputs[:5]) + (" ..." if len(inputs) > 5 else "")
    cards = [
        ("reports", _n(stats.reports)),
        ("checked", _n(checked)),
        ("could not be read", _n(stats.errors)),
        ("flagged", f"{_n(stats.flagged)} ({flagged_pct:.1f}%)"),
        ("issues", _n(stats.issues)),
        ("issues per 10,000", _n(per10k)),
    ]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p class='meta'>Generated {escape(when)}"
        + (f" from {escape(shown_inputs)}" if shown_inputs else "")
        + (". Examples are redacted (names, ids, dates)." if redact else ".")
        + "</p>",
        "<div class='cards'>",
        *[f"<div class='card'><b>{escape(v)}</b>{escape(k)}</div>" for k, v in cards],
        "</div>",
    ]
    if stats.by_code:
        by_code = sorted(stats.by_code.items(), key=lambda kv: (-kv[1][1], kv[0]))
        parts.append("<h2>Issues by code</h2>")
        parts.append(_code_chart(stats))
        parts.append(
            _table(
                [
                    "code",
                    "severity",
                    "issues",
                    "reports flagged",
                    "issues per 10,000",
                    "% of reports",
                ],
                [
                    [
                        escape(code),
                        f"<span class='sev sev-{escape(sev)}'>{escape(sev)}</span>",
                        n,
                        r,
                        n * 10000 / checked if checked else 0,
                        r * 100 / checked if checked else 0,
                    ]
                    for code, (sev, n, r) in by_code
                ],
                [False, False, True, True, True, True],
            )
        )
        parts.append("<h2>Issues by severity</h2>")
        parts.append(
            _table(
                ["severity", "issues", "reports", "issues per 10,000"],
                [
                    [escape(s), v[0], v[1], v[0] * 10000 / checked if checked else 0]
                    for s, v in sorted(stats.by_severity.items(), key=lambda kv: -_rank(kv[0]))
                ],
                [False, True, True, True],
            )
        )
    else:
        parts.append("<h2>Issues</h2><p>No issues were found.</p>")
    for group, label in (
        ("modality", "modality"),
        ("procedure", "procedure"),
        ("author", "author"),
    ):
        parts.append(_group_section(stats, group, label))
    if "month" in stats.groups:
        parts.append(_group_section(stats, "month", "month"))
        parts.append(_month_chart(stats))
    parts.append(_examples(stats))
    parts.append(_errors(stats, redact=redact))
    parts.append("</body></html>\n")
    return "".join(p for p in parts if p)


def _rank(severity: str) -> int:
    return {"error": 3, "warning": 2, "info": 1}.get(severity, 0)


def write_summary(path: Path, stats: Stats, **kwargs: Any) -> Path:
    """Render and write the dashboard atomically."""
    return atomic_write_text(path, render_summary(stats, **kwargs), mode=0o644)

"""Printable PDF export with reportlab.

A4 page: header block (patient, exam, study), the sections with their headings, a signature
block with status and time, "page X of Y" in the footer, and a diagonal DRAFT/PRELIMINARY
watermark on every page while the report is not final.  Text uses an embedded DejaVu Sans
(found in matplotlib's data or Debian's fonts-dejavu-core) so names like Müller^Zoë and signs
like × and µ print.  ``invariant`` mode and the injected clock make the bytes reproducible.
"""

from __future__ import annotations

import importlib.util
import io
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from reporting.errors import ExportError
from reporting.export.base import Clock, now
from reporting.export.common import display_name, format_datetime, narrative_sections, status_label
from reporting.export.text import header_lines, signature_line
from reporting.model import Report, Status

__all__ = ["to_pdf", "font_path"]

_FONT = "ReportingSans"
_FONT_BOLD = "ReportingSans-Bold"
_SYSTEM_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


def font_path(bold: bool = False) -> Path:
    """The DejaVu Sans TTF to embed: matplotlib's copy, else the system's; ExportError if none."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    candidates: list[Path] = []
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.submodule_search_locations:
        for base in spec.submodule_search_locations:
            candidates.append(Path(base) / "mpl-data" / "fonts" / "ttf" / name)
    candidates.extend(d / name for d in _SYSTEM_FONT_DIRS)
    for path in candidates:
        if path.is_file():
            return path
    raise ExportError(
        f"no Unicode font for the PDF: {name} not found (install matplotlib or fonts-dejavu-core)",
        title="Missing font",
    )


@cache
def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(_FONT, str(font_path())))
    pdfmetrics.registerFont(TTFont(_FONT_BOLD, str(font_path(bold=True))))
    from reportlab.lib.fonts import addMapping

    addMapping(_FONT, 0, 0, _FONT)
    addMapping(_FONT, 1, 0, _FONT_BOLD)
    addMapping(_FONT, 0, 1, _FONT)
    addMapping(_FONT, 1, 1, _FONT_BOLD)


def _para_text(text: str) -> str:
    return xml_escape(text).replace("\n", "<br/>")


def _styles() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("body", fontName=_FONT, fontSize=10.5, leading=14.5, spaceAfter=6)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=_FONT_BOLD, fontSize=15, leading=19, spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=9, textColor=colors.HexColor("#555555"), spaceAfter=8),
        "label": ParagraphStyle("label", parent=base, fontName=_FONT_BOLD, fontSize=9, leading=12, spaceAfter=0),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=12, spaceAfter=0),
        "heading": ParagraphStyle("heading", parent=base, fontName=_FONT_BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=3, textColor=colors.HexColor("#1F3A5F")),
        "body": base,
        "sign": ParagraphStyle("sign", parent=base, fontName=_FONT_BOLD, fontSize=10.5, spaceBefore=4),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, textColor=colors.HexColor("#555555")),
    }  # fmt: skip


def _story(report: Report, exported: str) -> list[Any]:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

    st = _styles()
    story: list[Any] = [
        Paragraph("Radiology Report", st["title"]),
        Paragraph(
            _para_text(f"{status_label(report.status)} · exported {exported}"), st["subtitle"]
        ),
    ]
    rows = [
        [Paragraph(_para_text(k), st["label"]), Paragraph(_para_text(v), st["cell"])]
        for k, v in header_lines(report)
    ]
    if rows:
        table = Table(rows, colWidths=[28 * mm, None], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F2F4F7")),
                    ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#C9CED6")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        story += [table, Spacer(1, 4 * mm)]
    for section in narrative_sections(report):
        heading = "" if section.name == "preamble" else section.title.upper()
        blocks = [
            Paragraph(_para_text(p), st["body"]) for p in section.text.split("\n\n") if p.strip()
        ]
        if heading:
            # keep a heading with its first paragraph
            story.append(KeepTogether([Paragraph(_para_text(heading), st["heading"]), *blocks[:1]]))
            story.extend(blocks[1:])
        else:
            story.extend(blocks)
    signature = [
        Spacer(1, 5 * mm),
        HRFlowable(width="100%", thickness=0.6, color=colors.HexColor("#888888")),
        Paragraph(_para_text(signature_line(report)), st["sign"]),
    ]
    if report.author and report.author != report.verifier:
        signature.append(
            Paragraph(_para_text(f"Reported by {display_name(report.author)}"), st["small"])
        )
    story.append(KeepTogether(signature))
    return story


def _canvas_class(report: Report) -> type:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    watermark = (
        "" if report.status in (Status.FINAL, Status.AMENDED) else report.status.value.upper()
    )
    footer_left = f"Report {report.id} · {status_label(report.status)}"
    who = display_name(report.patient.name)
    running = " · ".join(
        x
        for x in (
            who,
            f"ID {report.patient.id}" if report.patient.id else "",
            report.procedure.description,
        )
        if x
    )

    class NumberedCanvas(Canvas):
        """Defers each page so the footer can say "page X of Y"."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            if watermark:
                from reportlab.pdfbase.pdfmetrics import stringWidth

                diagonal = (width**2 + height**2) ** 0.5
                size = min(84.0, 0.6 * diagonal / max(stringWidth(watermark, _FONT_BOLD, 1), 1))
                self.setFillColor(colors.Color(0.85, 0.15, 0.15, alpha=0.13))
                self.setFont(_FONT_BOLD, size)
                self.translate(width / 2, height / 2)
                self.rotate(45)
                self.drawCentredString(0, -30, watermark)
                self.rotate(-45)
                self.translate(-width / 2, -height / 2)
            self.setFillColor(colors.HexColor("#666666"))
            self.setFont(_FONT, 8)
            self.setStrokeColor(colors.HexColor("#BBBBBB"))
            self.setLineWidth(0.4)
            self.line(18 * mm, 14 * mm, width - 18 * mm, 14 * mm)
            self.drawString(18 * mm, 10 * mm, footer_left)
            self.drawRightString(width - 18 * mm, 10 * mm, f"Page {self._pageNumber} of {total}")
            if self._pageNumber > 1 and running:
                self.drawString(18 * mm, height - 10 * mm, running)
                self.line(18 * mm, height - 11.5 * mm, width - 18 * mm, height - 11.5 * mm)
            self.restoreState()

    return NumberedCanvas


def to_pdf(report: Report, *, clock: Clock | None = None) -> bytes:
    """The report as PDF bytes (identical bytes for the same report and clock)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    _register_fonts()
    when = now(clock)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=17 * mm,
        bottomMargin=20 * mm,
        title="Radiology report",
        author="reporting",
        subject=f"Report {report.id}",
        creator="reporting",
        invariant=1,
    )
    try:
        doc.build(_story(report, format_datetime(when)), canvasmaker=_canvas_class(report))
    except (ValueError, KeyError) as exc:  # reportlab layout errors
        raise ExportError(f"report {report.id}: PDF layout failed: {exc}") from None
    return buffer.getvalue()

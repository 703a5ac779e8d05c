"""Helpers the structured readers share: section names for headings, PDF text, CDA narrative.

``section_name`` maps a heading as written (``"Procedure Findings"``) to a canonical section
name through the sections lexicon, trying shorter word tails (``"Findings"``); ``slug`` makes a
valid name from any title.  ``pdf_text`` runs ``pdftotext``; ``cda_sections`` reads the
narrative of a CDA document (no DTDs or entities are accepted).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from reporting.coding import SECTION_CODES, SECTION_NAMES
from reporting.errors import IngestError, ReportingError
from reporting.model import Section

__all__ = ["section_name", "slug", "pdf_text", "cda_sections", "LOINC_SECTIONS"]

log = logging.getLogger(__name__)

#: (code, scheme) of a CID 7001 heading -> our section name (first listed wins).
LOINC_SECTIONS: dict[tuple[str, str], str] = {}
for _name, _code in SECTION_CODES.items():
    LOINC_SECTIONS.setdefault((_code.value, _code.scheme), _name)
_BY_CODE = LOINC_SECTIONS


def section_name(title: str) -> str | None:
    from reporting.sectioning import canonical_section

    try:
        words = title.split()
        for k in range(len(words)):
            name = canonical_section(" ".join(words[k:]))
            if name:
                return name
    except ReportingError as exc:
        log.warning("section lexicon unavailable: %s", exc.title)
    return None


def slug(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
    if not slug:
        return "other"
    return slug if slug[0].isalpha() else f"section_{slug}"


def pdf_text(data: bytes, where: str) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        raise IngestError(
            f"{where}: the report is only an embedded PDF and pdftotext is not installed"
        )
    with tempfile.TemporaryDirectory(prefix="reporting-pdf-") as tmp:
        path = Path(tmp) / "report.pdf"
        path.write_bytes(data)
        try:
            run = subprocess.run(
                [tool, "-enc", "UTF-8", "-nopgbrk", str(path), "-"],
                capture_output=True, timeout=60, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise IngestError(f"{where}: pdftotext timed out on the embedded PDF") from None
    if run.returncode != 0:
        raise IngestError(
            f"{where}: the embedded PDF is unreadable (pdftotext exit {run.returncode})"
        )
    return run.stdout.decode("utf-8", errors="replace")


def cda_sections(xml_text: str, where: str) -> list[Section]:
    import xml.etree.ElementTree as ET

    if "<!DOCTYPE" in xml_text or "<!ENTITY" in xml_text:
        raise IngestError(
            f"{where}: the embedded CDA declares a DTD or entities; refusing to parse it"
        )
    try:
        root = ET.fromstring(xml_text.strip())
    except ET.ParseError as exc:
        raise IngestError(
            f"{where}: the embedded CDA document is not well-formed XML ({exc})"
        ) from None
    ns = "{urn:hl7-org:v3}"
    sections: list[Section] = []

    def walk(section: ET.Element) -> None:
        title_el = section.find(f"{ns}title")
        title = " ".join("".join(title_el.itertext()).split()) if title_el is not None else ""
        text_el = section.find(f"{ns}text")
        body = ""
        if text_el is not None:
            blocks = []
            for block in list(text_el) or [text_el]:
                pieces = [
                    "".join(el.itertext()).strip()
                    for el in block.iter()
                    if el.tag in (f"{ns}content", f"{ns}item", f"{ns}td")
                    and "".join(el.itertext()).strip()
                ]
                joined = (
                    "\n".join(pieces) if pieces else " ".join("".join(block.itertext()).split())
                )
                if joined.strip():
                    blocks.append(joined.strip())
            body = "\n\n".join(blocks)
        code_el = section.find(f"{ns}code")
        code = code_el.get("code", "") if code_el is not None else ""
        if body:
            name = _BY_CODE.get((code, "LN")) or section_name(title) or slug(title)
            sections.append(
                Section(name=name, title=title or SECTION_NAMES.get(name, name), text=body)
            )
        for child in section.findall(f"{ns}component/{ns}section"):
            walk(child)

    body = root.find(f"{ns}component/{ns}structuredBody")
    if body is not None:
        for sec in body.findall(f"{ns}component/{ns}section"):
            walk(sec)
    else:
        text = " ".join("".join(root.itertext()).split())
        if text:
            sections.append(Section(name="other", title="Report", text=text))
    if not sections:
        raise IngestError(f"{where}: the embedded CDA document has no narrative text")
    return sections

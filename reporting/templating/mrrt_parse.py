"""Read and validate IHE MRRT report templates (HTML5 + coded XML attributes).

The checks follow the MRRT profile and its XML schema: one ``<html>``, ``<head>`` and
``<body>``; in the head one non-empty ``<title>``, exactly one ``<meta charset>``, Dublin Core
``<meta name="dcterms.*">`` metadata and exactly one ``<script type="text/xml">`` holding exactly
one ``<template_attributes>``; declared ``<coding_schemes>`` with at least one entry; every
``<term>`` with exactly one ``<code>`` carrying ``meaning``, ``value`` and ``scheme``; exactly one
``<coded_content>``.  Every violation is listed in one :class:`TemplateError`.  Unclosed tags
inside the coded attributes (seen in real RadReport files) are read leniently.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from reporting.coding import Code
from reporting.errors import TemplateError
from reporting.sectioning import canonical_section

__all__ = ["MrrtField", "MrrtSection", "MrrtTemplate", "parse_mrrt", "slug"]

_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
}  # fmt: skip
_FIELD_TYPES = {
    "text": "text", "textarea": "text", "string": "text", "date": "text", "time": "text",
    "datetime": "text", "number": "number", "integer": "number", "numeric": "number",
    "checkbox": "checkbox", "boolean": "checkbox", "selection": "choice", "select": "choice",
    "choice": "choice", "radio": "choice", "list": "choice",
}  # fmt: skip
_STATUSES = {"DRAFT", "ACTIVE", "RETIRED"}

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- HTML tree
@dataclass
class _Node:
    tag: str
    attrs: dict[str, str | None]
    line: int
    children: list[_Node | str] = field(default_factory=list)
    parent: _Node | None = None

    def iter(self, tag: str | None = None) -> list[_Node]:
        found: list[_Node] = []
        for child in self.children:
            if isinstance(child, _Node):
                if tag is None or child.tag == tag:
                    found.append(child)
                found.extend(child.iter(tag))
        return found

    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text())
        return "".join(parts)

    def attr(self, name: str) -> str | None:
        return self.attrs.get(name)


class _TreeBuilder(HTMLParser):
    """A forgiving HTML tree: void elements never nest, unmatched end tags are ignored."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#document", {}, 0)
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k.lower(): v for k, v in attrs}, self.getpos()[0], parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k.lower(): v for k, v in attrs}, self.getpos()[0], parent=self.stack[-1])
        self.stack[-1].children.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


# --------------------------------------------------------------------------- parsed template
@dataclass(frozen=True)
class MrrtField:
    id: str
    html_id: str
    label: str
    type: str
    default: Any = None
    unit: str | None = None
    choices: tuple[str, ...] = ()
    trigger: str | None = None
    completion: str = "none"
    minimum: float | None = None
    maximum: float | None = None
    code: Code | None = None


@dataclass(frozen=True)
class MrrtSection:
    name: str
    title: str
    text: str
    fields: tuple[MrrtField, ...]


@dataclass(frozen=True)
class MrrtTemplate:
    source: str
    title: str
    metadata: dict[str, list[str]]
    status: str
    coding_schemes: dict[str, str]
    terms: tuple[tuple[str, Code], ...]
    coded_content: dict[str, tuple[Code, ...]]
    sections: tuple[MrrtSection, ...]

    @property
    def identifier(self) -> str:
        return (self.metadata.get("dcterms.identifier") or [""])[0]


def _problem_list(source: str, problems: list[str]) -> TemplateError:
    listed = "; ".join(problems)
    return TemplateError(f"{source}: not a valid IHE MRRT template: {listed}")


def _count(node: _Node, tag: str) -> int:
    return len(node.iter(tag))


def _check_head(doc: _Node, problems: list[str]) -> _Node | None:
    for tag in ("html", "head", "body"):
        n = _count(doc, tag)
        if n == 0:
            problems.append(f"there is no <{tag}> element")
        elif n > 1:
            problems.append(f"found {n} <{tag}> elements (exactly one is allowed)")
    heads = doc.iter("head")
    if not heads:
        return None
    head = heads[0]
    titles = head.iter("title")
    if not titles:
        problems.append("<head> has no <title> element")
    elif len(titles) > 1:
        problems.append(f"<head> has {len(titles)} <title> elements (exactly one is allowed)")
    elif not titles[0].text().strip():
        problems.append("<title> is empty")
    metas = head.iter("meta")
    charset = [m for m in metas if "charset" in m.attrs]
    if not charset:
        problems.append("<head> has no <meta charset=...> element")
    elif len(charset) > 1:
        lines = ", ".join(str(m.line) for m in charset)
        problems.append(
            f"{len(charset)} <meta> elements carry a charset attribute (lines {lines}); exactly one may"
        )
    if not any((m.attr("name") or "").lower().startswith("dcterms.") for m in metas):
        problems.append(
            '<head> has no Dublin Core metadata (<meta name="dcterms.title" ...> and the like)'
        )
    scripts = head.iter("script")
    if not scripts:
        problems.append(
            '<head> has no <script type="text/xml"> element holding the template attributes'
        )
    elif len(scripts) > 1:
        lines = ", ".join(str(s.line) for s in scripts)
        problems.append(
            f"<head> has {len(scripts)} <script> elements (lines {lines}); exactly one is allowed"
        )
    else:
        kind = (scripts[0].attr("type") or "").strip().lower()
        if kind != "text/xml":
            problems.append(
                f'the <script> element has type {kind or "(none)"!r}; MRRT requires type="text/xml"'
            )
        return scripts[0]
    return None


def _to_element(node: _Node) -> ET.Element:
    elem = ET.Element(node.tag, {k: v or "" for k, v in node.attrs.items()})
    elem.text = "".join(c for c in node.children if isinstance(c, str))
    for child in node.children:
        if isinstance(child, _Node):
            elem.append(_to_element(child))
    return elem


def _xml_root(script: _Node, source: str) -> ET.Element:
    """The script's XML; unclosed tags (seen in real RadReport files) are read tolerantly."""
    raw = script.text().strip()
    raw = re.sub(r"^\s*<!--", "", raw)
    raw = re.sub(r"-->\s*$", "", raw)
    try:
        return ET.fromstring(f"<script>{raw}</script>")
    except ET.ParseError as exc:
        log.info(
            "%s: template attributes are not well-formed XML (%s); reading them leniently",
            source,
            exc,
        )
    builder = _TreeBuilder()
    builder.feed(raw)
    builder.close()
    root = ET.Element("script")
    for child in builder.root.children:
        if isinstance(child, _Node):
            root.append(_to_element(child))
    return root


def _code(elem: ET.Element, where: str, problems: list[str]) -> Code | None:
    missing = [a for a in ("meaning", "value", "scheme") if not (elem.get(a) or "").strip()]
    if missing:
        shown = " ".join(f'{k}="{v}"' for k, v in elem.attrib.items()) or "no attributes"
        problems.append(f"{where}: <code {shown}> is missing the {', '.join(missing)} attribute(s)")
        return None
    return Code(
        elem.get("value", "").strip(),
        elem.get("scheme", "").strip(),
        elem.get("meaning", "").strip(),
    )


def _term_code(term: ET.Element, where: str, problems: list[str]) -> Code | None:
    codes = term.findall("code")
    if len(codes) != 1:
        what = "no <code> element" if not codes else f"{len(codes)} <code> elements"
        problems.append(f"{where} has {what} (a <term> needs exactly one)")
        return _code(codes[0], where, problems) if codes else None
    return _code(codes[0], where, problems)


def _check_attributes(root: ET.Element, problems: list[str]) -> tuple[str, dict[str, str],
                      list[tuple[str, Code]], dict[str, tuple[Code, ...]]]:  # fmt: skip
    attrs = root.findall("template_attributes")
    status = ""
    schemes: dict[str, str] = {}
    terms: list[tuple[str, Code]] = []
    content: dict[str, tuple[Code, ...]] = {}
    if len(attrs) != 1:
        problems.append(
            "the <script> holds no <template_attributes> element"
            if not attrs
            else f"the <script> holds {len(attrs)} <template_attributes> elements (exactly one is allowed)"
        )
        if not attrs:
            return status, schemes, terms, content
    ta = attrs[0]
    status_el = ta.find("status")
    if status_el is not None:
        status = (status_el.text or "").strip().upper()
        if status not in _STATUSES:
            problems.append(f"<status> is {status!r}; use DRAFT, ACTIVE or RETIRED")
    flag = ta.find("top-level-flag")
    if flag is not None and (flag.text or "").strip().lower() not in ("true", "false", "1", "0"):
        problems.append(f"<top-level-flag> is {(flag.text or '').strip()!r}; use true or false")
    declared = ta.findall("coding_schemes")
    for block in declared:
        entries = block.findall("coding_scheme")
        if not entries:
            problems.append(
                "<coding_schemes> has no <coding_scheme> element (at least one is required)"
            )
        for i, cs in enumerate(entries, 1):
            name, designator = (cs.get("name") or "").strip(), (cs.get("designator") or "").strip()
            if not name or not designator:
                problems.append(f"<coding_scheme> #{i} needs both name and designator attributes")
            else:
                schemes[name] = designator
    for i, term in enumerate(ta.findall("term"), 1):
        code = _term_code(term, f"template_attributes <term> #{i}", problems)
        if code is not None:
            terms.append(((term.get("type") or "").strip().lower(), code))
    blocks = ta.findall("coded_content")
    if len(blocks) != 1:
        problems.append(
            "<template_attributes> has no <coded_content> element"
            if not blocks
            else f"<template_attributes> has {len(blocks)} <coded_content> elements (exactly one is allowed)"
        )
    for block in blocks[:1]:
        for i, entry in enumerate(block.findall("entry"), 1):
            origin = (entry.get("ORIGTXT") or entry.get("origtxt") or "").strip()
            where = (
                f"<coded_content> <entry ORIGTXT={origin!r}>"
                if origin
                else f"<coded_content> <entry> #{i}"
            )
            if not entry.findall("term"):
                problems.append(f"{where} has no <term> element")
            codes = []
            for j, term in enumerate(entry.findall("term"), 1):
                code = _term_code(term, f"{where} <term> #{j}", problems)
                if code is not None:
                    codes.append(code)
            if origin and codes:
                content[origin] = tuple(codes)
    known = {s.lower() for s in schemes}
    if known:
        used = [c for _, c in terms] + [c for codes in content.values() for c in codes]
        for scheme in sorted({c.scheme for c in used if c.scheme.lower() not in known}):
            problems.append(f"code scheme {scheme!r} is used but not declared in <coding_schemes>")
    return status, schemes, terms, content


# --------------------------------------------------------------------------- body
def slug(text: str, fallback: str = "field") -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not slug:
        slug = fallback
    if not slug[0].isalpha():
        slug = f"f_{slug}"
    return slug[:60].rstrip("_")


def _number(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        return None


class _BodyReader:
    def __init__(
        self, body: _Node, content: dict[str, tuple[Code, ...]], problems: list[str]
    ) -> None:
        self.body = body
        self.content = content
        self.problems = problems
        self.labels: dict[str, str] = {}
        for label in body.iter("label"):
            target = label.attr("for")
            text = " ".join(label.text().split()).rstrip(":").strip()
            if target and text and target not in self.labels:
                self.labels[target] = text
        self.ids: set[str] = set()
        self.radio_groups: set[str] = set()

    def sections(self) -> list[MrrtSection]:
        tops = [s for s in self.body.iter("section") if not self._inside_section(s)]
        if not tops:
            self.problems.append("<body> has no <section> element")
        return [self._section(s) for s in tops]

    @staticmethod
    def _inside_section(node: _Node) -> bool:
        parent = node.parent
        while parent is not None:
            if parent.tag == "section":
                return True
            parent = parent.parent
        return False

    def _section(self, node: _Node) -> MrrtSection:
        name = (node.attr("data-section-name") or "").strip()
        headers = [h for h in node.children if isinstance(h, _Node) and h.tag == "header"]
        title = " ".join(headers[0].text().split()) if headers else ""
        if not name and not title:
            self.problems.append(
                f"<section> at line {node.line} has neither data-section-name nor <header>"
            )
        fields: list[MrrtField] = []
        texts: list[str] = []
        self._walk(node, [], fields, texts)
        text = "\n".join(t for t in texts if t)
        # The section name ("Procedure") makes a better report heading than a decorative header.
        heading = name if name and canonical_section(name) else (title or name)
        return MrrtSection(name or title, heading, text, tuple(fields))

    def _walk(
        self, node: _Node, path: list[str], fields: list[MrrtField], texts: list[str]
    ) -> None:
        for child in node.children:
            if isinstance(child, str):
                line = " ".join(child.split())
                if line:
                    texts.append(line)
                continue
            if child.tag in ("header", "label", "option", "script", "style"):
                continue
            if child.tag == "section":
                sub = (child.attr("data-section-name") or "").strip()
                headers = [h for h in child.children if isinstance(h, _Node) and h.tag == "header"]
                sub = " ".join(headers[0].text().split()) if headers else sub
                self._walk(child, [*path, sub] if sub else path, fields, texts)
                continue
            made = self._field(child, path)
            if made is not None:
                fields.append(made)
                continue
            self._walk(child, path, fields, texts)

    def _field(self, node: _Node, path: list[str]) -> MrrtField | None:
        if node.tag not in ("input", "select", "textarea"):
            return None
        kind = (node.attr("type") or "text").lower() if node.tag == "input" else node.tag
        if kind in ("hidden", "button", "submit", "reset", "image", "file"):
            return None
        html_id = (node.attr("id") or "").strip()
        name = (node.attr("name") or "").strip()
        where = f"<{node.tag}{' id=' + repr(html_id) if html_id else ''}> at line {node.line}"
        if kind == "radio":
            if not name or name in self.radio_groups:
                return None
            self.radio_groups.add(name)
        declared = (node.attr("data-field-type") or "").strip().lower()
        if declared and declared not in _FIELD_TYPES:
            self.problems.append(f"{where}: unknown data-field-type {declared!r}")
        ftype = _FIELD_TYPES.get(declared) or _FIELD_TYPES.get(kind, "text")
        label = self.labels.get(html_id) or name or html_id or "Field"
        full_label = " - ".join([*path, label]) if path else label
        default: Any = None
        choices: tuple[str, ...] = ()
        if node.tag == "textarea":
            default = node.text().strip() or None
        elif node.tag == "select":
            options = node.iter("option")
            choices = tuple(" ".join(o.text().split()) or (o.attr("value") or "") for o in options)
            chosen = [c for o, c in zip(options, choices, strict=True) if "selected" in o.attrs]
            default = chosen[0] if chosen else None
            if not choices:
                self.problems.append(f"{where}: <select> has no <option> elements")
        elif kind == "radio":
            group = [r for r in self.body.iter("input") if (r.attr("type") or "").lower() == "radio"
                     and (r.attr("name") or "").strip() == name]  # fmt: skip
            choices = tuple(
                self.labels.get((r.attr("id") or "").strip()) or (r.attr("value") or "")
                for r in group
            )
            picked = [c for r, c in zip(group, choices, strict=True) if "checked" in r.attrs]
            default = picked[0] if picked else None
            label = name
            full_label = " - ".join([*path, label]) if path else label
        elif kind == "checkbox" or ftype == "checkbox":
            default = "checked" in node.attrs
        else:
            value = node.attr("value")
            default = value.strip() if value and value.strip() else None
        unit = (node.attr("data-field-units") or "").strip() or None
        minimum, maximum = _number(node.attr("min")), _number(node.attr("max"))
        if ftype == "number":
            if default is not None:
                number = _number(str(default))
                if number is None:
                    self.problems.append(f"{where}: number field has non-numeric value {default!r}")
                default = int(number) if number is not None and number.is_integer() else number
        else:
            unit, minimum, maximum = None, None, None
        if ftype == "choice":
            choices = tuple(dict.fromkeys(c for c in choices if c))
            if not choices:
                ftype = "text"
            elif default is not None and default not in choices:
                default = None
        completion = (node.attr("data-field-completion-action") or "none").strip().lower()
        if completion not in ("prohibit", "alert", "none"):
            self.problems.append(
                f"{where}: data-field-completion-action {completion!r} is not PROHIBIT, ALERT or NONE"
            )
            completion = "none"
        trigger = (node.attr("data-field-verbal-trigger") or "").strip() or None
        field_id = slug(" ".join([*path, label]))
        base, n = field_id, 2
        while field_id in self.ids:
            field_id, n = f"{base}_{n}", n + 1
        self.ids.add(field_id)
        codes = self.content.get(html_id) or self.content.get(name) or ()
        return MrrtField(
            id=field_id,
            html_id=html_id,
            label=full_label,
            type=ftype,
            default=default,
            unit=unit,
            choices=choices,
            trigger=trigger,
            completion=completion,
            minimum=minimum,
            maximum=maximum,
            code=codes[0] if codes else None,
        )


def parse_mrrt(data: bytes | str, *, source: str = "<mrrt>") -> MrrtTemplate:
    """Parse and validate an MRRT document; every violation is listed in one TemplateError."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TemplateError(f"{source}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    else:
        text = data
    try:
        return _parse(text, source)
    except RecursionError:
        raise TemplateError(
            f"{source}: elements are nested too deeply to be a report template"
        ) from None


def _parse(text: str, source: str) -> MrrtTemplate:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    doc = builder.root
    problems: list[str] = []
    script = _check_head(doc, problems)
    status = ""
    schemes: dict[str, str] = {}
    terms: list[tuple[str, Code]] = []
    content: dict[str, tuple[Code, ...]] = {}
    if script is not None:
        root = _xml_root(script, source)
        status, schemes, terms, content = _check_attributes(root, problems)
    sections: list[MrrtSection] = []
    bodies = doc.iter("body")
    if bodies:
        sections = _BodyReader(bodies[0], content, problems).sections()
    if problems:
        raise _problem_list(source, problems)
    metadata: dict[str, list[str]] = {}
    for meta in doc.iter("meta"):
        name = (meta.attr("name") or "").strip()
        if name.lower().startswith("dcterms."):
            metadata.setdefault(name.lower(), []).append((meta.attr("content") or "").strip())
    title = " ".join(doc.iter("title")[0].text().split())
    return MrrtTemplate(
        source=source,
        title=title,
        metadata=metadata,
        status=status,
        coding_schemes=schemes,
        terms=tuple(terms),
        coded_content=content,
        sections=tuple(sections),
    )

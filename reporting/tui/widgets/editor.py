"""The report editor: one block per section with its field inputs and its text.

The section text (a TextArea) is the report; a field input edits its ``Label: value`` line in
that text, and typing in the text updates the inputs.  Every change is posted as
:class:`ReportEditor.Edited` for the screen to apply to the draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, TextArea

from reporting.model import Report
from reporting.tui.editing import offset_to_location, read_field, write_field

__all__ = ["ReportEditor", "SectionBlock", "FieldInput", "SectionText"]


class FieldInput(Input):
    """An input bound to one template field."""

    def __init__(self, section: str, field: Any, value: str, *, read_only: bool) -> None:
        placeholder = " / ".join(field.choices) if field.choices else (field.unit or "")
        super().__init__(
            value=value,
            placeholder=placeholder,
            id=f"field-{field.id}",
            type="number" if field.type == "number" and not field.unit else "text",
            disabled=read_only,
        )
        self.cursor_blink = False
        self.section = section
        self.field = field
        self.quiet = 0  # Changed events still to come from values the editor set

    def set_quietly(self, value: str) -> None:
        self.quiet += 1
        self.value = value


class SectionText(TextArea):
    def __init__(self, section: str, text: str, *, read_only: bool) -> None:
        super().__init__(
            text,
            id=f"text-{section}",
            soft_wrap=True,
            read_only=read_only,
            show_line_numbers=False,
            tab_behavior="focus",
        )
        self.cursor_blink = False  # a steady cursor: calmer to read beside, and reproducible
        self.section = section
        self.quiet = 0  # Changed events still to come from text the editor loaded

    def load_quietly(self, text: str) -> None:
        self.quiet += 1
        self.load_text(text)


class SectionBlock(Vertical):
    DEFAULT_CSS = """
    SectionBlock { height: auto; margin: 0 0 1 0; }
    SectionBlock > .section-title { text-style: bold; color: $accent; padding: 0 1; }
    SectionBlock > Horizontal { height: auto; }
    SectionBlock .field-label { width: 16; height: 1; padding: 0 1; color: $text-muted;
                                text-wrap: nowrap; text-overflow: ellipsis; }
    SectionBlock FieldInput { width: 1fr; height: 1; border: none; padding: 0 1;
                              background: $boost; }
    SectionBlock FieldInput:focus { border: none; background: $accent 25%; }
    SectionBlock SectionText { height: auto; min-height: 1; max-height: 14; border: none;
                               padding: 0 1 0 1; border-left: blank; background: $boost; }
    SectionBlock SectionText:focus { border: none; border-left: thick $accent;
                                     background: $accent 15%; }
    """

    def __init__(
        self, name: str, title: str, text: str, fields: list[Any], *, read_only: bool
    ) -> None:
        super().__init__(id=f"section-{name}")
        self.section = name
        self.heading = title
        self.body = text
        self.field_specs = fields
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        yield Label(self.heading.upper(), classes="section-title")
        for field in self.field_specs:
            with Horizontal():
                yield Label(field.label, classes="field-label")
                yield FieldInput(
                    self.section,
                    field,
                    read_field(self.body, field.label) or "",
                    read_only=self.read_only,
                )
        yield SectionText(self.section, self.body, read_only=self.read_only)


class ReportEditor(VerticalScroll):
    DEFAULT_CSS = """
    ReportEditor { height: 1fr; padding: 0 1 0 0; }
    """

    @dataclass
    class Edited(Message):
        """Section ``section`` now has ``text`` (``field`` set when a field input changed)."""

        section: str
        text: str
        field: str | None = None

    @dataclass
    class Moved(Message):
        """Focus moved to ``widget``: section ``section`` (and ``field``)."""

        section: str
        field: str | None
        widget: Widget

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.read_only = False

    def build(self, spec: Any, report: Report, *, read_only: bool) -> list[Widget]:
        """Blocks for ``report``'s sections, with ``spec``'s fields (spec may be None)."""
        self.read_only = read_only
        blocks: list[Widget] = []
        for sec in report.sections:
            sspec = spec.section(sec.name) if spec is not None else None
            fields = list(sspec.fields) if sspec is not None else []
            blocks.append(SectionBlock(sec.name, sec.title, sec.text, fields, read_only=read_only))
        return blocks

    async def load(self, spec: Any, report: Report, *, read_only: bool) -> None:
        await self.remove_children()
        await self.mount_all(self.build(spec, report, read_only=read_only))
        self.on_resize()

    def on_resize(self) -> None:
        """Field labels get up to a third of the width (all of each label when it fits)."""
        labels = list(self.query(".field-label"))
        if not labels:
            return
        longest = max(len(str(label.render())) for label in labels) + 2
        width = max(12, min(longest, self.size.width // 3, 28))
        for label in labels:
            label.styles.width = width

    # ---------------------------------------------------------------- lookup
    def text_area(self, section: str) -> SectionText | None:
        found = self.query(f"#text-{section}")
        return found.first(SectionText) if found else None

    def field_input(self, field_id: str) -> FieldInput | None:
        found = self.query(f"#field-{field_id}")
        return found.first(FieldInput) if found else None

    def targets(self) -> list[Widget]:
        """Fields and section texts in reading order (what next/previous field walks)."""
        return [w for w in self.query("FieldInput, SectionText") if not w.disabled]

    def where(self, widget: Widget | None) -> tuple[str, str | None] | None:
        if isinstance(widget, FieldInput):
            return widget.section, widget.field.id
        if isinstance(widget, SectionText):
            return widget.section, None
        return None

    # ---------------------------------------------------------------- changes from outside
    def sync(self, report: Report) -> None:
        """Show ``report``'s text in every section (keeping cursor positions where possible)."""
        for sec in report.sections:
            area = self.text_area(sec.name)
            if area is None:
                continue
            if area.text != sec.text:
                cursor = area.cursor_location
                area.load_quietly(sec.text)
                area.move_cursor(cursor)
            self._sync_fields(sec.name, sec.text)

    def _sync_fields(self, section: str, text: str) -> None:
        block = self.query_one(f"#section-{section}", SectionBlock)
        for field_input in block.query(FieldInput):
            value = read_field(text, field_input.field.label) or ""
            if field_input.value.strip() != value:
                field_input.set_quietly(value)

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        for area in self.query(SectionText):
            area.read_only = read_only
        for field_input in self.query(FieldInput):
            field_input.disabled = read_only

    def focus_target(self, section: str, field: str | None = None) -> tuple[str, str | None] | None:
        """Focus ``field`` (or the section's text).

        Returns the place whose focus event is now on its way, or None when no event will come
        (already focused, or nothing to focus).
        """
        widget: Widget | None = self.field_input(field) if field else None
        if widget is None:
            widget = self.text_area(section)
        if widget is None:
            return None
        self.scroll_to_widget(widget)
        if widget.has_focus:
            return None  # no focus event will follow
        widget.focus()
        return self.where(widget)

    def select_span(self, section: str, start: int, end: int) -> bool:
        """Select characters ``start..end`` of ``section``'s text and focus it."""
        area = self.text_area(section)
        if area is None:
            return False
        from textual.widgets.text_area import Selection

        area.focus()
        area.selection = Selection(
            offset_to_location(area.text, start), offset_to_location(area.text, max(start, end))
        )
        area.scroll_cursor_visible(center=True)
        self.scroll_to_widget(area)
        return True

    # ---------------------------------------------------------------- user edits
    @on(TextArea.Changed)
    def _text_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        area = event.text_area
        if not isinstance(area, SectionText):
            return
        if area.quiet:
            area.quiet -= 1
            return
        self._sync_fields(area.section, area.text)
        self.post_message(self.Edited(area.section, area.text))

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        event.stop()
        widget = event.input
        if not isinstance(widget, FieldInput) or self.read_only:
            return
        if widget.quiet:
            widget.quiet -= 1  # the Changed event of a value the editor set
            return
        area = self.text_area(widget.section)
        if area is None:
            return
        new_text = write_field(area.text, widget.field.label, event.value.strip())
        if new_text == area.text:
            return
        area.load_quietly(new_text)
        self.post_message(self.Edited(widget.section, new_text, widget.field.id))

    def on_descendant_focus(self, event: Any) -> None:
        place = self.where(event.widget)
        if place is not None:
            self.post_message(self.Moved(*place, event.widget))

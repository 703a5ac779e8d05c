"""template.unfilled: placeholders left in the text ("[ ]", "***", "___", "<field>", "[***]"),
required template fields left empty, and fields holding what their type cannot hold (words in
a number field, a choice the template does not offer).

"XXXX" is the Open-i de-identification redaction, never a placeholder; HTML tags such as
"<BR>" are not placeholders either.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from reporting.model import Issue, Section, Severity
from reporting.qa.context import Context, span
from reporting.qa.lexicon import rules_lexicon
from reporting.templating import FieldSpec

__all__ = ["PlaceholderCheck"]

#: Every placeholder pattern starts with one of these; texts without them skip the regex.
_PLACEHOLDER_CHARS = "[*_<{?#"


class PlaceholderCheck:
    codes = ("template.unfilled",)

    def run(self, ctx: Context) -> Iterator[Issue]:
        text = ctx.text
        if any(c in text for c in _PLACEHOLDER_CHARS):
            yield from self._text(ctx)
        yield from self._fields(ctx)

    def _text(self, ctx: Context) -> Iterator[Issue]:
        rules = rules_lexicon()
        text = ctx.text
        for m in rules.placeholder.finditer(text):
            found = m.group(0)
            if "xxxx" in found.lower():
                continue
            if found.startswith("<"):
                tag = found.strip("<>/ ").split()[0].lower() if found.strip("<>/ ") else ""
                if tag in rules.ignore_tags:
                    continue
            yield ctx.issue(
                "template.unfilled",
                f"Placeholder {found!r} was left in the report.",
                m.start(),
                m.end(),
                evidence=(span(text, m.start(), m.end(), "placeholder"),),
                suggestion="Replace the placeholder with the finding or delete it.",
            )

    def _fields(self, ctx: Context) -> Iterator[Issue]:
        spec = ctx.template
        if spec is None:
            return
        for sec in ctx.report.sections:
            if not sec.fields:
                continue
            sec_spec = spec.section(sec.name)
            if sec_spec is None:
                continue
            prose = _has_prose(sec.text, sec_spec.fields)
            for field_spec in sec_spec.fields:
                value = sec.field(field_spec.id)
                if value is not None and value.value not in (None, ""):
                    wrong = _wrong_kind(field_spec, value.value)
                    if wrong:
                        yield self._wrong_value(ctx, sec, field_spec, value.display(), wrong)
                    continue
                if field_spec.completion == "none":
                    continue
                # An "alert" field may stay empty when the radiologist reported the section in
                # prose instead (finding.missing still checks that the topics are addressed);
                # a "prohibit" field must always be filled.
                if field_spec.completion == "alert" and prose:
                    continue
                at = sec.start if sec.start is not None else 0
                yield ctx.issue(
                    "template.unfilled",
                    f"Template field {field_spec.label!r} in {sec.title} is empty.",
                    at,
                    at,
                    suggestion=f"Fill in {field_spec.label!r}.",
                    severity=Severity.ERROR
                    if field_spec.completion == "prohibit"
                    else Severity.WARNING,
                )

    @staticmethod
    def _wrong_value(ctx: Context, sec: Section, fspec: FieldSpec, shown: str, wrong: str) -> Issue:
        """A field holding what its type cannot hold (words in a number field, a choice the
        template does not offer), as dictation keeps what it could not read as a value: an
        error where the field must be filled, a warning otherwise; spanned on the value."""
        label = f"{fspec.label}: "
        base = sec.start if sec.start is not None else 0
        line = sec.text.find(label)
        start = base + line + len(label) if line >= 0 else base
        end = start + len(shown) if line >= 0 else start
        return ctx.issue(
            "template.unfilled",
            f"Template field {fspec.label!r} in {sec.title} holds {shown!r}, not {wrong}.",
            start,
            end,
            suggestion=f"Give {fspec.label!r} {wrong}, or move the words to the text.",
            severity=Severity.ERROR if fspec.completion == "prohibit" else Severity.WARNING,
        )


def _wrong_kind(fspec: FieldSpec, value: object) -> str:
    """What ``value`` should have been for the field ``fspec`` ("a number", "one of its
    choices", "yes or no"), or "" when it is of the field's kind."""
    if fspec.type == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return "a number"
    if fspec.type == "checkbox" and not isinstance(value, bool):
        return "yes or no"
    if fspec.type == "choice" and fspec.choices and value not in fspec.choices:
        return "one of its choices"
    return ""


def _has_prose(text: str, fields: Sequence[FieldSpec]) -> bool:
    """True when the section text holds more than its ``Label: value`` field lines."""
    labels = tuple(f"{f.label.lower()}:" for f in fields)
    for line in text.splitlines():
        stripped = line.strip().lower()
        if not stripped or stripped.startswith(labels):
            continue
        head, colon, rest = stripped.partition(":")
        if colon and not rest.strip() and len(head) <= 60:
            continue  # an empty "Label:" line
        return True
    return False

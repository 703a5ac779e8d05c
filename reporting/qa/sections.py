"""section.missing: a required section (Impression always; Findings per template) is absent
or empty."""

from __future__ import annotations

from collections.abc import Iterator

from reporting.coding import SECTION_NAMES
from reporting.model import Issue
from reporting.qa.context import Context

__all__ = ["SectionCheck"]

#: Sections a report needs even without a template.
ALWAYS_REQUIRED = ("impression",)
#: Template-required sections this check enforces (others are advisory in the template).
TEMPLATE_ENFORCED = ("findings", "impression")


class SectionCheck:
    codes = ("section.missing",)

    def run(self, ctx: Context) -> Iterator[Issue]:
        required = list(ALWAYS_REQUIRED)
        if ctx.template is not None:
            for spec in ctx.template.sections:
                if spec.required and spec.name in TEMPLATE_ENFORCED and spec.name not in required:
                    required.append(spec.name)
        elif "findings" not in required:
            required.insert(0, "findings")
        end = len(ctx.text.rstrip())
        for name in required:
            present = [s for s in ctx.report.sections if s.name == name]
            title = SECTION_NAMES.get(name, name.title())
            if not present:
                yield ctx.issue(
                    "section.missing",
                    f"The report has no {title} section.",
                    end,
                    end,
                    suggestion=f"Add a {title.upper()}: section.",
                )
            elif all(s.is_empty for s in present):
                first = present[0]
                at = first.start if first.start is not None else end
                yield ctx.issue(
                    "section.missing",
                    f"The {title} section is empty.",
                    at,
                    at,
                    suggestion=f"Write the {title.lower()} or remove the empty heading.",
                )

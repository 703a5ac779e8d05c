"""The QA issue codes: a stable contract shared with the CLI, the TUI and batch outputs.

====================================  ========  ===================================================
code                                  severity  meaning
====================================  ========  ===================================================
``laterality.order_mismatch``         error     the report names the side opposite to the ordered
                                                side (record laterality or procedure "XR KNEE LEFT")
``laterality.findings_impression``    error     a finding has one side in Findings and the other
                                                side in Impression
``laterality.missing``                warning   a lateral exam (knee, breast ...) never states the
                                                side in its text
``sex.mismatch``                      error     stated sex, pronouns or sex-specific anatomy
                                                contradict the patient's sex
``section.missing``                   error     a required section (Impression; Findings per
                                                template) is absent or empty
``finding.missing``                   warning*  a template-required topic is never addressed
                                                (*severity from the template topic)
``finding.contradiction``             error     the same finding is negated in one section and
                                                affirmed in another
``critical.not_communicated``         error     an affirmed critical finding with no statement that
                                                it was communicated (to whom, when)
``followup.incomplete``               warning   a follow-up recommendation lacks an interval or a
                                                modality
``measurement.mismatch``              warning   the same lesion is measured differently in Findings
                                                and Impression
``template.unfilled``                 error     a placeholder ("[ ]", "***", "___", "<field>") or
                                                an empty required template field is left, or a
                                                field holds what its type cannot (words in a
                                                number field; a warning unless it is required)
``qa.unchecked``                      error     the report could not be checked (e.g. too long);
                                                only :func:`check_many` produces it
====================================  ========  ===================================================
"""

from __future__ import annotations

from reporting.model import Severity

__all__ = ["CODES", "DEFAULT_SEVERITY", "describe"]

DEFAULT_SEVERITY: dict[str, Severity] = {
    "laterality.order_mismatch": Severity.ERROR,
    "laterality.findings_impression": Severity.ERROR,
    "laterality.missing": Severity.WARNING,
    "sex.mismatch": Severity.ERROR,
    "section.missing": Severity.ERROR,
    "finding.missing": Severity.WARNING,
    "finding.contradiction": Severity.ERROR,
    "critical.not_communicated": Severity.ERROR,
    "followup.incomplete": Severity.WARNING,
    "measurement.mismatch": Severity.WARNING,
    "template.unfilled": Severity.ERROR,
    "qa.unchecked": Severity.ERROR,
}

#: Every code the QA engine can produce, in documentation order.
CODES: tuple[str, ...] = tuple(DEFAULT_SEVERITY)

_DESCRIPTIONS: dict[str, str] = {
    "laterality.order_mismatch": "side in the report contradicts the ordered side",
    "laterality.findings_impression": "a finding has opposite sides in Findings and Impression",
    "laterality.missing": "a lateral exam whose text never states the side",
    "sex.mismatch": "sex stated or implied by the text contradicts the patient's sex",
    "section.missing": "a required section is absent or empty",
    "finding.missing": "a template-required topic is never addressed",
    "finding.contradiction": "a finding negated in one section and affirmed in another",
    "critical.not_communicated": "a critical finding without a communication statement",
    "followup.incomplete": "a follow-up recommendation without interval or modality",
    "measurement.mismatch": "a lesion measured differently in Findings and Impression",
    "template.unfilled": "a template placeholder, an empty required field or a field "
    "holding what its type cannot hold is left",
    "qa.unchecked": "the report could not be checked",
}


def describe(code: str) -> str:
    """One line saying what ``code`` means ("" for an unknown code)."""
    return _DESCRIPTIONS.get(code, "")

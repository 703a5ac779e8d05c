"""IHE MRRT import: real RadReport and Connectathon files, and every invalid Connectathon file."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporting.errors import TemplateError
from reporting.templating import clear_cache, load_template, new_draft, render_html, render_text
from reporting.templating.mrrt import import_mrrt, mrrt_to_spec, parse_mrrt

CONNECTATHON = ("external", "templates", "openmrs_mrrt", "connectathon2015")
RSNA = ("external", "templates", "rsna_radreport_via_openmrs")

VALID = [
    (*CONNECTATHON, "CTChestAbdomen.html"),
    (*CONNECTATHON, "CTChestAbdomen-schemeIsInLowerCase.html"),
    (*CONNECTATHON, "CTChestAbdomen-missingReferenceTermsForTemplateAttributesTermElements.html"),
    (*RSNA, "RadReport_0000102_ChestXray.html"),
    (*RSNA, "RadReport_0000049_CardiacMRI_Function_Viability.html"),
]

#: Each invalid Connectathon file and what our message must say about it.
INVALID = {
    "codingSchemesShouldHaveAtLeastOneCodingSchemeElement": [
        "<coding_schemes> has no <coding_scheme>"
    ],
    "missingAttributesInCodeElement": [
        '<code value="RID10321" scheme="RADLEX">',
        "missing the meaning attribute",
    ],
    "missingCharsetTitleTemplateAttributesBodyElements": [
        "no <title>",
        "no <meta charset",
        "no <template_attributes>",
        "no <body>",
    ],
    "missingHtmlElement": ["there is no <html> element"],
    "multipleBodyElement": ["found 2 <body> elements"],
    "multipleCodeElementsInTermElement": ["<term> #1 has 2 <code> elements"],
    "multipleCodedContent": ["2 <coded_content> elements"],
    "multipleHeadElements": ["found 2 <head> elements"],
    "multipleHtmlElements": ["found 2 <html> elements"],
    "multipleMetaElementsWithCharsetAttribute": ["2 <meta> elements carry a charset attribute"],
    "multipleScriptElements": ["<head> has 2 <script> elements"],
    "multipleTemplateAttributesElement": ["2 <template_attributes> elements"],
    "multipleTitleElements": ["<head> has 2 <title> elements"],
    "noBodyElement": ["there is no <body> element"],
    "noHeadElementFound": ["there is no <head> element"],
    "noMetaElementDenotingDublinCoreAttributes": ["no Dublin Core metadata", "dcterms"],
    "noMetaElementWithCharsetAttribute": ["no <meta charset"],
    "noScriptElement": ['no <script type="text/xml">'],
    "noTemplateAttributesElement": ["no <template_attributes> element"],
    "noTitleElement": ["no <title> element"],
    "termElementShouldHaveOneCodeElement": ["<term> #1 has no <code> element"],
}


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REPORTING_TEMPLATES", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    clear_cache()


def test_the_shared_folder_has_all_21_invalid_files() -> None:
    folder = shared_path(*CONNECTATHON)
    names = sorted(p.stem.split("-", 1)[1] for p in folder.glob("invalidMrrtReportTemplate-*.html"))
    assert names == sorted(INVALID)


@pytest.mark.parametrize("parts", VALID, ids=lambda p: p[-1])
def test_valid_templates_import_and_render(parts: tuple[str, ...], tmp_path: Path) -> None:
    source = shared_path(*parts)
    spec = import_mrrt(source, tmp_path)
    assert (tmp_path / spec.id / "spec.toml").is_file()
    again = load_template(spec.id, paths=[tmp_path])
    assert again == spec
    draft = new_draft(again, id="m1")
    text = render_text(again, draft)
    html = render_html(again, draft)
    assert text.startswith(again.title.upper())
    assert "<!DOCTYPE html>" in html and again.title in html
    assert again.source.startswith(f"IHE MRRT template {source.name}")


def test_rsna_chest_xray_content(tmp_path: Path) -> None:
    spec = import_mrrt(shared_path(*RSNA, "RadReport_0000102_ChestXray.html"), tmp_path)
    assert spec.id == "radreport_0000102_chestxray"
    assert (spec.modality, spec.body_part) == ("CR", "thorax")
    assert [s.name for s in spec.sections] == [
        "examination",
        "history",
        "comparison",
        "findings",
        "impression",
    ]
    findings = spec.section("findings")
    assert [f.label for f in findings.fields] == ["Heart", "Lungs", "Bones"]
    assert findings.field("lungs").default == "Normal."
    assert (
        findings.field("lungs").code is not None
        and findings.field("lungs").code.value == "RID13437"
    )
    assert {c.value for c in spec.codes} == {"RID10345", "RID1243"}
    text = render_text(spec, new_draft(spec, id="c"))
    assert "FINDINGS:\nHeart: Normal.\nLungs: Normal.\nBones: Normal." in text
    assert "IMPRESSION:\nImpression: No acute disease." in text


def test_rsna_cardiac_mri_units_choices_and_nesting(tmp_path: Path) -> None:
    # The file's coded attributes contain unclosed <code> tags; they are read leniently.
    spec = import_mrrt(
        shared_path(*RSNA, "RadReport_0000049_CardiacMRI_Function_Viability.html"), tmp_path
    )
    assert spec.modality == "MR"
    ef = spec.field("left_ventricular_measurements_ejection_fraction")
    assert ef is not None and ef[1].type == "number" and ef[1].unit == "%"
    lv = spec.field("global_systolic_lv_function")
    assert lv is not None and lv[1].type == "choice" and lv[1].default == "Normal"
    assert "Severely impaired" in lv[1].choices
    wall = [
        f
        for f in spec.fields
        if f.label.startswith("Left ventricle regional wall motion - BASE - ")
    ]
    assert len(wall) == 6 and all(f.default == 0 and f.maximum == 3 for f in wall)
    assert len({f.id for f in spec.fields}) == len(spec.fields)


@pytest.mark.parametrize("problem", sorted(INVALID))
def test_invalid_connectathon_files_fail_with_specific_messages(
    problem: str, tmp_path: Path
) -> None:
    source = shared_path(*CONNECTATHON, f"invalidMrrtReportTemplate-{problem}.html")
    with pytest.raises(TemplateError) as err:
        import_mrrt(source, tmp_path)
    message = str(err.value)
    assert message.startswith(f"{source}: not a valid IHE MRRT template: ")
    for expected in INVALID[problem]:
        assert expected in message, message
    assert not any(tmp_path.iterdir()), "nothing is written for an invalid template"


def test_each_invalid_file_reports_only_its_own_problems() -> None:
    # A valid file next to them must pass, so the checks do not fire on everything.
    parse_mrrt(shared_path(*CONNECTATHON, "CTChestAbdomen.html").read_bytes(), source="ok")
    message = str(
        _error(shared_path(*CONNECTATHON, "invalidMrrtReportTemplate-multipleTitleElements.html"))
    )
    assert message.count(";") == 0


def _error(path: Path) -> TemplateError:
    try:
        parse_mrrt(path.read_bytes(), source=str(path))
    except TemplateError as exc:
        return exc
    raise AssertionError(f"{path} was accepted")


# An MRRT template of our own exercising every field kind and attribute.
OWN = """<!DOCTYPE html>
<html><head>
<title>Renal ultrasound (test)</title>
<meta charset="UTF-8"/>
<meta name="dcterms.title" content="Renal ultrasound (test)"/>
<meta name="dcterms.identifier" content="urn:test:renal"/>
<script type="text/xml"><template_attributes>
  <status>DRAFT</status>
  <coding_schemes><coding_scheme name="RADLEX" designator="2.16.840.1.113883.6.256"/></coding_schemes>
  <term type="modality"><code meaning="ultrasound" value="RID10326" scheme="RADLEX"/></term>
  <term type="body part"><code meaning="kidney" value="RID205" scheme="RADLEX"/></term>
  <coded_content>
    <entry ORIGTXT="len"><term><code meaning="length" value="RID13432" scheme="RADLEX"/></term></entry>
  </coded_content>
</template_attributes></script>
</head><body>
<section data-section-name="Clinical history"><header>History</header>
  <textarea id="hx" name="History" data-field-completion-action="ALERT"></textarea></section>
<section data-section-name="Findings"><header>Findings</header>
  <p>Both kidneys were imaged.</p>
  <label for="len">Right kidney length</label>
  <input type="number" id="len" name="len" data-field-units="cm" min="2" max="20" value="11"
         data-field-verbal-trigger="right kidney length" data-field-completion-action="PROHIBIT"/>
  <label for="hydro">Hydronephrosis</label>
  <select id="hydro" name="hydro" data-field-verbal-trigger="hydronephrosis">
    <option value="none" selected>none</option><option value="mild">mild</option>
  </select>
  <input type="checkbox" id="jets" name="jets" checked/><label for="jets">Ureteric jets seen</label>
  <input type="radio" id="e1" name="Echogenicity" value="normal" checked/><label for="e1">normal</label>
  <input type="radio" id="e2" name="Echogenicity" value="increased"/><label for="e2">increased</label>
</section>
<section data-section-name="Impression"><header>Impression</header>
  <textarea id="imp" name="Impression">Normal kidneys.</textarea></section>
</body></html>
"""


def test_own_template_keeps_types_triggers_completion_and_codes() -> None:
    spec = mrrt_to_spec(parse_mrrt(OWN, source="own.html"), template_id="own_renal")
    assert (spec.modality, spec.body_part) == ("US", "kidney")
    findings = spec.section("findings")
    assert findings is not None and findings.normal == "Both kidneys were imaged."
    length = findings.field("right_kidney_length")
    assert length is not None
    assert (length.type, length.unit, length.default, length.minimum, length.maximum) == (
        "number",
        "cm",
        11,
        2.0,
        20.0,
    )
    assert (length.trigger, length.completion) == ("right kidney length", "prohibit")
    assert length.code is not None and length.code.value == "RID13432"
    hydro = findings.field("hydronephrosis")
    assert hydro is not None and (hydro.type, hydro.choices, hydro.default) == (
        "choice",
        ("none", "mild"),
        "none",
    )
    jets = findings.field("ureteric_jets_seen")
    assert jets is not None and (jets.type, jets.default) == ("checkbox", True)
    echo = findings.field("echogenicity")
    assert echo is not None and (echo.type, echo.choices, echo.default) == (
        "choice",
        ("normal", "increased"),
        "normal",
    )
    history = spec.section("history")
    assert history is not None and history.fields[0].completion == "alert"
    assert spec.triggers() == {
        "right kidney length": "right_kidney_length",
        "hydronephrosis": "hydronephrosis",
    }


def test_bad_field_attributes_are_named() -> None:
    broken = OWN.replace(
        'data-field-completion-action="PROHIBIT"', 'data-field-completion-action="MAYBE"'
    )
    broken = broken.replace('<select id="hydro"', '<select data-field-type="SLIDER" id="hydro"')
    with pytest.raises(TemplateError) as err:
        parse_mrrt(broken, source="own.html")
    assert "<input id='len'> at line" in str(
        err.value
    ) and "'maybe' is not PROHIBIT, ALERT or NONE" in str(err.value)
    assert "unknown data-field-type 'slider'" in str(err.value)


def test_undeclared_scheme_and_bad_status_are_reported() -> None:
    broken = OWN.replace('scheme="RADLEX"/></term></entry>', 'scheme="LOINC"/></term></entry>')
    broken = broken.replace("<status>DRAFT</status>", "<status>LIVE</status>")
    with pytest.raises(TemplateError) as err:
        parse_mrrt(broken, source="own.html")
    assert "code scheme 'LOINC' is used but not declared" in str(err.value)
    assert "<status> is 'LIVE'" in str(err.value)


def test_import_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    source = tmp_path / "Own Renal.html"
    source.write_text(OWN, encoding="utf-8")
    out = tmp_path / "out"
    spec = import_mrrt(source, out)
    assert spec.id == "own_renal"
    with pytest.raises(TemplateError, match="already exists"):
        import_mrrt(source, out)
    assert import_mrrt(source, out, overwrite=True) == spec
    with pytest.raises(TemplateError, match="file not found"):
        import_mrrt(tmp_path / "nope.html", out)


def test_non_mrrt_html_is_refused_clearly(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>x</title></head><body><p>hi</p></body></html>", encoding="utf-8"
    )
    with pytest.raises(TemplateError) as err:
        import_mrrt(page, tmp_path / "out")
    assert "no <meta charset" in str(err.value) and "no <section> element" in str(err.value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(OWN)), st.integers(0, 400), st.text(max_size=30))
def test_damaged_templates_fail_cleanly(start: int, length: int, insert: str) -> None:
    """Cutting and pasting anywhere in a template gives a spec or a TemplateError, nothing else."""
    damaged = OWN[:start] + insert + OWN[start + length :]
    try:
        spec = mrrt_to_spec(parse_mrrt(damaged, source="damaged.html"), template_id="damaged")
    except TemplateError as exc:
        assert str(exc).startswith("damaged.html: ")
    else:
        assert spec.sections


def test_absurd_nesting_is_a_template_error() -> None:
    deep = OWN.replace("<p>Both kidneys were imaged.</p>", "<div>" * 5000 + "x" + "</div>" * 5000)
    with pytest.raises(TemplateError, match="nested too deeply"):
        parse_mrrt(deep, source="deep.html")

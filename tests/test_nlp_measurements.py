"""Measurements: value(s), canonical unit, span, sentence and section."""

from __future__ import annotations

import pytest

from reporting.nlp import analyze


@pytest.mark.parametrize(
    ("text", "values", "unit", "surface"),
    [
        ("A 7 mm nodule.", (7.0,), "mm", "7 mm"),
        ("Mass measuring 3.2 x 2.1 cm.", (3.2, 2.1), "cm", "3.2 x 2.1 cm"),
        ("Lesion 1.2 x 0.8 x 0.5 cm in size.", (1.2, 0.8, 0.5), "cm", "1.2 x 0.8 x 0.5 cm"),
        ("Cyst of 3 cm x 2 cm.", (3.0, 2.0), "cm", "3 cm x 2 cm"),
        ("Nodule 4x5mm.", (4.0, 5.0), "mm", "4x5mm"),
        ("Collection 2 by 3 centimeters.", (2.0, 3.0), "cm", "2 by 3 centimeters"),
        ("Attenuation of 15 HU.", (15.0,), "HU", "15 HU"),
        # an attenuation below water's keeps its sign, as dictation writes it ("minus ten HU")
        ("Adrenal nodule, -10 HU.", (-10.0,), "HU", "-10 HU"),
        ("Fat attenuation (−90 HU).", (-90.0,), "HU", "−90 HU"),
        ("Volume 250 cc.", (250.0,), "mL", "250 cc"),
        ("A 0.5 CM NODULE.", (0.5,), "cm", "0.5 CM"),
    ],
)
def test_measurement(text: str, values: tuple[float, ...], unit: str, surface: str) -> None:
    (m,) = analyze(text).measurements
    assert m.values == values
    assert m.unit == unit
    assert m.text == surface == text[m.start : m.end]
    assert m.sentence == 0


def test_numbers_without_units_and_glued_numbers_are_not_measurements() -> None:
    a = analyze("Compared with 2 prior studies. T12 mm level. Series 3 image 45.")
    assert [m.text for m in a.measurements] == []


def test_measurements_know_section_and_sentence() -> None:
    text = "FINDINGS: Lungs clear. Nodule 6 mm.\nIMPRESSION: 6 mm nodule."
    a = analyze(text)
    assert [(m.section, m.sentence) for m in a.measurements] == [("findings", 1), ("impression", 2)]

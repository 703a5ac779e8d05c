"""Lexicon files are validated on load: unknown keys and bad values name the file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporting.errors import LexiconError
from reporting.lexicons import check_keys, lexicon_path, load_lexicon
from reporting.nlp.data import (
    load_assertion,
    load_concepts,
    load_laterality,
    load_units,
    plural,
)

BUNDLED = {
    "anatomy.json": ("concepts",),
    "findings.json": ("concepts", "resolve"),
    "laterality.json": ("cues", "max_distance", "boundaries"),
    "assertion.json": ("rules", "default_max_scope"),
    "measurements.json": ("units", "separators"),
}


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_lexicons_have_a_description(name: str) -> None:
    lex = load_lexicon(name, optional=BUNDLED[name])
    assert lex.description.strip()
    assert lex.path == lexicon_path(name)


def test_bundled_lexicons_load() -> None:
    anatomy = {c.id: c for c in load_concepts(lexicon_path("anatomy.json"), "anatomy")}
    for paired in (
        "lung",
        "kidney",
        "adrenal",
        "ovary",
        "breast",
        "testis",
        "hemidiaphragm",
        "knee",
        "hip",
        "shoulder",
        "elbow",
        "wrist",
        "ankle",
        "hand",
        "foot",
        "femur",
        "humerus",
        "lower_lobe",
        "upper_lobe",
    ):
        assert anatomy[paired].lateral, paired
    for single in ("heart", "trachea", "spine", "liver", "uterus"):
        assert not anatomy[single].lateral, single
    assert "lungs" in anatomy["lung"].terms  # plural added automatically
    findings = {c.id: c for c in load_concepts(lexicon_path("findings.json"), None)}
    assert findings["picc"].kind == "device"
    assert findings["pleural_effusion"].kind == "finding"
    assert load_assertion(lexicon_path("assertion.json")).cues
    assert load_laterality(lexicon_path("laterality.json")).cues
    assert load_units(lexicon_path("measurements.json")).units["centimeters"] == "cm"


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path, "laterality.json", {"description": "x", "cues": [], "cuez": 1})
    with pytest.raises(LexiconError, match=r"laterality\.json.*unknown key 'cuez'"):
        load_laterality(path)


def test_unknown_nested_key_names_where(tmp_path: Path) -> None:
    data = {
        "description": "x",
        "rules": [{"category": "negated", "direction": "forward", "phrases": ["no"], "scope": 3}],
    }
    path = write(tmp_path, "assertion.json", data)
    with pytest.raises(LexiconError, match=r"assertion\.json: unknown key 'scope' in rules\[0\]"):
        load_assertion(path)


def test_unknown_concept_key(tmp_path: Path) -> None:
    data = {"description": "x", "concepts": {"kidney": {"terms": ["kidney"], "lateraly": True}}}
    path = write(tmp_path, "anatomy.json", data)
    with pytest.raises(
        LexiconError, match=r"anatomy\.json: unknown key 'lateraly' in concepts\.kidney"
    ):
        load_concepts(path, "anatomy")


def test_missing_description(tmp_path: Path) -> None:
    path = write(tmp_path, "measurements.json", {"units": {"cm": ["cm"]}})
    with pytest.raises(
        LexiconError, match=r"measurements\.json: the top level is missing the key 'description'"
    ):
        load_units(path)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"category": "negative", "direction": "forward", "phrases": ["no"]},
            r"rules\[0\]\.category",
        ),
        (
            {"category": "negated", "direction": "sideways", "phrases": ["no"]},
            r"rules\[0\]\.direction",
        ),
        ({"category": "negated", "direction": "forward", "phrases": []}, r"rules\[0\]\.phrases"),
        (
            {"category": "negated", "direction": "forward", "phrases": ["no"], "max_scope": 0},
            r"max_scope",
        ),
        (
            {
                "category": "negated",
                "direction": "forward",
                "phrases": ["no"],
                "applies_to": ["negated"],
            },
            "applies_to",
        ),
    ],
)
def test_bad_assertion_values(tmp_path: Path, rule: dict, message: str) -> None:
    path = write(tmp_path, "assertion.json", {"description": "x", "rules": [rule]})
    with pytest.raises(LexiconError, match=message):
        load_assertion(path)


def test_duplicate_cue_and_term(tmp_path: Path) -> None:
    rules = [{"category": "negated", "direction": "forward", "phrases": ["no", "No"]}]
    with pytest.raises(LexiconError, match="already listed"):
        load_assertion(write(tmp_path, "a.json", {"description": "x", "rules": rules}))
    concepts = {
        "a": {"kind": "finding", "terms": ["mass"]},
        "b": {"kind": "finding", "terms": ["mass"]},
    }
    with pytest.raises(LexiconError, match="'mass' is listed under a and b"):
        load_concepts(write(tmp_path, "f.json", {"description": "x", "concepts": concepts}), None)


def test_broken_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "findings.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"findings\.json: invalid JSON"):
        load_concepts(path, None)


def test_component_uses_its_configured_lexicon(tmp_path: Path) -> None:
    import spacy

    from reporting import nlp as _nlp  # noqa: F401  (registers the factories)

    path = write(
        tmp_path,
        "my_anatomy.json",
        {"description": "x", "concepts": {"x": {"terms": ["x"], "bogus": 1}}},
    )
    pipeline = spacy.blank("en")
    pipeline.add_pipe("reporting_sentences")
    with pytest.raises(LexiconError, match=r"my_anatomy\.json: unknown key 'bogus'"):
        pipeline.add_pipe("reporting_mentions", config={"anatomy": str(path)})


def test_check_keys_helper(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    assert check_keys(p, "here", {"a": 1}, required=("a",), optional=("b",)) == {"a": 1}
    with pytest.raises(LexiconError, match="must be a JSON object"):
        check_keys(p, "here", [1])


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("lung", "lungs"),
        ("rib fracture", "rib fractures"),
        ("opacity", "opacities"),
        ("mass", "masses"),
        ("cm2", "cm2"),
    ],
)
def test_plural(term: str, expected: str) -> None:
    assert plural(term) == expected


def test_predicate_subject_must_be_an_anatomy_concept(tmp_path: Path) -> None:
    import spacy

    from reporting import nlp as _nlp  # noqa: F401  (registers the factories)

    concepts = {
        "cardiomegaly": {
            "kind": "finding",
            "terms": ["cardiomegaly"],
            "predicates": [{"subjects": ["hart"], "words": ["enlarged"]}],
        }
    }
    path = write(tmp_path, "my_findings.json", {"description": "x", "concepts": concepts})
    pipeline = spacy.blank("en")
    pipeline.add_pipe("reporting_sentences")
    with pytest.raises(
        LexiconError,
        match=r"my_findings\.json: concepts\.cardiomegaly\.predicates\[0\]\.subjects names 'hart'",
    ):
        pipeline.add_pipe("reporting_mentions", config={"findings": str(path)})


def test_predicate_words_are_single_words(tmp_path: Path) -> None:
    concepts = {
        "x": {
            "kind": "finding",
            "terms": ["x"],
            "predicates": [{"subjects": ["heart"], "words": ["very big"]}],
        }
    }
    path = write(tmp_path, "f.json", {"description": "x", "concepts": concepts})
    with pytest.raises(LexiconError, match=r"predicates\[0\]\.words\[0\] must be a single word"):
        load_concepts(path, None)


@pytest.mark.parametrize(
    ("resolve", "message"),
    [
        ({"effusio": []}, r"resolve\.effusio is not a concept of this file"),
        (
            {"effusion": [{"concept": "pleural_efusion", "anatomy": ["lung"]}]},
            r"resolve\.effusion\[0\]\.concept must name another concept",
        ),
        (
            {"effusion": [{"concept": "pleural_effusion", "anatomy": ["lung"], "side": "x"}]},
            r"unknown key 'side' in resolve\.effusion\[0\]",
        ),
    ],
)
def test_bad_resolve_section_names_the_key(tmp_path: Path, resolve: dict, message: str) -> None:
    from reporting.nlp.data import load_resolutions

    concepts = {
        "effusion": {"kind": "finding", "terms": ["effusion"]},
        "pleural_effusion": {"kind": "finding", "terms": ["pleural effusion"]},
    }
    path = write(tmp_path, "f.json", {"description": "x", "concepts": concepts, "resolve": resolve})
    with pytest.raises(LexiconError, match=message):
        load_resolutions(path)


def test_resolve_anatomy_must_be_an_anatomy_concept(tmp_path: Path) -> None:
    import spacy

    from reporting import nlp as _nlp  # noqa: F401  (registers the factories)

    concepts = {
        "effusion": {"kind": "finding", "terms": ["effusion"]},
        "joint_effusion": {"kind": "finding", "terms": ["joint effusion"]},
    }
    resolve = {"effusion": [{"concept": "joint_effusion", "anatomy": ["kneee"]}]}
    path = write(
        tmp_path, "my_findings.json", {"description": "x", "concepts": concepts, "resolve": resolve}
    )
    pipeline = spacy.blank("en")
    pipeline.add_pipe("reporting_sentences")
    with pytest.raises(LexiconError, match=r"resolve\.effusion\[0\]\.anatomy names 'kneee'"):
        pipeline.add_pipe("reporting_mentions", config={"findings": str(path)})

"""term_matcher: case-insensitive whole-word multi-word matching of arbitrary term lists."""

from __future__ import annotations

import pytest

from reporting.errors import NLPError
from reporting.nlp import term_matcher


def test_finds_multi_word_terms_case_insensitively() -> None:
    match = term_matcher(["heart size", "pleural effusion", "pneumothorax"])
    text = "HEART SIZE normal. No pleural\n effusion or Pneumothorax."
    found = match(text)
    assert [t for _, _, t in found] == ["heart size", "pleural effusion", "pneumothorax"]
    for start, end, _ in found:
        assert 0 <= start < end <= len(text)
    assert text[found[1][0] : found[1][1]] == "pleural\n effusion"


def test_whole_words_only() -> None:
    match = term_matcher(["rib", "mass"])
    assert match("Scribbled on the massive ribbon.") == []
    assert [t for *_, t in match("Left rib fracture; mass.")] == ["rib", "mass"]


def test_longest_term_wins() -> None:
    match = term_matcher(["effusion", "pleural effusion"])
    assert match("Small pleural effusion.") == [(6, 22, "pleural effusion")]


def test_hyphen_and_space_variants() -> None:
    match = term_matcher(["x-ray"])
    assert len(match("Chest x-ray, chest x ray, chest xray.")) == 3


def test_is_cached_and_searchable() -> None:
    assert term_matcher(("a b", "c")) is term_matcher(["a b", "c"])
    assert term_matcher(["c"]).search("a c d")
    assert not term_matcher(["c"]).search("abc")


def test_empty_list_matches_nothing() -> None:
    assert term_matcher([])("anything") == []


def test_bad_terms_are_errors() -> None:
    with pytest.raises(NLPError):
        term_matcher(["  "])
    with pytest.raises(NLPError):
        term_matcher([3])  # type: ignore[list-item]

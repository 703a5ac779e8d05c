"""Per-document working state the pipeline components share (``doc.user_data[STATE_KEY]``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH, LOWER
from spacy.tokens import Doc

from reporting.errors import NLPError
from reporting.resources import lexicons_dir
from reporting.sectioning import SectionSpan

__all__ = [
    "SECTIONS_KEY",
    "STATE_KEY",
    "TEXT_KEY",
    "DocState",
    "MentionRec",
    "CueRec",
    "MeasureRec",
    "state_of",
    "new_state",
    "lexicon_file",
]

#: ``doc.user_data`` key of the DocState (plain dict access is cheaper than ``doc._``).
STATE_KEY = "reporting.state"
#: ``doc.user_data`` key under which a caller may pass precomputed sections (chunked texts).
SECTIONS_KEY = "reporting.sections"
#: ``doc.user_data`` key for the text the doc was made from (``doc.text`` rebuilds it slowly).
TEXT_KEY = "reporting.text"


@dataclass(slots=True)
class MentionRec:
    start: int  # token offsets
    end: int
    kind: str
    concept: str
    lateral: bool
    sentence: int
    laterality: str | None = None
    lat_span: tuple[int, int] | None = None  # character offsets of the cue
    negated: bool = False
    uncertain: bool = False
    historical: bool = False
    hypothetical: bool = False
    other: bool = False
    subject: MentionRec | None = None  # the anatomy a predicate finding is stated about


@dataclass(slots=True)
class CueRec:
    start: int  # token offsets of the cue
    end: int
    phrase: str
    category: str
    direction: str
    scope_start: int  # token offsets of the scope
    scope_end: int
    sentence: int


@dataclass(slots=True)
class MeasureRec:
    start: int  # character offsets
    end: int
    values: tuple[float, ...]
    unit: str


@dataclass(slots=True)
class DocState:
    """Token start/end character offsets, sections, sentences and what the components found.

    ``sentences`` holds (first token, end token, section name) for each sentence.
    """

    text: str
    starts: list[int]
    ends: list[int]
    words: list[int]  # words[k]: word tokens (not punctuation or space) before token k
    lower: list[int]  # hash of each token's lower-case form (vocab.strings)
    punct: list[int]  # 1 when the token is punctuation
    sections: list[SectionSpan]
    sentences: list[tuple[int, int, str | None]] = field(default_factory=list)
    mentions: list[MentionRec] = field(default_factory=list)
    cues: list[CueRec] = field(default_factory=list)
    measurements: list[MeasureRec] = field(default_factory=list)


def new_state(doc: Doc, text: str, sections: list[SectionSpan]) -> DocState:
    if len(doc):
        raw = doc.to_array([IDX, LENGTH, IS_PUNCT, IS_SPACE, LOWER])
        lower = raw[:, 4].tolist()  # unsigned hashes: keep them out of the int64 arithmetic
        arr = raw[:, :4].astype("int64")
        arr[:, 1] += arr[:, 0]  # end offsets
        arr[:, 3] = 1 - (arr[:, 2] | arr[:, 3])  # 1 for a word token
        np.cumsum(arr[:, 3], out=arr[:, 3])
        starts, ends, punct_list, words = arr.T.tolist()
        words.insert(0, 0)
    else:
        starts, ends, words, lower, punct_list = [], [], [0], [], []
    state = DocState(
        text=text,
        starts=starts,
        ends=ends,
        words=words,
        lower=lower,
        punct=punct_list,
        sections=sections,
    )
    doc.user_data[STATE_KEY] = state
    return state


def state_of(doc: Doc, component: str) -> DocState:
    state = doc.user_data.get(STATE_KEY)
    if state is None:
        raise NLPError(
            f"the {component} component needs reporting_sentences earlier in the pipeline"
        )
    return state  # type: ignore[no-any-return]


def lexicon_file(name: str) -> Path:
    """A component's lexicon setting: a file name in lexicons/ or a path."""
    path = Path(name)
    return path if path.is_absolute() or path.parent != Path(".") else lexicons_dir() / name

"""The radiology vocabulary: decoder biasing (initial prompt, hotwords) and confidence settings.

Data: ``lexicons/asr_vocabulary.json`` (see ``lexicons/README.md``).  The active template adds
its own terms (section titles, field labels and choices, topic terms, normal text).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from reporting.asr.fields import choice_words
from reporting.asr.formatting import is_spoken_punctuation
from reporting.asr.sides import SIDES
from reporting.errors import LexiconError
from reporting.lexicons import check_keys, load_lexicon

__all__ = ["Vocabulary", "ConfidencePolicy", "load_vocabulary", "template_terms"]


@dataclass(frozen=True)
class ConfidencePolicy:
    """Which words need the radiologist's confirmation."""

    threshold: float = 0.45
    sensitive_threshold: float = 0.8
    sensitive: frozenset[str] = frozenset()
    numbers: bool = True
    side_soundalikes: frozenset[str] = frozenset()
    #: regular expressions (whole lower-case word) for words that sound like a side: always
    #: flagged, since a side may have been mis-heard ("ride atrium", "write IJ")
    side_patterns: tuple[re.Pattern[str], ...] = ()
    #: paired structures; a looser sound-alike (``lateral_patterns``) right before one of them
    #: (at most ``lateral_window`` words before) is flagged too ("lit lung base")
    lateral_terms: frozenset[str] = frozenset()
    lateral_patterns: tuple[re.Pattern[str], ...] = ()
    lateral_window: int = 2
    #: the same side said twice in a row ("left, left") is flagged: one was probably mis-heard
    repeated_sides: bool = True
    #: regular expressions for a word the recogniser made up (neither an English word nor a
    #: term) that may have swallowed a side: "ribosular" for "right basilar"
    hidden_side_patterns: tuple[re.Pattern[str], ...] = ()
    #: a doubtful word (below ``sensitive_threshold``) right before a paired structure that no
    #: side qualifies may be a mis-heard side ("deform type ribs" for "deformed right ribs");
    #: words of ``unsided_skip`` never are
    unsided_structures: bool = True
    unsided_skip: frozenset[str] = frozenset()
    #: a doubtful word (below ``sensitive_threshold``) one letter from a paired structure
    #: counts as that structure for the rules above ("deform dry fibs" for "deformed right
    #: ribs": "dry" is then a doubtful side)
    near_lateral_terms: bool = True
    #: a side below this probability with a word below ``threshold`` within
    #: ``lateral_window`` words of it is flagged: beside an unsure word the decoder's sureness
    #: of the side means little ("catheter on the right" for "catheter otherwise": "on" 0.41,
    #: "right" 0.87); 0 turns the rule off
    side_beside_doubt: float = 0.9
    #: a written word of at least this many letters that is neither English nor a term (the
    #: recogniser made it up: "thoracicate", "extensify") is flagged whatever its probability;
    #: 0 turns the rule off
    made_up_min_length: int = 0
    #: a written word of at least this many letters that no report text we know holds (the
    #: bundled phrasebooks, the terms, the site's phrases; nor one of their words with a
    #: listed prefix or suffix: "bustle", "brunch", "winner") is flagged whatever its
    #: probability; 0 turns the rule off
    unfamiliar_min_length: int = 0
    #: regular expressions (whole lower-case word) for words held to ``sensitive_threshold``
    #: like the ``sensitive`` ones: a word whose opposite differs by a sound ("hypoinflation"
    #: heard as "hyperinflation" at 0.79)
    sensitive_patterns: tuple[re.Pattern[str], ...] = ()

    def is_sensitive(self, bare: str) -> bool:
        """Whether ``bare`` (a lower-case word) is held to ``sensitive_threshold``."""
        return bare in self.sensitive or any(p.fullmatch(bare) for p in self.sensitive_patterns)

    def is_structure(self, bare: str, probability: float = 1.0) -> bool:
        """True when ``bare`` names a paired structure, or (with ``near_lateral_terms``) is a
        doubtful word of four letters or more one edit from one."""
        if bare in self.lateral_terms:
            return True
        if not self.near_lateral_terms or probability >= self.sensitive_threshold:
            return False
        if len(bare) < 4:
            return False
        from rapidfuzz.distance import Levenshtein

        return any(
            len(term) >= 4 and Levenshtein.distance(bare, term, score_cutoff=1) <= 1
            for term in self.lateral_terms
        )

    def sounds_like_side(self, bare: str) -> bool:
        """True when the lower-case word ``bare`` (not itself a side) may be a mis-heard side."""
        if bare in SIDES:
            return False
        return bare in self.side_soundalikes or any(p.fullmatch(bare) for p in self.side_patterns)

    def may_hide_side(self, bare: str) -> bool:
        """True when ``bare``, a word that is neither English nor a term, may hide a side."""
        return any(p.fullmatch(bare) for p in self.hidden_side_patterns)

    def loosely_like_side(self, bare: str) -> bool:
        """True when ``bare`` may be a mis-heard side if a paired structure follows it."""
        return bare not in SIDES and any(p.fullmatch(bare) for p in self.lateral_patterns)


@dataclass(frozen=True)
class Vocabulary:
    """Terms to bias towards and restore, prompts per modality, and the confidence policy."""

    terms: tuple[str, ...]
    prompts: dict[str, str]
    prompt_max_terms: int = 24
    confidence: ConfidencePolicy = ConfidencePolicy()
    #: template id -> a short passage in the style of that report, used as the whole prompt
    template_prompts: dict[str, str] = field(default_factory=dict)
    #: the voice commands as sentences: the prompt of a decode that listens for a command
    #: (see :mod:`reporting.asr.command_tail`)
    command_prompt: str = ""
    #: the breaks said on their own as sentences ("New paragraph. New line."): the prompt of
    #: a decode that listens for one in a short utterance that was not a command
    break_prompt: str = ""

    def with_terms(self, extra: tuple[str, ...]) -> Vocabulary:
        seen = {t.lower() for t in self.terms}
        added = tuple(t for t in extra if t.lower() not in seen)
        return dataclasses.replace(self, terms=self.terms + added)

    def prompt(
        self, *, modality: str = "", template_terms: tuple[str, ...] = (), template: str = ""
    ) -> str:
        """The decoder's initial prompt: the template's passage when it has one (the speech
        model follows a well-punctuated passage in the report's style best), else some
        template terms and then the modality's sentences.  The passage comes last: it ends
        with a spoken "period", so the decoder expects spoken punctuation at the end of what
        is dictated next."""
        if template in self.template_prompts:
            return self.template_prompts[template]
        base = self.prompts.get(modality.upper()) or self.prompts.get("default", "")
        extra = [t for t in template_terms if t.lower() not in base.lower()][
            : self.prompt_max_terms
        ]
        return f"{', '.join(extra)}. {base}" if extra else base

    def hotwords(self, *, template_terms: tuple[str, ...] = ()) -> str:
        """Hotwords for faster-whisper (used when no prompt is given)."""
        return ", ".join(
            template_terms[: self.prompt_max_terms] or self.terms[: self.prompt_max_terms]
        )


def _patterns(path: Path, key: str, value: Any) -> tuple[re.Pattern[str], ...]:
    if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
        raise LexiconError(f"{path}: low_confidence.{key} must be a list of regular expressions")
    compiled: list[re.Pattern[str]] = []
    for text in value:
        try:
            compiled.append(re.compile(text))
        except re.error as exc:
            raise LexiconError(
                f"{path}: low_confidence.{key}: bad regular expression {text!r} ({exc})"
            ) from None
    return tuple(compiled)


#: the file's keys besides "description", "terms" and "prompts"
_OPTIONAL = (
    "prompt_max_terms",
    "low_confidence",
    "template_prompts",
    "command_prompt",
    "break_prompt",
)


def _vocabulary_from(path: Path, data: Any) -> Vocabulary:
    check_keys(
        path,
        "the file",
        data,
        required=("description", "terms", "prompts"),
        optional=_OPTIONAL,
    )
    terms = data["terms"]
    if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
        raise LexiconError(f"{path}: 'terms' must be a list of non-empty strings")
    prompts = data["prompts"]
    if not isinstance(prompts, dict) or not all(isinstance(v, str) for v in prompts.values()):
        raise LexiconError(f"{path}: 'prompts' must map modality codes to strings")
    passages = data.get("template_prompts", {})
    if not isinstance(passages, dict):
        raise LexiconError(f"{path}: 'template_prompts' must map template ids to passages")
    commands = data.get("command_prompt", "")
    if not isinstance(commands, str):
        raise LexiconError(f"{path}: 'command_prompt' must be a string of voice commands")
    commands = " ".join(commands.split())
    breaks = data.get("break_prompt", "")
    if not isinstance(breaks, str) or not all(
        is_spoken_punctuation(b) for b in re.split(r"(?<=\.)\s+", breaks.strip()) if breaks
    ):
        raise LexiconError(
            f"{path}: 'break_prompt' must be spoken punctuation as sentences "
            "('New paragraph. New line.')"
        )
    breaks = " ".join(breaks.split())
    for tid, passage in passages.items():
        if not isinstance(passage, str) or not passage.strip():
            raise LexiconError(f"{path}: template_prompts.{tid} must be a non-empty passage")
        if len(passage.split()) > _PROMPT_MAX_WORDS:
            raise LexiconError(
                f"{path}: template_prompts.{tid} has {len(passage.split())} words; the speech "
                f"model keeps only the last ~220 tokens of a prompt (at most {_PROMPT_MAX_WORDS} "
                "words)"
            )
    max_terms = data.get("prompt_max_terms", 24)
    if not isinstance(max_terms, int) or max_terms < 0:
        raise LexiconError(f"{path}: 'prompt_max_terms' must be a non-negative integer")
    policy = ConfidencePolicy()
    if "low_confidence" in data:
        lc = check_keys(
            path,
            "low_confidence",
            data["low_confidence"],
            optional=(
                "threshold",
                "sensitive_threshold",
                "sensitive",
                "numbers",
                "side_soundalikes",
                "side_patterns",
                "lateral_terms",
                "lateral_patterns",
                "lateral_window",
                "repeated_sides",
                "hidden_side_patterns",
                "unsided_structures",
                "unsided_skip",
                "near_lateral_terms",
                "side_beside_doubt",
                "made_up_min_length",
                "unfamiliar_min_length",
                "sensitive_patterns",
            ),
        )
        for key in ("threshold", "sensitive_threshold", "side_beside_doubt"):
            if key in lc and not (isinstance(lc[key], int | float) and 0 <= lc[key] <= 1):
                raise LexiconError(f"{path}: low_confidence.{key} must be a number from 0 to 1")
        sensitive = lc.get("sensitive", [])
        if not isinstance(sensitive, list) or not all(isinstance(s, str) for s in sensitive):
            raise LexiconError(f"{path}: low_confidence.sensitive must be a list of words")
        alikes = lc.get("side_soundalikes", [])
        if not isinstance(alikes, list) or not all(isinstance(s, str) for s in alikes):
            raise LexiconError(f"{path}: low_confidence.side_soundalikes must be a list of words")
        for key in ("numbers", "repeated_sides", "unsided_structures", "near_lateral_terms"):
            if not isinstance(lc.get(key, True), bool):
                raise LexiconError(f"{path}: low_confidence.{key} must be true or false")
        for key in ("lateral_terms", "unsided_skip"):
            listed = lc.get(key, [])
            if not isinstance(listed, list) or not all(isinstance(s, str) for s in listed):
                raise LexiconError(f"{path}: low_confidence.{key} must be a list of words")
        lengths = {}
        for key in ("made_up_min_length", "unfamiliar_min_length"):
            length = lc.get(key, 0)
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise LexiconError(
                    f"{path}: low_confidence.{key} must be a whole number of letters "
                    "(0 turns the rule off)"
                )
            lengths[key] = length
        lateral = lc.get("lateral_terms", [])
        window = lc.get("lateral_window", 2)
        if not isinstance(window, int) or isinstance(window, bool) or not 1 <= window <= 6:
            raise LexiconError(f"{path}: low_confidence.lateral_window must be an integer 1..6")
        policy = ConfidencePolicy(
            float(lc.get("threshold", 0.45)),
            float(lc.get("sensitive_threshold", 0.8)),
            frozenset(s.lower() for s in sensitive),
            bool(lc.get("numbers", True)),
            frozenset(s.lower() for s in alikes),
            _patterns(path, "side_patterns", lc.get("side_patterns", [])),
            frozenset(s.lower() for s in lateral),
            _patterns(path, "lateral_patterns", lc.get("lateral_patterns", [])),
            window,
            bool(lc.get("repeated_sides", True)),
            _patterns(path, "hidden_side_patterns", lc.get("hidden_side_patterns", [])),
            bool(lc.get("unsided_structures", True)),
            frozenset(s.lower() for s in lc.get("unsided_skip", [])),
            bool(lc.get("near_lateral_terms", True)),
            float(lc.get("side_beside_doubt", 0.9)),
            lengths["made_up_min_length"],
            lengths["unfamiliar_min_length"],
            _patterns(path, "sensitive_patterns", lc.get("sensitive_patterns", [])),
        )
    return Vocabulary(
        tuple(t.strip() for t in terms),
        {k.upper() if k != "default" else k: v for k, v in prompts.items()},
        max_terms,
        policy,
        {tid: " ".join(p.split()) for tid, p in passages.items()},
        commands,
        breaks,
    )


@cache
def load_vocabulary(name: str = "asr_vocabulary.json") -> Vocabulary:
    """The bundled vocabulary lexicon, validated."""
    lex = load_lexicon(
        name,
        required=("terms", "prompts"),
        optional=_OPTIONAL,
    )
    data = {"description": lex.description, **lex.data}
    return _vocabulary_from(lex.path, data)


#: a longer prompt is cut by the speech model (it keeps the last 223 tokens)
_PROMPT_MAX_WORDS = 120

_SPLIT = re.compile(r"[;:,.()/\n]+")


def template_terms(spec: Any) -> tuple[str, ...]:
    """Terms of a template spec worth biasing towards: field labels and choices, topic terms,
    and the longer words of its normal texts (deduplicated, in template order)."""
    found: list[str] = []

    def add(text: str) -> None:
        for piece in _SPLIT.split(text or ""):
            piece = " ".join(piece.split())
            if 3 <= len(piece) <= 40 and piece.lower() not in {f.lower() for f in found}:
                found.append(piece)

    for sec in getattr(spec, "sections", ()):
        for fld in getattr(sec, "fields", ()):
            add(getattr(fld, "label", ""))
            for choice in getattr(fld, "choices", ()):
                # "3 - probably benign" as a term rewrote every "probably benign" said
                add(choice_words(str(choice)))
    for topic in getattr(spec, "required_topics", ()):
        for term in getattr(topic, "terms", ()):
            add(term)
    long_words: list[str] = []
    for sec in getattr(spec, "sections", ()):
        long_words += re.findall(r"[A-Za-z][A-Za-z-]{8,}", getattr(sec, "normal", "") or "")
    for word in long_words:
        add(word.lower())
    return tuple(found)

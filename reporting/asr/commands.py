"""The voice-command grammar (data: ``lexicons/voice_commands.json``).

A command is recognised only when it is a whole utterance, or a whole sentence of one (the
recogniser's sentence punctuation or a spoken "period" delimits it): "Next field." is a
command, "the next field of view is clear" is text.  :func:`split_commands` cuts an utterance
into command and text parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

from reporting.asr.formatting import spoken_sentence_ends
from reporting.errors import LexiconError
from reporting.lexicons import check_keys, expect_str_list, load_lexicon

__all__ = ["Action", "Command", "Grammar", "Part", "load_grammar", "split_commands", "ACTIONS"]

Action = Literal[
    "next_field",
    "previous_field",
    "go_to",
    "insert_normal",
    "scratch_that",
    "delete_last_sentence",
    "undo",
]
ACTIONS: tuple[str, ...] = (
    "next_field", "previous_field", "go_to", "insert_normal", "scratch_that", "delete_last_sentence", "undo",
)  # fmt: skip
_TAKES_ARGUMENT = {"go_to": True, "insert_normal": False}


@dataclass(frozen=True, slots=True)
class Command:
    """A recognised command; ``target`` is the go-to target or the normal macro's name."""

    action: str
    target: str | None = None
    spoken: str = ""


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of an utterance: either a command or text to dictate."""

    command: Command | None = None
    text: str = ""


_NORM = re.compile(r"[^a-z0-9 ]+")


def normalise(text: str) -> str:
    """Lower case, hyphens to spaces, other punctuation removed, single spaces."""
    return " ".join(_NORM.sub(" ", text.lower().replace("-", " ")).split())


@dataclass(frozen=True)
class Grammar:
    """Command phrases by action, spoken section words, fillers."""

    phrases: Mapping[str, tuple[str, ...]]
    section_words: Mapping[str, str]
    fillers: frozenset[str]

    def _strip_fillers(self, words: list[str]) -> list[str]:
        while words and words[0] in self.fillers:
            words = words[1:]
        while words and words[-1] in self.fillers:
            words = words[:-1]
        return words

    def parse(
        self,
        sentence: str,
        *,
        targets: frozenset[str] = frozenset(),
        macros: frozenset[str] = frozenset(),
    ) -> Command | None:
        """The command ``sentence`` is, or None when it is dictated text.

        ``targets`` are extra go-to targets (field labels, triggers, section titles, normalised);
        ``macros`` the names of normal macros.
        """
        words = self._strip_fillers(normalise(sentence).split())
        if not words:
            return None
        said = " ".join(words)
        if said in self.section_words:
            return Command("go_to", self.section_words[said], said)
        for action in ACTIONS:
            for phrase in sorted(self.phrases.get(action, ()), key=len, reverse=True):
                if said == phrase:
                    if action == "go_to":
                        return None  # "go to" without a target is text
                    return Command(action, None, said)
                if action in _TAKES_ARGUMENT and said.startswith(phrase + " "):
                    rest = said[len(phrase) + 1 :]
                    rest = rest[4:] if rest.startswith("the ") else rest
                    if action == "go_to":
                        if rest in self.section_words:
                            return Command(action, self.section_words[rest], said)
                        if rest in targets:
                            return Command(action, rest, said)
                    elif rest in macros:
                        return Command(action, rest, said)
        return None


_SENTENCE = re.compile(r"\S.*?(?:[.!?]+(?=\s|$)|$)", re.DOTALL)


def _sentences(text: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, said_end) of each sentence of ``text``: cut after written sentence
    punctuation and after spoken sentence ends ("period", "new line" ...); ``said_end`` leaves
    out a spoken end, which is punctuation and not part of what a command says."""
    cuts = {m.end(): m.end() for m in _SENTENCE.finditer(text)}
    cuts.update({end: start for start, end in spoken_sentence_ends(text)})
    start = 0
    for end in sorted(cuts):
        piece = text[start:end]
        if piece.strip():
            yield start + len(piece) - len(piece.lstrip()), end, max(start, cuts[end])
        start = end


def split_commands(
    grammar: Grammar,
    text: str,
    *,
    targets: frozenset[str] = frozenset(),
    macros: frozenset[str] = frozenset(),
) -> list[Part]:
    """Cut ``text`` at sentence ends, written or spoken, and classify each sentence; adjacent
    text is merged ("No effusion period next field" is text, then a command)."""
    parts: list[Part] = []
    text_start: int | None = None
    text_end = 0
    for start, end, said_end in _sentences(text):
        command = grammar.parse(text[start:said_end], targets=targets, macros=macros)
        if command is None:
            text_start = start if text_start is None else text_start
            text_end = end
            continue
        if text_start is not None:
            parts.append(Part(text=text[text_start:text_end].strip()))
            text_start = None
        parts.append(Part(command=command))
    if text_start is not None:
        parts.append(Part(text=text[text_start:text_end].strip()))
    return parts


@cache
def load_grammar(name: str = "voice_commands.json") -> Grammar:
    """The bundled grammar, validated (unknown keys and actions are errors)."""
    lex = load_lexicon(name, required=("commands",), optional=("section_words", "fillers"))
    path = lex.path
    phrases: dict[str, tuple[str, ...]] = {}
    commands = lex["commands"]
    if not isinstance(commands, list):
        raise LexiconError(f"{path}: 'commands' must be a list")
    for i, item in enumerate(commands):
        entry = check_keys(path, f"commands[{i}]", item, required=("action", "phrases"))
        action = entry["action"]
        if action not in ACTIONS:
            raise LexiconError(
                f"{path}: commands[{i}].action {action!r} is not one of {', '.join(ACTIONS)}"
            )
        said = [
            normalise(p) for p in expect_str_list(path, f"commands[{i}].phrases", entry["phrases"])
        ]
        if any(not p for p in said):
            raise LexiconError(f"{path}: commands[{i}].phrases has an empty phrase")
        phrases[action] = tuple(phrases.get(action, ())) + tuple(said)
    sections = lex.get("section_words", {})
    if not isinstance(sections, dict) or not all(isinstance(v, str) for v in sections.values()):
        raise LexiconError(f"{path}: 'section_words' must map spoken words to section names")
    fillers = expect_str_list(path, "fillers", lex.get("fillers", []), allow_empty=True)
    return Grammar(
        phrases,
        {normalise(k): v for k, v in sections.items()},
        frozenset(normalise(f) for f in fillers),
    )

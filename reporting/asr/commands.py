"""The voice-command grammar (data: ``lexicons/voice_commands.json``).

A command is recognised only when it is a whole utterance, or a whole sentence of one (the
recogniser's sentence punctuation or a spoken "period" delimits it): "Next field." is a
command, "the next field of view is clear" is text.  :func:`split_commands` cuts an utterance
into command and text parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from reporting.asr.formatting import spoken_sentence_ends
from reporting.errors import LexiconError
from reporting.lexicons import check_keys, expect_bool, expect_int, expect_str_list, load_lexicon

__all__ = [
    "Action",
    "Command",
    "Grammar",
    "Part",
    "ValueTest",
    "load_grammar",
    "split_commands",
    "ACTIONS",
    "normalise",
    "letter_ratio",
]

Action = Literal[
    "next_field",
    "previous_field",
    "go_to",
    "insert_normal",
    "scratch_that",
    "delete_last_sentence",
    "undo",
    "redo",
]
ACTIONS: tuple[str, ...] = (
    "next_field", "previous_field", "go_to", "insert_normal", "scratch_that", "delete_last_sentence", "undo",
    "redo",
)  # fmt: skip
_TAKES_ARGUMENT = {"go_to": True, "insert_normal": False}


@dataclass(frozen=True, slots=True)
class Command:
    """A recognised command; ``target`` is the go-to target or the normal macro's name;
    ``unpaused``: a field's name heard inside a sentence with no pause before it, a guess
    that what follows is that field's."""

    action: str
    target: str | None = None
    spoken: str = ""
    unpaused: bool = False


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of an utterance: either a command or text to dictate."""

    command: Command | None = None
    text: str = ""


_NORM = re.compile(r"[^a-z0-9 ]+")


def normalise(text: str) -> str:
    """Lower case, hyphens to spaces, other punctuation removed, single spaces."""
    return " ".join(_NORM.sub(" ", text.lower().replace("-", " ")).split())


_WORD = re.compile(r"[a-z0-9]+", re.IGNORECASE)


def _tokens(sentence: str) -> list[tuple[str, int, int]]:
    """Each word of ``sentence``, lower case, with where it starts and ends."""
    return [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(sentence)]


#: the most words a header said before a comma or colon may have ("right kidney length")
_LONGEST_HEADER = 5


def _drop_the(words: str) -> str:
    return words[4:] if words.startswith("the ") else words


@dataclass(frozen=True)
class ValueTest:
    """Whether dictated text gives a field a value, for ``value_targets``; ``comma``: the
    field's name set off by a comma is its header whatever follows (a field that takes a
    number, a choice or yes/no: "BI-RADS, two"), not only before a value or a description
    (a text field: "Spleen, 11 cm.", "Lungs, there is a nodule.", but not "Heart,
    mediastinum and hila are normal."); ``described``: the field's name is its header before
    a word that says how the field is, with no pause written ("Left ovary normal."), as when
    the radiologist is already filling fields.  ``section`` and ``field``: where the field
    is, so that a section's name said right before the field's ("Findings medial meniscus
    complex tear.") goes to it, and a field's own name inside its value is not a header;
    ``measured``: for a measured field, whether text begins with a measurement ("4 mm ..."),
    which makes its name a header inside dictated text when the rest is not all its value."""

    gives: Callable[[str], bool]
    comma: bool = True
    described: bool = False
    section: str | None = None
    field: str | None = None
    measured: Callable[[str], bool] | None = None

    def __call__(self, text: str) -> bool:
        return self.gives(text)


@dataclass(frozen=True)
class Grammar:
    """Command phrases by action, spoken section words, fillers; the actions that may also
    begin a sentence that goes on with dictated text ("scratch that moderate effusion"); how
    near a misheard go-to target must sound to a known one ("go to blur" -> "pleura")."""

    phrases: Mapping[str, tuple[str, ...]]
    section_words: Mapping[str, str]
    fillers: frozenset[str]
    leading: frozenset[str] = frozenset()
    #: actions whose phrases of two words or more also end a sentence of dictated text
    trailing: frozenset[str] = frozenset()
    #: words after which a trailing phrase is text ("seen in the next field")
    not_after: frozenset[str] = frozenset()
    #: actions whose phrases of two words or more are never text, wherever they are said
    anywhere: frozenset[str] = frozenset()
    #: what the recogniser is known to write for a command's phrase ("and do" for "undo"),
    #: by action: that command where its phrase would be one, as a whole sentence or at the
    #: end of one, never at the start
    heard_as: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    target_min_score: float = 101.0
    target_margin: float = 0.0
    target_strict_score: float = 101.0
    command_min_score: float = 101.0
    command_min_length: int = 10
    command_length_slack: int = 0
    #: how alike a sentence's last words must be to a command phrase of three words or more
    command_end_score: float = 101.0
    #: words of anatomy and finding terms: words that only sound like a command and hold one
    #: of these are report text ("Heart normal." is not "insert normal")
    report_words: frozenset[str] = frozenset()
    #: words that begin a description: a text field's name set off by a comma before one of
    #: these is its header ("Lungs, there is a nodule." "Heart, normal size."), but not
    #: before another organ ("The heart, mediastinum and hila are normal.")
    describes: frozenset[str] = frozenset()

    def _names_anatomy(self, words: list[str]) -> bool:
        return any(w in self.report_words for w in words)

    def _strip_fillers(self, words: list[str]) -> list[str]:
        while words and words[0] in self.fillers:
            words = words[1:]
        while words and words[-1] in self.fillers:
            words = words[:-1]
        return words

    def _target(self, rest: str, targets: frozenset[str]) -> str | None:
        rest = _drop_the(rest)
        if rest in self.section_words:
            return self.section_words[rest]
        return rest if rest in targets else None

    def _sounds_like_target(
        self, rest: str, targets: frozenset[str], *, strict: bool = False
    ) -> str | None:
        """The one known target that ``rest`` sounds clearly most like, or None; ``strict``
        asks for the higher score (``rest`` may be a target with dictated text after it)."""
        rest = _drop_the(rest)
        best: dict[str, float] = {}
        for name, target in [*self.section_words.items(), *((t, t) for t in targets)]:
            score = letter_ratio(rest, name)
            best[target] = max(score, best.get(target, 0.0))
        ranked = sorted(best.items(), key=lambda kv: kv[1], reverse=True)
        minimum = self.target_strict_score if strict else self.target_min_score
        if not ranked or ranked[0][1] < minimum:
            return None
        if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < self.target_margin:
            return None
        return ranked[0][0]

    def parse(
        self,
        sentence: str,
        *,
        targets: frozenset[str] = frozenset(),
        macros: frozenset[str] = frozenset(),
        alike: bool = True,
        respell: Callable[[str], str] | None = None,
    ) -> Command | None:
        """The command ``sentence`` is, or None when it is dictated text.

        ``targets`` are extra go-to targets (field labels, triggers, section titles, normalised);
        ``macros`` the names of normal macros.  A go-to target that is not known becomes the
        known one it clearly sounds most like ("go to blur" -> "pleura"), when one does.
        ``alike=False``: not a sentence that only sounds like a command (``sounds_like``): for
        what is left of a sentence after a command, which is most often dictated text.
        ``respell``: how dictated text would be corrected ("Cardilage." -> "Cartilage."), so
        that a field's name said alone and mis-heard is still its header.
        """
        whole = normalise(sentence)
        words = self._strip_fillers(whole.split())
        if not words:
            return None
        said = " ".join(words)
        for action, heard in self.heard_as.items():
            if whole in heard or said in heard:
                return Command(action, None, whole)
        if said in self.section_words and self._has_section(said, targets):
            return Command("go_to", self.section_words[said], said)
        named = _named_target(said, targets)
        if named is None and respell is not None and targets and len(words) <= _LONGEST_HEADER:
            named = _named_target(
                " ".join(self._strip_fillers(normalise(respell(sentence)).split())), targets
            )
        if named is not None:  # a field's name said alone is its header ("Medial meniscus.")
            return Command("go_to", named, said)
        for action in ACTIONS:
            for phrase in sorted(self.phrases.get(action, ()), key=len, reverse=True):
                if said == phrase:
                    if action == "go_to":
                        return None  # "go to" without a target is text
                    return Command(action, None, said)
                if action in _TAKES_ARGUMENT and said.startswith(phrase + " "):
                    rest = said[len(phrase) + 1 :]
                    if action == "go_to":
                        target = self._target(rest, targets)
                        if target is None:
                            # "go to the lungs clear" is a known target and text after it
                            texts = self._known_start(rest.split(), targets) is not None
                            target = self._sounds_like_target(rest, targets, strict=texts)
                        if target is not None:
                            return Command(action, target, said)
                    elif _drop_the(rest) in macros:
                        return Command(action, _drop_the(rest), said)
        return self._sounds_like_command(said) if alike else None

    def _sounds_like_command(self, said: str) -> Command | None:
        """The command whose phrase (of :attr:`command_min_length` letters or more, and within
        :attr:`command_length_slack` letters of the sentence's length) the whole sentence
        sounds like ("insert nor mill" -> insert normal), or None."""
        if len(said) < self.command_min_length:
            return None
        leading = [p for action in self.leading for p in self.phrases.get(action, ())]
        if any(said.startswith(p + " ") for p in leading):
            return None  # a command said right, then words: a command and text
        if self._names_anatomy(said.split()):
            return None
        best = (0.0, "")
        for action in ACTIONS:
            if action == "go_to":
                continue
            for phrase in self.phrases.get(action, ()):
                near = abs(len(phrase) - len(said)) <= self.command_length_slack
                if len(phrase) >= self.command_min_length and near:
                    best = max(best, (letter_ratio(said, phrase), action))
        return Command(best[1], None, said) if best[0] >= self.command_min_score else None

    def parse_leading(
        self,
        sentence: str,
        *,
        targets: frozenset[str] = frozenset(),
        value_targets: Mapping[str, Callable[[str], bool]] | None = None,
    ) -> tuple[Command, int] | None:
        """A command that begins ``sentence`` and the offset where the dictated text after it
        starts, or None: a section name set off as a header ("Impression, no acute disease."),
        or a command of a :attr:`leading` action ("Scratch that moderate effusion." -> scratch
        that, then "moderate effusion."; "Go to impression no acute disease." -> go to the
        known target "impression", then the text)."""
        tokens = _tokens(sentence)
        i = 0
        while i < len(tokens) and tokens[i][0] in self.fillers:
            i += 1
        said = [t for t, _, _ in tokens[i:]]
        header = self._section_header(sentence, tokens, i, targets, value_targets or {})
        if header is not None:
            return header
        for action in ACTIONS:
            if action not in self.leading:
                continue
            for phrase in sorted(self.phrases.get(action, ()), key=len, reverse=True):
                n = len(phrase.split())
                if said[:n] != phrase.split() or len(said) <= n:
                    continue
                if action != "go_to":
                    return Command(action, None, phrase), tokens[i + n - 1][2]
                known = self._known_start(said[n:], targets)
                if known is not None:
                    k = n + known[1]
                    return Command(action, known[0], " ".join(said[:k])), tokens[i + k - 1][2]
        return None

    def parse_trailing(
        self, sentence: str, *, targets: frozenset[str] = frozenset()
    ) -> tuple[Command, int] | None:
        """A command that ends ``sentence`` after dictated text in the same breath, and the
        offset where it starts, or None.  The recogniser often runs a command said after a
        short pause into the sentence before it ("Small effusion next field."; "The heart is
        normal, delete last sentence."): a phrase of two words or more of a :attr:`trailing`
        action or one it is known to be heard as (:attr:`heard_as`: "in due" for "undo"),
        said right, or, for a phrase of three words or more, its words sounding like it
        (``sounds_like.min_score_at_end``: "delayed last sentence"); a one-word phrase set off
        by a comma ("..., undo."); a go-to needs a known target after it ("... go to
        impression").  Not after a word that needs one after it ("seen in the next field")."""
        tokens = _tokens(sentence)
        while tokens and tokens[-1][0] in self.fillers:
            tokens = tokens[:-1]
        said = [t for t, _, _ in tokens]
        found: tuple[Command, int] | None = None
        for action in ACTIONS:
            if action not in self.trailing:
                continue
            heard = self.heard_as.get(action, ())
            for phrase in (*self.phrases.get(action, ()), *heard):
                n = len(phrase.split())
                if len(said) <= n:
                    continue
                if n == 1:  # "The heart is normal, undo.": a single word set off by a comma
                    if said[-1] == phrase and _comma_before(sentence, tokens[-1][1]):
                        found = found or (Command(action, None, phrase), len(said) - 1)
                    continue
                if action == "go_to":
                    found = found or self._trailing_go_to(said, phrase.split(), targets)
                    continue
                tail = " ".join(said[-n:])
                alike = (
                    phrase not in heard
                    and n >= 3
                    and len(phrase) >= self.command_min_length
                    and abs(len(tail) - len(phrase)) <= self.command_length_slack
                    and letter_ratio(tail, phrase) >= self.command_end_score
                    and not self._names_anatomy(said[-n:])
                )
                if tail == phrase or alike:
                    found = found or (Command(action, None, tail), len(said) - n)
        if found is None:
            return None
        command, at = found
        start = self._after_text(said, at)
        return None if start is None else (command, tokens[start][1])

    def parse_inside(self, sentence: str) -> tuple[Command, int, int] | None:
        """A command of an :attr:`anywhere` action said inside ``sentence``, between dictated
        words ("Small effusion scratch that moderate effusion."), and where it starts and
        ends, or None.  A filler before it goes with it ("... and scratch that ...")."""
        tokens = _tokens(sentence)
        said = [t for t, _, _ in tokens]
        for action in ACTIONS:
            if action not in self.anywhere:
                continue
            for phrase in self.phrases.get(action, ()):
                words = phrase.split()
                n = len(words)
                if n < 2:
                    continue
                for i in range(1, len(said) - n):
                    start = self._after_text(said, i) if said[i : i + n] == words else None
                    if start is not None:
                        command = Command(action, None, phrase)
                        return command, tokens[start][1], tokens[i + n - 1][2]
        return None

    def _after_text(self, said: list[str], at: int) -> int | None:
        """Where a command found at word ``at`` of ``said`` begins, the fillers before it
        going with it ("small effusion and next field"); None when no dictated text comes
        before it, or the word before it needs one after it ("seen in the next field")."""
        while at > 0 and said[at - 1] in self.fillers:
            at -= 1
        return None if at == 0 or said[at - 1] in self.not_after else at

    def _trailing_go_to(
        self, said: list[str], phrase: list[str], targets: frozenset[str]
    ) -> tuple[Command, int] | None:
        """ "go to <known target>" ending ``said``: the command and the index it starts at."""
        n = len(phrase)
        for i in range(1, len(said) - n):
            if said[i : i + n] != phrase:
                continue
            target = self._target(" ".join(said[i + n :]), targets)
            if target is not None:
                return Command("go_to", target, " ".join(said[i:])), i
        return None

    def _has_section(self, word: str, targets: frozenset[str]) -> bool:
        """Whether the section spoken ``word`` names is one to go to: always without
        ``targets``; with them, only when it is one ("Technique: PA and lateral views." in a
        template without a technique section is text, said as it was)."""
        return not targets or word in targets

    def _section_header(
        self,
        sentence: str,
        tokens: list[tuple[str, int, int]],
        i: int,
        targets: frozenset[str],
        value_targets: Mapping[str, Callable[[str], bool]],
    ) -> tuple[Command, int] | None:
        """A spoken section name set off as a header at the start of a sentence by a comma, a
        colon or a spoken "colon" ("Impression, no acute disease." "Findings colon the lungs
        are clear."), or a known target (a field's label or trigger) by a colon ("Lungs:
        clear."); and where the text after it starts.  The target of a field that takes a
        number, a choice or yes/no (``value_targets``, each with a test of whether text gives
        it a value) is a header before a comma too, or before words that give it a value
        ("Right kidney length, 11.2 cm.", "Right kidney length 11.2 cm.").  ("The heart,
        mediastinum and hila are normal." is a sentence, not a header.)"""
        closed = _closed(targets)
        if i < len(tokens) and tokens[i][0] == "the" and value_targets:
            # "The common bile duct measures 4 mm.": a value field's name after "the" is its
            # header only when its value follows
            found = self._section_header(sentence, tokens, i + 1, targets, value_targets)
            named = found[0].target if found is not None else None
            if found is not None and named is not None and named in value_targets:
                after = sentence[found[1] :]
                if after[:1].isspace() and value_targets[named](after):
                    # "the" is said with the name: a doubt about it is a doubt about the name
                    spoken = f"{tokens[i][0]} {found[0].spoken}"
                    return Command(found[0].action, named, spoken), found[1]
        for n in range(min(_LONGEST_HEADER, len(tokens) - i - 1), 0, -1):
            name = " ".join(t for t, _, _ in tokens[i : i + n])
            if name in self.section_words:
                if not self._has_section(name, targets):
                    continue
                target, commas = self.section_words[name], True
            elif name.replace(" ", "") in closed:
                target = name if name in targets else closed[name.replace(" ", "")]
                # a text field's name is a header before a comma only when a measurement or a
                # description follows it (below)
                commas = target in value_targets and getattr(value_targets[target], "comma", True)
            else:
                continue
            end = tokens[i + n - 1][2]
            mark = sentence[end:].lstrip(" ")[:1]
            if mark == ":" or (mark == "," and commas):
                return Command("go_to", target, name), end
            if (
                name in self.section_words
                and mark.isalnum()
                and self.field_begins(sentence[end:], targets, value_targets)
            ):
                # "Findings uterine length 9.8 cm.": the pause after the section, unwritten
                return Command("go_to", target, name), end
            if name in self.section_words and mark.isalnum():
                # "Findings medial meniscus complex tear ...": both pauses unwritten
                within = self._field_of_section(sentence, end, target, targets, value_targets)
                if within is not None:
                    return within
            if target in value_targets and mark.isalnum() and value_targets[target](sentence[end:]):
                return Command("go_to", target, name), end
            if mark.isalnum() and target in value_targets and _there_is(sentence[end:]):
                # "Adrenal glands there is a 2 cm nodule.": the pause after the name, unwritten
                return Command("go_to", target, name), end
            if (
                mark.isalnum()
                and getattr(value_targets.get(target), "described", False)
                and self._describes(sentence[end:])
            ):
                # "Left ovary normal." said in another field: the pause after the name unwritten
                return Command("go_to", target, name), end
            if mark == "," and target in value_targets:
                # a text field's name, a comma and its measurement ("Right kidney, 11 cm."), or
                # a description ("Lungs, there is a 6 mm nodule.")
                after = sentence[end:].lstrip(" ")[1:]
                if value_targets[target](after) or self._describes(after):
                    return Command("go_to", target, name), end
            if tokens[i + n][0] == "colon" and len(tokens) > i + n + 1:
                return Command("go_to", target, name), tokens[i + n][2]
        return None

    def _field_of_section(
        self,
        sentence: str,
        at: int,
        section: str,
        targets: frozenset[str],
        value_targets: Mapping[str, Callable[[str], bool]],
    ) -> tuple[Command, int] | None:
        """The go-to a field of ``section`` whose name follows the section's name, said at
        ``at`` in ``sentence``, with more words after it ("Findings medial meniscus complex
        tear ..."), and where those words start; None when no such field's name is there.
        Such a field's name right after its section's is a header whatever follows."""
        tokens = _tokens(sentence[at:])
        known = self._known_start([t for t, _, _ in tokens], targets)
        if known is None or getattr(value_targets.get(known[0]), "section", None) != section:
            return None
        spoken = " ".join(t for t, _, _ in tokens[: known[1]])
        return Command("go_to", known[0], spoken), at + tokens[known[1] - 1][2]

    def field_inside(
        self,
        sentence: str,
        targets: frozenset[str],
        value_targets: Mapping[str, Callable[[str], bool]],
        current: str | None,
        following: str = "",
    ) -> tuple[Command, int, int] | None:
        """Another field's header inside ``sentence`` dictated into the field ``current``,
        with no pause written before it, and where it starts and ends, or None: a field's
        name after a word that ends what was said before ("... posterior horn effusion
        moderate.", "... distal radius soft tissues mild swelling.") and before what gives
        it a value: all the rest, a measurement, or a word that says how it is; or, in a
        field that takes a number, a choice or yes/no, a field's name right after its value
        ("see mass and irregular mass ..." in the breast composition); or a measured field's
        name that ends the sentence when the next one (``following``: the text after it)
        is its measurement ("Normal endometrial thickness. 12 mm." in the left ovary).  Not
        the field's own name ("Nondisplaced fracture ..." in the fracture field), nor a name
        after a word that goes with it ("and", "of", "pleural effusion", "clear lungs")."""
        tokens = _tokens(sentence)
        nxt = _NEXT_SENTENCE.match(following)
        next_sentence = nxt.group(1) if nxt else ""
        said = [t for t, _, _ in tokens]
        # the field being filled, when it takes a number, a choice or yes/no
        own = next(
            (t for t in value_targets.values() if getattr(t, "field", None) == current), None
        )
        own = own if current is not None and getattr(own, "comma", False) else None
        for i in range(1, len(tokens)):
            known = self._known_start(said[i:], targets) or _spaced_start(said[i:], targets)
            if known is None and next_sentence:  # a name that ends the sentence
                whole = self._target(" ".join(said[i:]), targets)
                known = (whole, len(said) - i) if whole is not None else None
            test = value_targets.get(known[0]) if known is not None else None
            if known is None or test is None or getattr(test, "field", None) == current:
                continue
            end = tokens[i + known[1] - 1][2]
            rest = sentence[end:].lstrip(" ,")
            measured = getattr(test, "measured", None)
            if not rest.strip(" .!?"):
                # the name ends the sentence and its measurement is the whole next one: a
                # header even after a word that says how ("Normal endometrial thickness.
                # 12 mm." is the ovary's "normal" and the thickness)
                if measured is not None and next_sentence and test(next_sentence):
                    spoken = " ".join(said[i : i + known[1]])
                    return Command("go_to", known[0], spoken, unpaused=True), tokens[i][1], end
                continue
            if not self._ends_phrase(said[i - 1]):
                continue
            if (
                test(rest)
                or (measured is not None and measured(rest))
                or (getattr(test, "described", False) and self._describes(rest))
                or _there_is(rest)
                # "see mass and irregular mass ..." in the breast composition: its value
                # said in a few words, another field's name begins that field whatever
                # follows ("Scattered calcifications are noted." stays a sentence)
                or (i <= _LONGEST_VALUE and own is not None and own(sentence[: tokens[i][1]]))
            ):
                spoken = " ".join(said[i : i + known[1]])
                return Command("go_to", known[0], spoken, unpaused=True), tokens[i][1], end
        return None

    def _ends_phrase(self, word: str) -> bool:
        """Whether a field's name said after ``word`` may begin anew: not after a word that
        needs more after it ("and", "of", "the", "otherwise"), says how something is
        ("clear", "mild") or names a side or a place ("left", "pleural", "thoracic")."""
        if word in self.fillers or word in self.not_after or word in self.describes:
            return False
        return word not in _GOES_WITH_NEXT and not word.endswith(_MODIFIER_ENDINGS)

    def _describes(self, text: str) -> bool:
        """Whether ``text`` (after a field's name) begins with a word that says how the
        field is ("normal", "unremarkable", "mild", "no"), one of ``describes``."""
        first = normalise(text).split()[:1]
        return bool(first) and first[0] in self.describes

    def _known_start(self, words: list[str], targets: frozenset[str]) -> tuple[str, int] | None:
        """The longest known target that begins ``words`` with more words after it, and how
        many words it takes ("the lungs clear" -> lungs, 2)."""
        for k in range(len(words) - 1, 0, -1):
            target = self._target(" ".join(words[:k]), targets)
            if target is not None:
                return target, k
        return None

    def field_clause(
        self,
        text: str,
        targets: frozenset[str],
        value_targets: Mapping[str, Callable[[str], bool]],
    ) -> int | None:
        """Where the clause that begins ``text`` ends (at a comma or a sentence's end) when it
        is a field's name and a value it takes ("uterine length 9.8 cm", "free fluid trace"),
        or a field's name alone that ends the sentence ("mass."): a field said after a pause.
        None when it is not."""
        stop = _CLAUSE_END.search(text)
        end = stop.start() if stop else len(text)
        words = normalise(text[:end]).split()
        if not words or not targets:
            return None
        if words[0] not in self.section_words and _named_target(" ".join(words), targets):
            return end if end == len(text) or text[end] in ".!?" else None
        known = self._known_start(words, targets)
        if known is None or known[0] not in value_targets:
            return None
        named_end = _tokens(text[:end])[known[1] - 1][2]
        return end if value_targets[known[0]](text[named_end:end]) else None

    def field_begins(
        self,
        text: str,
        targets: frozenset[str],
        value_targets: Mapping[str, Callable[[str], bool]],
    ) -> bool:
        """Whether ``text`` begins with a field said after a pause (:meth:`field_clause`) that
        ends the sentence."""
        end = self.field_clause(text, targets, value_targets)
        return end is not None and (end == len(text) or text[end] in ".!?")


#: the first sentence of a text, without the blanks before it
_NEXT_SENTENCE = re.compile(r"\s*(\S.*?[.!?])(?=\s|$)", re.DOTALL)
#: how much of the text after a sentence is looked at for a measurement said on its own
#: (not the whole rest of a long dictation at every sentence)
_NEXT_LOOK = 200
#: the most words a field's value said before another field's name may have ("see",
#: "extremely dense", "11.2 cm")
_LONGEST_VALUE = 3
#: words that name a side ("left kidney") or lead on to what follows ("otherwise lungs
#: clear"): a field's name after one does not begin anew
_GOES_WITH_NEXT = frozenset({"left", "right", "bilateral", "both", "upper", "lower", "otherwise"})
#: how words that go before a noun often end ("pleural", "thoracic", "basilar", "pulmonary",
#: "nodular", "calcified"): a field's name after one is that word's noun
_MODIFIER_ENDINGS = ("al", "ic", "ar", "ary", "ous", "ed")


def _there_is(text: str) -> bool:
    """Whether ``text`` begins "there is" or "there are"."""
    return normalise(text[:20]).split()[:2] in (["there", "is"], ["there", "are"])


def _closed(targets: frozenset[str]) -> dict[str, str]:
    """``targets`` by their letters without spaces: a name spaced otherwise is the same name
    ("bi rads" is "birads", "postvoid" is "post void")."""
    return {t.replace(" ", ""): t for t in targets}


def _spaced_start(words: list[str], targets: frozenset[str]) -> tuple[str, int] | None:
    """The longest target, spaced otherwise ("bi rads" for "birads"), that begins ``words``
    with more words after it, and how many words it takes."""
    for k in range(min(len(words) - 1, _LONGEST_HEADER), 0, -1):
        target = _named_target(" ".join(words[:k]), targets)
        if target is not None:
            return target, k
    return None


def _named_target(said: str, targets: frozenset[str]) -> str | None:
    """The target that ``said`` (normalised) names, however it is spaced, or None."""
    return _closed(targets).get(said.replace(" ", "")) if targets else None


#: where a clause ends: a comma, a semicolon or colon, or a mark that ends a sentence (not the
#: point of a decimal number)
_CLAUSE_END = re.compile(r"[,;:!?]|\.(?!\d)")


def _fields_listed(
    grammar: Grammar,
    text: str,
    targets: frozenset[str],
    value_targets: Mapping[str, Callable[[str], bool]],
) -> str:
    """``text`` with each comma that the recogniser wrote for the pause before a field said
    after another one made a full stop, so that the field's name begins a sentence: a comma
    before a field's name and a value it takes ("Findings, uterine length 9.8 cm,
    endometrial thickness 8 mm, free fluid trace.") or before a field's name that ends the
    sentence ("Breast composition c, mass. An irregular mass ...").  The field must end its
    sentence, or be followed by another such field: "Enlarged, uterine length 9.8 cm, with
    a fibroid." and "The heart, mediastinum and hila are normal." keep their commas.  Both
    commas around a field's name said alone become full stops too when a field's value or
    the section's name comes before it (:func:`_name_between_commas`).  As long as
    ``text``."""
    if not targets:
        return text
    out = list(text)
    cut: set[int] = set()
    for m in reversed(list(re.finditer(r",(?=\s)", text))):
        end = grammar.field_clause(text[m.end() :], targets, value_targets)
        if end is None:
            continue
        at = m.end() + end
        if at == len(text) or text[at] in ".!?" or at in cut:
            out[m.start()] = "."
            cut.add(m.start())
    for m in re.finditer(r",(?=\s)", text):
        named = _name_between_commas(grammar, text, m.end(), targets, value_targets)
        if named is not None and m.start() not in cut:
            out[m.start()] = out[named] = "."
    return "".join(out)


def _name_between_commas(
    grammar: Grammar,
    text: str,
    at: int,
    targets: frozenset[str],
    value_targets: Mapping[str, Callable[[str], bool]],
) -> int | None:
    """Where the comma after a field's name said alone at ``at`` is, when a field that takes
    a number, a choice or yes/no and its value, or the name of the field's section, come
    before the comma at ``at``: the pauses around a field's name said after another field
    ("Breast composition c, mass, irregular mass ...") or after its section ("Findings,
    fracture, nondisplaced fracture ..."), and around a measured field's name before its
    measurement ends the sentence ("..., normal, endometrial thickness, 12 mm."); None
    otherwise, or when another name follows
    ("Heart, lungs, and mediastinum ...", "Findings, lungs, pleura and heart ..." keep
    their commas)."""
    stop = _CLAUSE_END.search(text, at)
    named = _named_target(normalise(text[at : stop.start()]), targets) if stop else None
    if stop is None or text[stop.start()] != "," or named is None:
        return None
    if grammar._known_start(normalise(text[stop.end() : stop.end() + 80]).split(), targets):
        return None  # "Findings, lungs, pleura and heart are normal.": a list of them
    if getattr(value_targets.get(named), "measured", None) is not None:
        # a measured field's name between pauses, then its measurement to the sentence's end
        # ("Left ovary, normal, endometrial thickness, 12 mm.")
        end = _CLAUSE_END.search(text, stop.end())
        if (end is None or text[end.start()] in ".!?") and value_targets[named](
            text[stop.end() : end.start() if end else len(text)]
        ):
            return stop.start()
    begin = max(text.rfind(mark, 0, at - 1) for mark in ".,;:!?") + 1
    words = normalise(text[begin : at - 1]).split()
    section = grammar.section_words.get(" ".join(words))
    if section is not None:  # "Findings, fracture, nondisplaced fracture ..."
        ours = section == getattr(value_targets.get(named), "section", None)
        return stop.start() if ours else None
    known = grammar._known_start(words, targets)
    if known is None or not getattr(value_targets.get(known[0]), "comma", False):
        return None
    value = " ".join(words[known[1] :])
    return stop.start() if value_targets[known[0]](value) else None


def _comma_before(sentence: str, offset: int) -> bool:
    return sentence[:offset].rstrip().endswith(",")


def letter_ratio(a: str, b: str) -> float:
    """How alike two strings' letters are, 0-100."""
    from rapidfuzz import fuzz

    return float(fuzz.ratio(a, b))


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
    value_targets: Mapping[str, Callable[[str], bool]] | None = None,
    respell: Callable[[str], str] | None = None,
    filling: Mapping[str, Callable[[str], bool]] | None = None,
    in_field: bool = False,
    current_field: str | None = None,
) -> list[Part]:
    """Cut ``text`` at sentence ends, written or spoken, and classify each sentence; adjacent
    text is merged ("No effusion period next field" is text, then a command).  A sentence may
    also begin with a command or a header (:meth:`Grammar.parse_leading`; ``value_targets``:
    the targets of fields that take a value, with a test of whether text gives one; ``respell``:
    see :meth:`Grammar.parse`), hold one
    that is never text
    (:meth:`Grammar.parse_inside`) or end with one (:meth:`Grammar.parse_trailing`); what is
    left after a command is read again as a sentence of its own.  ``filling``: the value
    targets to read with while a field is being filled (``in_field``: at the start of
    ``text``; then after a go-to a field, or to the next or previous field, and until a go-to
    a section); while one is, another field's header may begin inside a sentence
    (:meth:`Grammar.field_inside`; ``current_field``: the id of the field being filled at
    the start of ``text``, whose own name is never such a header)."""
    parts: list[Part] = []
    fields = value_targets or {}
    current: str | None = current_field

    def targets_now() -> Mapping[str, Callable[[str], bool]] | None:
        return filling if in_field and filling is not None else value_targets

    def moved(command: Command) -> None:
        nonlocal in_field, current
        if command.action in ("next_field", "previous_field"):
            in_field, current = True, None
        elif command.action == "go_to":
            in_field = command.target in fields
            current = getattr(fields.get(command.target or ""), "field", None)

    text_start: int | None = None
    text_end = 0
    text = _fields_listed(grammar, text, targets, fields)

    def flush(*, ended: bool = False) -> None:
        """The text so far as one part; ``ended``: a trailing command cut its sentence off."""
        nonlocal text_start
        if text_start is not None:
            said = text[text_start:text_end].strip()
            if ended:
                said = said.rstrip(" ,;:-")
                said += "" if said.endswith((".", "!", "?")) else "."
            parts.append(Part(text=said))
            text_start = None

    def after(i: int, end: int) -> int:
        """``i`` moved past the spaces and punctuation that follow a command."""
        return i + len(text[i:end]) - len(text[i:end].lstrip(" \t,;:.!?"))

    for start, end, said_end in _sentences(text):
        whole = start
        while start < end:  # what is left of the sentence after each command in it
            said = text[start:said_end]
            command = grammar.parse(
                said, targets=targets, macros=macros, alike=start == whole, respell=respell
            )
            if command is not None:
                flush()
                parts.append(Part(command=command))
                moved(command)
                break
            leading = grammar.parse_leading(
                text[start:end], targets=targets, value_targets=targets_now()
            )
            if leading is not None:
                flush()
                parts.append(Part(command=leading[0]))
                moved(leading[0])
                start = after(start + leading[1], end)
                continue
            text_start = start if text_start is None else text_start
            now = targets_now()
            # a command said inside the sentence, or another field's header there ("...
            # posterior horn effusion moderate."): the one said first
            found = [
                grammar.parse_inside(text[start:said_end]),
                grammar.field_inside(
                    text[start:said_end], targets, now, current, text[end : end + _NEXT_LOOK]
                )
                if in_field and now is not None
                else None,
            ]
            inside = min((f for f in found if f is not None), key=lambda f: f[1], default=None)
            if inside is not None:
                text_end = start + inside[1]
                flush(ended=True)
                parts.append(Part(command=inside[0]))
                moved(inside[0])
                start = after(start + inside[2], end)
                continue
            trailing = grammar.parse_trailing(text[start:said_end], targets=targets)
            if trailing is not None:
                text_end = start + trailing[1]
                flush(ended=True)
                parts.append(Part(command=trailing[0]))
                moved(trailing[0])
                break
            text_end = end
            break
    flush()
    return parts


@cache
def load_grammar(name: str = "voice_commands.json") -> Grammar:
    """The bundled grammar, validated (unknown keys and actions are errors)."""
    lex = load_lexicon(
        name,
        required=("commands",),
        optional=(
            "section_words",
            "fillers",
            "go_to_sounds_like",
            "sounds_like",
            "not_before_trailing",
            "describes_after_comma",
        ),
    )
    path = lex.path
    phrases: dict[str, tuple[str, ...]] = {}
    leading: set[str] = set()
    trailing: set[str] = set()
    heard_as: dict[str, tuple[str, ...]] = {}
    anywhere: set[str] = set()
    commands = lex["commands"]
    if not isinstance(commands, list):
        raise LexiconError(f"{path}: 'commands' must be a list")
    for i, item in enumerate(commands):
        entry = check_keys(
            path,
            f"commands[{i}]",
            item,
            required=("action", "phrases"),
            optional=("starts_sentence", "ends_sentence", "heard_as", "anywhere"),
        )
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
        if expect_bool(path, f"commands[{i}].starts_sentence", entry.get("starts_sentence", False)):
            leading.add(action)
        if expect_bool(path, f"commands[{i}].ends_sentence", entry.get("ends_sentence", False)):
            trailing.add(action)
        if expect_bool(path, f"commands[{i}].anywhere", entry.get("anywhere", False)):
            anywhere.add(action)
        alias = expect_str_list(
            path, f"commands[{i}].heard_as", entry.get("heard_as", []), allow_empty=True
        )
        if any(not normalise(a) for a in alias):
            raise LexiconError(f"{path}: commands[{i}].heard_as has an empty phrase")
        heard_as[action] = tuple(heard_as.get(action, ())) + tuple(normalise(a) for a in alias)
    sections = lex.get("section_words", {})
    if not isinstance(sections, dict) or not all(isinstance(v, str) for v in sections.values()):
        raise LexiconError(f"{path}: 'section_words' must map spoken words to section names")
    fillers = expect_str_list(path, "fillers", lex.get("fillers", []), allow_empty=True)
    not_after = expect_str_list(
        path, "not_before_trailing", lex.get("not_before_trailing", []), allow_empty=True
    )
    near = check_keys(
        path,
        "go_to_sounds_like",
        lex.get("go_to_sounds_like", {"min_score": 101, "margin": 0, "min_score_before_text": 101}),
        required=("min_score", "margin", "min_score_before_text"),
    )
    alike = check_keys(
        path,
        "sounds_like",
        lex.get("sounds_like", {"min_score": 101, "min_length": 10, "length_slack": 0}),
        required=("min_score", "min_length", "length_slack"),
        optional=("min_score_at_end", "not_with_terms_of"),
    )
    term_lexicons = expect_str_list(
        path, "sounds_like.not_with_terms_of", alike.get("not_with_terms_of", []), allow_empty=True
    )
    command_words = {w for said in phrases.values() for p in said for w in p.split()}
    return Grammar(
        phrases,
        {normalise(k): v for k, v in sections.items()},
        frozenset(normalise(f) for f in fillers),
        leading=frozenset(leading),
        trailing=frozenset(trailing),
        not_after=frozenset(normalise(w) for w in not_after),
        anywhere=frozenset(anywhere),
        heard_as={action: alias for action, alias in heard_as.items() if alias},
        target_min_score=float(expect_int(path, "go_to_sounds_like.min_score", near["min_score"])),
        target_margin=float(expect_int(path, "go_to_sounds_like.margin", near["margin"])),
        target_strict_score=float(
            expect_int(
                path, "go_to_sounds_like.min_score_before_text", near["min_score_before_text"]
            )
        ),
        command_min_score=float(expect_int(path, "sounds_like.min_score", alike["min_score"])),
        command_min_length=expect_int(
            path, "sounds_like.min_length", alike["min_length"], minimum=1
        ),
        command_length_slack=expect_int(path, "sounds_like.length_slack", alike["length_slack"]),
        command_end_score=float(
            expect_int(path, "sounds_like.min_score_at_end", alike.get("min_score_at_end", 101))
        ),
        report_words=_term_words(tuple(term_lexicons)) - command_words,
        describes=frozenset(
            normalise(w)
            for w in expect_str_list(
                path,
                "describes_after_comma",
                lex.get("describes_after_comma", []),
                allow_empty=True,
            )
        ),
    )


@cache
def _term_words(names: tuple[str, ...]) -> frozenset[str]:
    """The words (three letters or more) of the terms of the concept lexicons ``names``
    (``anatomy.json``, ``findings.json``: each concept lists its ``terms``)."""
    words: set[str] = set()
    for name in names:
        lex = load_lexicon(name, required=("concepts",), optional=("resolve",))
        concepts = lex["concepts"]
        if not isinstance(concepts, dict):
            raise LexiconError(f"{lex.path}: 'concepts' must map ids to concepts")
        for cid, concept in concepts.items():
            if not isinstance(concept, dict):
                raise LexiconError(f"{lex.path}: concepts.{cid} must be an object")
            terms = expect_str_list(lex.path, f"concepts.{cid}.terms", concept.get("terms"))
            words.update(w for t in terms for w in normalise(t).split() if len(w) >= 3)
    return frozenset(words)

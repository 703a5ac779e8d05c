"""From recogniser output to dictated text: correction, formatting and confidence flags.

``TextPipeline.process(text, words)`` corrects mis-heard terms, applies the formatting rules and
finds where each doubtful word (low probability; sides, negations, numbers and units are held
to a stricter threshold) ended up in the new text, so the draft can mark it for confirmation.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from reporting.asr.agreement import Agreement, load_agreement
from reporting.asr.correction import Correction, Corrector, load_corrector
from reporting.asr.familiar import ReportWords
from reporting.asr.fields import (
    measured_names,
    numbered_names,
    restore_measured_names,
    said_values,
    spoken_targets,
)
from reporting.asr.formatting import (
    FormatOptions,
    append_text,
    end_with_mark,
    format_text,
    has_spoken_punctuation,
    leading_mark,
    mark_words,
    spoken_words,
    unit_of,
    words_to_number,
)
from reporting.asr.lists import ListRules, join_negated_lists, load_list_rules
from reporting.asr.phrases import Phrasebook, bundled_phrases, field_phrases, recall_prompt
from reporting.asr.sides import SIDED, SIDES
from reporting.asr.types import Transcript, Word
from reporting.asr.vocabulary import ConfidencePolicy, Vocabulary, load_vocabulary, template_terms
from reporting.text import lower_same_length

__all__ = ["Flag", "Processed", "TextPipeline", "build_pipeline", "is_doubtful", "side_context"]


@dataclass(frozen=True, slots=True)
class Flag:
    """A doubtful word at ``start..end`` of the processed text."""

    start: int
    end: int
    word: str
    probability: float
    #: "low_probability" | "side" | "negation" | "number" | "unit" | "sensitive" | "made_up" |
    #: "unfamiliar" |
    #: "joined_list" (a list the recogniser cut at a pause after "No ...", joined back to it:
    #: the span is the joined part, and ``probability`` is 1.0, as no one word is doubted) |
    #: "guessed_number" (a number written for a word that was none: "free centimeters" ->
    #: "3 cm") | "unpaused" (said after a field's name heard inside a sentence with no pause
    #: before it: the value is that field's by a guess) | "opposite" (a known mis-hearing of
    #: the opposite meaning rewritten, "a regular" -> "an irregular" before "mass": the span
    #: is what was written, and ``probability`` is 1.0)
    reason: str

    def moved(self, by: int) -> Flag:
        """This flag with its span ``by`` characters further on (back, when negative)."""
        return Flag(self.start + by, self.end + by, self.word, self.probability, self.reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "word": self.word,
            "probability": round(self.probability, 4),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Processed:
    """The dictated text of one utterance (or part), with its corrections and flags."""

    text: str
    raw: str
    corrections: tuple[Correction, ...] = ()
    flags: tuple[Flag, ...] = ()


def _flag_start(flag: Flag) -> int:
    return flag.start


def _bare(word: str) -> str:
    return re.sub(r"^[^\w]+|[^\w%]+$", "", word).lower()


def _reason(bare: str) -> str:
    if bare in SIDED:
        return "side"
    if bare in ("no", "now", "not", "without", "with"):
        return "negation"
    if re.fullmatch(r"\d+(?:\.\d+)?%?", bare) or words_to_number(bare) is not None:
        return "number"
    if bare in unit_of():
        return "unit"
    return "sensitive"


def is_doubtful(word: Word, policy: ConfidencePolicy) -> str | None:
    """The reason ``word`` needs confirming under ``policy``, or None."""
    bare = _bare(word.word)
    if not bare:
        return None
    if policy.sounds_like_side(bare):
        return "side"  # "light mastectomy": a side may have been mis-heard
    sensitive = policy.is_sensitive(bare) or bare in unit_of()
    if policy.numbers and (re.search(r"\d", bare) or words_to_number(bare) is not None):
        sensitive = True
    if sensitive and word.probability < policy.sensitive_threshold:
        return _reason(bare)
    if word.probability < policy.threshold:
        return "low_probability"
    return None


def side_context(
    words: Sequence[Word], policy: ConfidencePolicy, *, known: Callable[[str], bool] | None = None
) -> set[int]:
    """Indexes of ``words`` whose side is doubtful from their neighbours: a loose sound-alike
    of a side right before a paired structure ("lit lung"), the second of the same side said
    twice in a row ("the left, left and ..."), a doubtful word right before a paired structure
    that no side qualifies ("deform type ribs"; a doubtful word one letter from a structure
    counts as one: "deform dry fibs"), a made-up word (not ``known``: neither
    English nor a term) that may have swallowed a side ("minimal ribosular atelectasis"), and
    a side not quite sure (below ``side_beside_doubt``) with an unsure word beside it
    ("catheter on the right" for "catheter otherwise")."""
    bares = [_bare(w.word) for w in words]
    paired = [
        bool(b) and policy.is_structure(b, w.probability) for b, w in zip(bares, words, strict=True)
    ]
    doubtful: set[int] = set()
    window = policy.lateral_window
    for i, bare in enumerate(bares):
        if not bare:
            continue
        following = [j for j in range(i + 1, min(len(bares), i + 1 + window)) if bares[j]]
        if policy.loosely_like_side(bare) and any(paired[j] for j in following):
            doubtful.add(i)
        if policy.repeated_sides and bare in SIDES and i > 0 and bares[i - 1] == bare:
            doubtful.add(i)
        if bare in SIDES and words[i].probability < policy.side_beside_doubt:
            near = range(max(0, i - window), min(len(words), i + window + 1))
            if any(j != i and bares[j] and words[j].probability < policy.threshold for j in near):
                doubtful.add(i)
        if known is not None and not known(bare) and policy.may_hide_side(bare):
            doubtful.add(i)
        if (
            policy.unsided_structures
            and i + 1 < len(bares)
            and paired[i + 1]
            and not paired[i]
            and bare not in policy.unsided_skip
            and words[i].probability < policy.sensitive_threshold
            and not any(_sided(b) for b in bares[max(0, i - window) : i + 1])
        ):
            doubtful.add(i)
    return doubtful


def _find(lowered: str, forms: Sequence[str], cursor: int) -> tuple[int, int] | None:
    """The earliest whole-word match of any of ``forms`` in ``lowered`` from ``cursor``."""
    found: tuple[int, int] | None = None
    for form in forms:
        m = re.compile(rf"(?<![\w.]){re.escape(form)}(?![\w])").search(lowered, cursor)
        if m is not None and (found is None or m.start() < found[0]):
            found = (m.start(), m.end())
    return found


class _Merged:
    """Finds where a word of the text before formatting went in the text after it, for the
    words formatting merged with others ("four" of "L four five" is in "L4-5"): the two texts
    are aligned letter by letter, and the word's letters lead to the written token holding
    them.  Words are looked for in order, as the flags are."""

    def __init__(self, source: str, text: str) -> None:
        self.source, self.text = lower_same_length(source), text
        self.cursor = 0
        self.last_found = False
        self._opcodes: Sequence[tuple[str, int, int, int, int]] | None = None

    def skip(self, bare: str) -> None:
        """Move past ``bare`` in the source: it was found in the text another way."""
        self.last_found = False
        m = _word_at(self.source, bare, self.cursor)
        if m is not None:
            self.cursor = m[1]

    def find(self, bare: str, *, or_next: bool = False) -> tuple[int, int] | None:
        """The span of the written token that ``bare`` (the next time it occurs in the
        source) became; None when it became no word ("period" -> ".") or is not there.
        ``or_next``: a word formatting dropped altogether stands for the token written after
        it (Whisper's numero sign "No." of "No. 1." is the item number "1.")."""
        self.last_found = False
        span = _word_at(self.source, bare, self.cursor)
        if span is None or not self.source:
            return None
        self.cursor = span[1]
        if self._opcodes is None:
            matcher = difflib.SequenceMatcher(
                None, self.source, lower_same_length(self.text), autojunk=False
            )
            self._opcodes = matcher.get_opcodes()
        start, end = span
        targets: list[int] = []
        for tag, i1, i2, j1, j2 in self._opcodes:
            if i1 >= end or i2 <= start or tag in ("delete", "insert"):
                continue
            if tag == "equal":
                targets += [j1 + max(start, i1) - i1, j1 + min(end, i2) - i1]
            else:
                targets += [j1, j2]
        if not targets and or_next:
            after = [j1 for tag, i1, _, j1, _ in self._opcodes if tag != "insert" and i1 >= end]
            targets = [after[0], after[0] + 1] if after else []
        if not targets:
            return None
        a, b = min(targets), max(targets)
        letters = [i for i in range(a, b) if self.text[i].isalnum()]
        if not letters:
            return None
        self.last_found = True
        return _token(self.text, letters[0], letters[-1] + 1)


def _token(text: str, a: int, b: int) -> tuple[int, int]:
    """The written token of ``text`` (between spaces, without the punctuation around it) that
    holds ``text[a:b]``."""
    while a > 0 and not text[a - 1].isspace():
        a -= 1
    while b < len(text) and not text[b].isspace():
        b += 1
    while a < b and text[a] in "([\"'":
        a += 1
    while b > a and text[b - 1] in ".,;:?!)]\"'":
        b -= 1
    return (a, b)


def _word_at(lowered: str, bare: str, cursor: int) -> tuple[int, int] | None:
    m = re.compile(rf"(?<![\w]){re.escape(bare)}(?![\w])").search(lowered, cursor)
    return None if m is None else (m.start(), m.end())


def _bares(text: str) -> list[str]:
    return [_bare(w) for w in text.split()]


def _sided(bare: str) -> bool:
    """Whether ``bare`` gives a side or says there is none to give ("bilateral", "both",
    "bibasilar")."""
    return bare in SIDED or bare == "both" or bare.startswith("bi")


@dataclass
class TextPipeline:
    """Correction + formatting + confidence for one template/modality."""

    vocabulary: Vocabulary
    corrector: Corrector
    format_options: FormatOptions = field(default_factory=FormatOptions)
    modality: str = ""
    extra_terms: tuple[str, ...] = ()
    template: str = ""
    #: sentences recalled into the prompt of a second decode (see :meth:`recall_prompt`)
    phrases: Phrasebook = field(default_factory=Phrasebook)
    #: how alike (rapidfuzz ratio, 0-100, of the corrector's sound-alike keys) a heard word
    #: must be to a term the second decode wrote for the term to count as heard
    heard_score: float = 50.0
    #: negated lists cut at a pause are joined back (None: never)
    list_rules: ListRules | None = field(default_factory=load_list_rules)
    #: the template's measured fields' names, restored when misheard before a measurement
    #: (:func:`~reporting.asr.fields.restore_measured_names`)
    measured_names: tuple[str, ...] = ()
    #: the names of its choice fields with numbered choices, restored before a number
    #: ("By rads 4." -> "BI-RADS 4.")
    numbered_names: tuple[str, ...] = ()
    #: the names said to go to the template's sections and fields, normalised
    #: (:func:`~reporting.asr.fields.spoken_targets`): a header said alone is not a misheard
    #: voice command
    go_to_names: frozenset[str] = frozenset()
    #: what is said alone to fill one of its fields, normalised
    #: (:func:`~reporting.asr.fields.said_values`: "none", "probably benign")
    field_values: frozenset[str] = frozenset()
    #: a plural subject written singular before "are" is made plural (None: never)
    agreement: Agreement | None = field(default_factory=load_agreement)
    #: the words of the report text we know: a written word none of them is, is flagged
    #: (the policy's ``unfamiliar_min_length``)
    report_words: ReportWords = field(default_factory=ReportWords)

    @property
    def prompt(self) -> str:
        return self.vocabulary.prompt(
            modality=self.modality, template_terms=self.extra_terms, template=self.template
        )

    def recall_prompt(self, heard: str, base: str | None = None) -> str | None:
        """The prompt for a second decode of speech first heard as ``heard``: ``base``
        (default: :attr:`prompt`) followed by the phrasebook sentences most like it; None when
        the phrasebook has nothing to offer."""
        recalled = self.phrases.recall(heard, sound=self.corrector.key)
        if not recalled:
            return None
        return recall_prompt(base or self.prompt, recalled)

    @cached_property
    def _term_words(self) -> frozenset[str]:
        return frozenset(
            w for word in self.corrector.term_words for w in re.findall(r"[a-z]{4,}", word)
        )

    def unheard_term(self, word: str, heard: Sequence[str]) -> bool:
        """Whether ``word`` (lower case), which a second decode wrote where the first heard
        ``heard``, is a word of a vocabulary term that nothing in ``heard`` sounds like: it
        may have been copied from a recalled sentence rather than heard."""
        from rapidfuzz import fuzz

        if word not in self._term_words:
            return False
        key = self.corrector.key(word)
        return not any(
            fuzz.ratio(key, self.corrector.key(h)) >= self.heard_score for h in heard if h
        )

    @property
    def hotwords(self) -> str:
        return self.vocabulary.hotwords(template_terms=self.extra_terms)

    def process(self, text: str, words: Sequence[Word] = ()) -> Processed:
        # the made-up words the recogniser was unsure of, but for one that may hide a side
        # ("ribosular" for "right basilar"), may become a word of the template
        policy = self.vocabulary.confidence
        unsure = {
            bare
            for bare, w in ((_bare(w.word), w) for w in words)
            if w.probability < policy.threshold and not policy.may_hide_side(bare)
        }
        corrected, corrections = self.corrector.correct(text, unsure)
        if self.agreement is not None:
            corrected, agreed = self.agreement.agree(corrected)
            corrections += agreed
        formatted = format_text(corrected, self.format_options)
        if self.measured_names or self.numbered_names:
            formatted, named = restore_measured_names(
                formatted, self.measured_names, self.corrector.key, numbered=self.numbered_names
            )
            corrections += tuple(named)
        joined: tuple[Flag, ...] = ()
        # a speaker who says "period" and "comma" placed every full stop: none is a pause
        if not has_spoken_punctuation(corrected):
            formatted, joined = self.joined_lists(formatted)
        flags = _confirming(
            formatted, corrections, self._flags(formatted, words, corrections, corrected) + joined
        )
        return Processed(formatted, text, corrections, tuple(sorted(flags, key=_flag_start)))

    def joined_lists(self, text: str, *, at: int | None = None) -> tuple[str, tuple[Flag, ...]]:
        """``text`` with each negated list cut at a pause joined back (``at``: only one that
        starts there, see :func:`~reporting.asr.lists.join_negated_lists`) and a
        ``joined_list`` flag over each part joined; ``text`` as it is without list rules."""
        if self.list_rules is None:
            return text, ()
        text, spans = join_negated_lists(text, self.list_rules, at=at)
        return text, tuple(Flag(a, b, text[a:b], 1.0, "joined_list") for a, b in spans)

    def join(self, texts: Sequence[str], raw: Sequence[str] = ()) -> str:
        """The processed texts of consecutive pieces of one recording as one text.  A negated
        list the cut between two pieces split ("No airspace disease." + "Effusion or
        noncalcified nodule.") is joined back, as :class:`~reporting.dictation.DictationSession`
        does, unless the speaker says punctuation aloud in one of the ``raw`` texts."""
        joins = not any(has_spoken_punctuation(r) for r in raw)
        out = ""
        for text in (t for t in texts if t):
            mark, text = leading_mark(text)  # "period" said after a pause ends the text before
            out = end_with_mark(out, mark)
            if not text:
                continue
            before = out
            out = append_text(out, text)
            if joins and before.strip():  # a list is never joined across a line break
                out, _ = self.joined_lists(out, at=len(out) - len(text.lstrip()))
        return out

    def process_transcript(self, transcript: Transcript) -> Processed:
        return self.process(transcript.text, transcript.words)

    def process_pieces(self, pieces: Sequence[Transcript]) -> tuple[str, list[Processed]]:
        """The pieces of one recording, each processed, and their texts joined as
        :meth:`join` joins them: what ``reporting transcribe`` prints."""
        processed = [self.process_transcript(t) for t in pieces]
        return self.join([p.text for p in processed], [t.text for t in pieces]), processed

    def _flags(
        self,
        text: str,
        words: Sequence[Word],
        corrections: Sequence[Correction] = (),
        source: str = "",
    ) -> tuple[Flag, ...]:
        """Where each doubtful word of ``words`` ended up in ``text``; a word the corrector
        replaced is flagged on what was written in its place ("ribosular" -> "bibasilar":
        a side may have been lost there, and the correction does not make it sure).  A word
        that formatting merged with others (``source``: the text before formatting) is flagged
        on what they became together ("L four five" -> "L4-5", "sixty five year old" ->
        "65-year-old")."""
        flags: list[Flag] = []
        lowered = lower_same_length(text)
        cursor = 0
        merged = _Merged(source, text)
        policy = self.vocabulary.confidence
        side_doubts = side_context(words, policy, known=self.corrector.is_word)
        for index, word in enumerate(words):
            bare = _bare(word.word)
            if not bare:
                continue
            forms = [bare]
            number = words_to_number(bare)
            if number is not None:
                forms.append(number)
            if bare in unit_of():  # "centimeters" is written "cm"
                forms.append(unit_of()[bare].lower())
            found = _find(lowered, forms, cursor)
            if found is not None and number is not None:
                # the flag covers the whole number as written: "4.2", "L4-5", "65-year-old"
                found = _token(text, *found)
            guessed = False
            if found is None:
                replaced = [c.written.lower() for c in corrections if bare in _bares(c.heard)]
                found = _find(lowered, replaced, cursor)
                if found is None and number is None:
                    # a number written for a word that was none ("free centimeter" -> "3 cm")
                    numbers = [n for w in replaced if (n := words_to_number(w.split()[0]))]
                    found = _find(lowered, numbers, cursor) if numbers else None
                    guessed = found is not None
            reason = is_doubtful(word, policy)
            if guessed and reason in (None, "low_probability", "sensitive"):
                reason = "guessed_number"
            if found is None and (reason is not None or index in side_doubts):
                found = merged.find(bare, or_next=bare not in mark_words())
            else:
                merged.skip(bare)
            if found is None or any(f.start < found[1] and found[0] < f.end for f in flags):
                continue  # one flag for the words that became one ("eleven point two")
            cursor = max(cursor, found[0] if merged.last_found else found[1])
            if index in side_doubts and reason in (None, "low_probability", "sensitive"):
                reason = "side"  # a doubtful side says more than a doubtful word
            if reason is None and self._made_up(text[found[0] : found[1]]):
                reason = "made_up"
            if reason is None and self._unfamiliar(text[found[0] : found[1]]):
                reason = "unfamiliar"
            if reason is not None:
                flags.append(
                    Flag(found[0], found[1], text[found[0] : found[1]], word.probability, reason)
                )
        return tuple(flags)

    def _made_up(self, written: str) -> bool:
        """Whether ``written`` holds a word the recogniser made up (the policy's
        ``made_up_min_length``; 0: never).  Sure or not, it is not what was said, or a word we
        do not know."""
        shortest = self.vocabulary.confidence.made_up_min_length
        return bool(shortest) and self.corrector.made_up(written, shortest)

    def _unfamiliar(self, written: str) -> bool:
        """Whether ``written`` holds a word of ``unfamiliar_min_length`` letters or more that
        no report text we know holds (0, or no report words: never)."""
        shortest = self.vocabulary.confidence.unfamiliar_min_length
        return bool(shortest and self.report_words) and bool(
            self.report_words.unfamiliar(written, shortest)
        )


def _confirming(
    text: str, corrections: Sequence[Correction], flags: tuple[Flag, ...]
) -> tuple[Flag, ...]:
    """``flags`` with an ``opposite`` flag over what each rewrite of the opposite meaning
    wrote in ``text`` ("an irregular" for "a regular" before "mass"), in place of any flag it
    overlaps: the rewrite is what reports say, but the radiologist may have said what was
    heard."""
    lowered = lower_same_length(text)
    cursor = 0
    out = list(flags)
    for change in corrections:
        if change.kind != "confirm":
            continue
        found = _find(lowered, [change.written.lower()], cursor)
        if found is None:
            continue
        a, b = found
        cursor = b
        out = [f for f in out if not (f.start < b and a < f.end)]
        out.append(Flag(a, b, text[a:b], 1.0, "opposite"))
    return tuple(out)


def _command_words() -> list[str]:
    """The words of the voice commands, as said and as the recogniser is known to write them
    ("scratch", "adieu"), and of the spoken section names and fillers."""
    from reporting.asr.commands import load_grammar

    grammar = load_grammar()
    return [
        *(p for phrases in grammar.phrases.values() for p in phrases),
        *(p for phrases in grammar.heard_as.values() for p in phrases),
        *grammar.section_words,
        *grammar.fillers,
    ]


def build_pipeline(
    *,
    spec: Any = None,
    modality: str = "",
    model_folder: str | None = None,
    format_options: FormatOptions | None = None,
    phrases: Phrasebook | None = None,
) -> TextPipeline:
    """A pipeline over the bundled lexicons plus the terms of template ``spec`` (if given).
    ``phrases``: what :meth:`TextPipeline.recall_prompt` recalls from (default: the bundled
    phrasebook of the template; ``Phrasebook()`` recalls nothing).  The corrector also
    restores the medical words of the template's bundled phrasebook and of ``phrases``, and
    never changes a word of any bundled phrasebook."""
    vocab = load_vocabulary()
    if model_folder is None:
        from reporting.asr.models import default_model_dir

        prepared = default_model_dir()
        model_folder = str(prepared) if (prepared / "vocabulary.json").is_file() else None
    corrector = load_corrector(model_folder=model_folder)
    extra = template_terms(spec) if spec is not None else ()
    if extra:
        corrector = corrector.with_terms(extra)
    template = str(getattr(spec, "id", "") or "")
    bundled = bundled_phrases(template)
    book = bundled if phrases is None else phrases
    if spec is not None and len(book):
        # the template's field names, as dictated, are recalled before any report sentence
        book = field_phrases(spec) + book
    # the phrasebooks' medical words are vocabulary too, recalled or not: those of this
    # template's (and the site's) are restored when mis-heard, every bundled one is kept
    corrector = corrector.with_words(bundled.words() | book.words())
    every = bundled_phrases("").words()
    corrector = corrector.with_words(every, restore=False)
    # a made-up word is most likely one of this template's: it may become one on a looser
    # score ("bibisular" -> "bibasilar")
    corrector = corrector.with_context([*extra, *bundled.words(), *book.words()])
    # and what is said but written otherwise or not at all: numbers, units, marks, commands
    report_words = ReportWords.of(
        [*every, *book.words(), *vocab.terms, *extra, *spoken_words(), *_command_words()],
        prefixes=corrector.rules.prefixes,
        suffixes=corrector.rules.suffixes,
    )
    return TextPipeline(
        vocab,
        corrector,
        format_options or FormatOptions(),
        modality or (getattr(spec, "modality", "") or ""),
        extra,
        template,
        book,
        measured_names=measured_names(spec) if spec is not None else (),
        numbered_names=numbered_names(spec) if spec is not None else (),
        go_to_names=frozenset(n for n, _, _ in spoken_targets(spec))
        if spec is not None
        else frozenset(),
        field_values=said_values(spec) if spec is not None else frozenset(),
        report_words=report_words,
    )

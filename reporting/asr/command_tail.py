"""Listen once more for a voice command in the short sentences of an utterance.

The decoder's prompt is report text, so a command said with dictated text, or alone, is often
written as report-like words: "Delete last sentence." as "Delete left antennas.", "Scratch
that." as "Crash net.", "Undo." as "Adieu.".  When a sentence of what was heard is short and
not a command, nor the name of a part of the template (a go-to said alone: "Gallbladder."),
nor a field's value or a word for how a part is said alone ("None.", "Normal."; and, before
the last, its words were doubtful: :data:`DOUBT`),
:class:`CommandTail` decodes its audio (from its first word to the next sentence's) again with
the voice commands as the whole prompt; when that hearing is nothing
but commands, and the decoder was sure enough of it (:data:`MIN_LOGPROB`), it takes the
sentence's place.  In a longer sentence, a short clause set off by a comma at its end or its
start whose words were doubtful is heard again the same way ("Moderate effusion, crash
heart." -> "Moderate effusion, scratch that."; "Delta history, cough and fever." -> "Go to
history, cough and fever."), and taken when the sentence then holds a command.  When a
short sentence comes back as itself and then commands ("A heart is normal. Undo." for "The
heart is normal.": the utterance's second decode had lost "undo"), the commands are added
after it (:data:`SAME_TEXT`).  A sentence of dictated text decoded so comes
out as other text ("Stable chest" as "Table cap."), which is not a command, and is kept as
first heard.  It costs one short decode per such sentence.

A doubtful short utterance that is not a command is heard once more with the breaks a
radiologist says on their own as the prompt (``break_prompt``: "New paragraph. New line."),
and taken when that hearing is nothing but those: the report prompt writes a lone "new
paragraph" as report words ("Uparadraft.", "No paulidloff."), and adding the breaks to the
command prompt instead lost three commands of the command benchmark.

Putting the commands into the dictation prompt instead made them heard as well, but changed
the words of dictated text too (WER 0.122 -> 0.134 on the dev clips, 0.095 -> 0.103 on the
fresh ones, one side lost unflagged), so it is a decode of its own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from reporting.asr.commands import letter_ratio, load_grammar, normalise, split_commands
from reporting.asr.formatting import is_spoken_punctuation
from reporting.asr.types import SAMPLE_RATE, Segment, Transcriber, Transcript, Word, Wrapping

__all__ = ["CommandTail", "dictation_transcriber"]

#: a sentence of more words than this is dictated text, not a misheard command
MAX_WORDS = 4
#: audio kept before the sentence's first word (seconds): word starts are not exact
LEAD_S = 0.1
#: a short sentence before the last is heard again only when the recogniser was less sure of
#: its words than this on average: misheard commands in the middle of the command benchmark's
#: utterances scored 0.22-0.54 ("Crouch mat." 0.30, "Next for you." 0.54), short sentences of
#: its text clips mostly 0.6-0.8 ("No effusion." 0.69); hearing every short sentence again
#: cost about a fifth more recognition time on the dictation sets
DOUBT = 0.6
#: the second hearing must be this sure of itself (mean segment log-probability): on 216
#: dictation clips, hearing every short sentence again gave one command, "Undo that." for
#: "Lung volumes are clear." at -0.80; the misheard commands of the command benchmark
#: were heard again at -0.03 to -0.61
MIN_LOGPROB = -0.7
#: a second hearing that is the sentence and then commands gives the commands only when its
#: sentence is at least this alike (0-100, letters) to the sentence first heard
SAME_TEXT = 80
_SENTENCE_END = re.compile(r"[.!?]$")
_BETWEEN_SENTENCES = re.compile(r"(?<=[.!?])\s+")


def dictation_transcriber(transcriber: Transcriber, pipeline: Any) -> Transcriber:
    """``transcriber`` set up as dictation hears: each utterance decoded a second time
    recalling ``pipeline``'s phrasebook when it has any sentences
    (:class:`~reporting.asr.recall.RecallingTranscriber`), then its short sentences listened
    to for a voice command (:class:`CommandTail`, when the vocabulary has a command prompt).
    ``reporting dictate``, ``reporting transcribe`` and the TUI's revisions all use it."""
    from reporting.asr.recall import RecallingTranscriber

    if len(pipeline.phrases):
        transcriber = RecallingTranscriber.for_pipeline(transcriber, pipeline)
    return CommandTail.for_pipeline(transcriber, pipeline)


def _split_last(text: str, words: int) -> tuple[str, str] | None:
    """``text`` as (all but its last sentence, its last sentence of ``words`` words), or None
    when they do not agree."""
    sentences = _BETWEEN_SENTENCES.split(text.strip())
    if len(sentences[-1].split()) != words:
        return None
    return " ".join(sentences[:-1]), sentences[-1]


class CommandTail(Wrapping):
    """A :class:`~reporting.asr.types.Transcriber` that listens once more for a voice command
    in the short sentences of each utterance (see the module docstring).

    ``transcriber`` hears the utterance (and, if it can, reconsiders a live final:
    ``reconsider``); ``is_command(text)`` tells a text that is only voice commands;
    ``holds_command(text)`` one that holds any; ``keeps(text)`` a short sentence or clause that
    is dictated as it is (a field's value said alone) and never heard again; ``prompt`` is the
    voice commands as
    sentences; ``listener`` decodes the sentence again (default: the transcriber's
    ``for_recall()``, a full decode without the skipped-start check, else the transcriber).
    """

    def __init__(
        self,
        transcriber: Transcriber,
        *,
        is_command: Callable[[str], bool],
        holds_command: Callable[[str], bool],
        prompt: str,
        listener: Transcriber | None = None,
        max_words: int = MAX_WORDS,
        doubt: float = DOUBT,
        break_prompt: str = "",
        keeps: Callable[[str], bool] | None = None,
    ) -> None:
        self.transcriber = transcriber
        for_recall = getattr(transcriber, "for_recall", None)
        self.listener = listener or (for_recall() if for_recall else transcriber)
        self.is_command = is_command
        self.holds_command = holds_command
        self.prompt = prompt
        self.max_words = max_words
        self.doubt = doubt
        self.break_prompt = break_prompt
        self.keeps = keeps or (lambda text: False)

    @classmethod
    def for_pipeline(
        cls, transcriber: Transcriber, pipeline: Any, grammar: Any = None
    ) -> Transcriber:
        """Listening with ``pipeline``'s command prompt and ``grammar`` (default: the bundled
        voice commands); ``transcriber`` itself when the vocabulary has no command prompt."""
        prompt = pipeline.vocabulary.command_prompt
        if not prompt:
            return transcriber
        grammar = grammar or load_grammar()
        # the template's sections and fields, said alone ("Gallbladder."), are go-tos already
        targets = frozenset(getattr(pipeline, "go_to_names", ()) or ())
        # and a field's value or how a part is, said alone ("None.", "Normal."), is dictated:
        # heard again with the command prompt, both once came back, sure, as "Undo."
        values = frozenset(getattr(pipeline, "field_values", ()) or ()) | {
            w for w in grammar.describes if len(w) > 3
        }

        def parts(text: str, named: frozenset[str] = frozenset()) -> list[Any]:
            return split_commands(grammar, text, targets=named)

        return cls(
            transcriber,
            is_command=lambda text: bool(found := parts(text)) and all(p.command for p in found),
            # a break said on its own ("New line.") is not heard again either, nor a part of
            # the template named: heard again with the commands as the prompt, a doubtful
            # "Gallbladder." came back as "Scratch that." and took back the measurements before it
            holds_command=lambda text: any(
                p.command or is_spoken_punctuation(p.text) for p in parts(text, targets)
            ),
            prompt=prompt,
            break_prompt=pipeline.vocabulary.break_prompt,
            keeps=lambda text: normalise(text) in values,
        )

    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, hotwords: str | None = None
    ) -> Transcript:
        heard = self.transcriber.transcribe(audio, prompt=prompt, hotwords=hotwords)
        return self.listen(audio, heard)

    def reconsider(
        self, audio: np.ndarray, final: Transcript, *, prompt: str | None = None, whole: bool = True
    ) -> Transcript:
        """A live final heard again, listened to for commands in its short sentences: the wrapped
        transcriber's second hearing (:meth:`RecallingTranscriber.reconsider`), else ``final``
        itself when it was one decode of all of ``audio`` (``whole``), else a decode of all
        of it."""
        reconsider = getattr(self.transcriber, "reconsider", None)
        if reconsider is not None:
            heard = reconsider(audio, final, prompt=prompt, whole=whole)
        elif whole:
            heard = final
        else:
            heard = self.transcriber.transcribe(audio, prompt=prompt)
        return self.listen(audio, heard)

    def listen(self, audio: np.ndarray, heard: Transcript) -> Transcript:
        """``heard`` with each short sentence that is not a command, or the short first or
        last clause of a longer one, replaced by the commands a second hearing of its audio
        with the command prompt found there (a short sentence heard again as itself and then
        commands keeps its words, and the commands follow it); ``heard`` when there are none."""
        words = heard.words
        if not words or heard.is_empty:
            return heard
        spans = _sentence_spans(words)
        texts = _BETWEEN_SENTENCES.split(heard.text.strip())
        head = ""
        if len(texts) != len(spans):  # the text and its words disagree: the last one only
            split = _split_last(heard.text, spans[-1][1] - spans[-1][0])
            if split is None:
                return heard
            head, texts, spans = split[0], [split[1]], spans[-1:]
        said: list[str] = []
        out: list[Word] = list(words[: spans[0][0]])
        heard_again: dict[tuple[int, int], Transcript] = {}
        for (a, b), text in zip(spans, texts, strict=True):
            found = self._sentence(audio, words, a, b, text)
            if found is None:
                said.append(text)
                out.extend(words[a:b])
                continue
            (c, d), again, text = found
            heard_again[c, d] = again
            said.append(text)
            out.extend([*words[a:c], *again.words, *words[d:b]])
        if not heard_again:
            return heard
        return dataclasses.replace(
            heard,
            text=" ".join([head, *said]).strip(),
            words=tuple(out),
            segments=_segments(heard, heard_again),
            info={**heard.info, "commands_heard_again": len(heard_again)},
        )

    def _sentence(
        self, audio: np.ndarray, words: tuple[Word, ...], a: int, b: int, text: str
    ) -> tuple[tuple[int, int], Transcript, str] | None:
        """The words ``a``..``b`` of a sentence (``text``) that are a command when heard
        again (an empty range after the sentence: commands it lost), that hearing, and the
        sentence's new text; None when there are none.  A short
        sentence is heard again whole when it is the last or its words were doubtful; in a
        longer one, a short clause set off by a comma at its end or its start when its words
        were doubtful ("moderate effusion, crash heart."; "Delta history, cough and fever.")."""
        last = b == len(words)
        if b - a <= self.max_words:
            if not last and _mean_probability(words[a:b]) >= self.doubt:
                return None
            if self.holds_command(text) or self.keeps(text):
                return None
            again = self._again(audio, words, a, b)
            if again is not None and self.is_command(again.text):
                return (a, b), again, again.text.strip()
            after = None if again is None else self._commands_after(again, text)
            if after is not None:
                return (b, b), after, f"{text} {after.text}"
            heard = self._break(audio, words, a, b)
            return None if heard is None else ((a, b), heard, heard.text.strip())
        commas = [i + 1 for i in range(a, b - 1) if words[i].word.strip().endswith(",")]
        pieces = text.split(",")
        if not commas or len(pieces) != len(commas) + 1:
            return None
        clauses = [  # the end first: commands end sentences
            (c, d)
            for (c, d), piece in (((commas[-1], b), pieces[-1]), ((a, commas[0]), pieces[0]))
            if d - c <= self.max_words
            and _mean_probability(words[c:d]) < self.doubt
            and not self.keeps(piece)
        ]
        if not clauses or self.holds_command(text):
            return None
        for c, d in clauses:
            again = self._again(audio, words, c, d)
            if again is None or not self.is_command(again.text):
                continue
            command = again.text.strip()
            if d == b:
                new = ",".join(pieces[:-1]) + ", " + command
            else:
                new = command.rstrip(".!?") + "," + ",".join(pieces[1:])
            if self.holds_command(new):
                return (c, d), again, new
        return None

    def _break(
        self, audio: np.ndarray, words: tuple[Word, ...], a: int, b: int
    ) -> Transcript | None:
        """The break ("New paragraph.", "New line.") that the words ``a``..``b`` are when
        they are the whole utterance, doubtful, and heard again with the break prompt as
        nothing but spoken punctuation; else None.  Said on its own, "new paragraph" is
        written with the report prompt as a made-up word ("Uparadraft.", "No paulidloff."),
        and with the command prompt sometimes as a command ("Undo that." for "new line")."""
        if (
            not self.break_prompt
            or a != 0
            or b != len(words)
            or _mean_probability(words[a:b]) >= self.doubt
        ):
            return None
        heard = self._again(audio, words, a, b, prompt=self.break_prompt)
        return heard if heard is not None and is_spoken_punctuation(heard.text) else None

    def _commands_after(self, again: Transcript, text: str) -> Transcript | None:
        """The commands that end ``again``, a second hearing of the sentence ``text``, as a
        transcript of their own, when what comes before them is that sentence heard alike
        (:data:`SAME_TEXT`: "A heart is normal. Undo." for "The heart is normal.", where the
        first hearing had lost the command); else None."""
        spans = _sentence_spans(again.words)
        said = _BETWEEN_SENTENCES.split(again.text.strip())
        if len(spans) != len(said):
            return None
        for k in range(1, len(said)):
            head, tail = " ".join(said[:k]), " ".join(said[k:])
            if not self.is_command(tail):
                continue
            if (
                self.holds_command(head)
                or letter_ratio(normalise(head), normalise(text)) < SAME_TEXT
            ):
                return None
            kept = again.words[spans[k][0] :]
            segment = Segment(tail, kept[0].start, kept[-1].end, kept)
            return dataclasses.replace(again, text=tail, words=kept, segments=(segment,))
        return None

    def _again(
        self,
        audio: np.ndarray,
        words: tuple[Word, ...],
        a: int,
        b: int,
        *,
        prompt: str | None = None,
    ) -> Transcript | None:
        """The audio of ``words[a:b]`` (from a little before the first to the start of the
        word after them, or the end) heard again with the command prompt (or ``prompt``), its
        words timed from the start of ``audio``; None when nothing was heard or the decoder
        was unsure of it."""
        start = max(0.0, words[a].start - LEAD_S)
        first = int(start * SAMPLE_RATE)
        last = int(words[b].start * SAMPLE_RATE) if b < len(words) else None
        if first >= len(audio) or (last is not None and last - first < SAMPLE_RATE // 10):
            return None
        again = self.listener.transcribe(audio[first:last], prompt=prompt or self.prompt)
        if again.is_empty or _unsure(again) or _repeats(again.text):
            return None
        moved = tuple(
            dataclasses.replace(w, start=w.start + start, end=w.end + start) for w in again.words
        )
        return dataclasses.replace(again, words=moved)


def _unsure(heard: Transcript) -> bool:
    logprobs = [s.avg_logprob for s in heard.segments]
    return bool(logprobs) and sum(logprobs) / len(logprobs) < MIN_LOGPROB


def _repeats(text: str) -> bool:
    """Whether ``text`` says one sentence twice in a row: the decoder looping on its prompt,
    not a command said ("Lung volumes are low." said alone, espeak en+m3, heard again as
    "Undo. Undo." at -0.64, sure enough: it would have undone the dictation before it)."""
    said = [normalise(t) for t in _BETWEEN_SENTENCES.split(text.strip()) if t.strip()]
    return any(a == b for a, b in zip(said, said[1:], strict=False))


def _mean_probability(words: tuple[Word, ...]) -> float:
    return sum(w.probability for w in words) / len(words) if words else 1.0


def _sentence_spans(words: tuple[Word, ...]) -> list[tuple[int, int]]:
    """(first, last + 1) word index of each sentence of ``words``."""
    spans, start = [], 0
    for i, w in enumerate(words):
        if _SENTENCE_END.search(w.word.strip()):
            spans.append((start, i + 1))
            start = i + 1
    if start < len(words):
        spans.append((start, len(words)))
    return spans


def _segments(heard: Transcript, again: dict[tuple[int, int], Transcript]) -> tuple[Segment, ...]:
    """``heard``'s segments without the words heard again (``again``: by word range), and a
    segment for each new hearing, in time order."""
    gone = {i for a, b in again for i in range(a, b)}
    out: list[Segment] = []
    used = 0
    for seg in heard.segments:  # the transcript's words are its segments' words, in order
        runs: list[list[Word]] = [[]]
        for i, w in enumerate(seg.words, used):
            if i in gone:
                runs.append([])
            else:
                runs[-1].append(w)
        used += len(seg.words)
        for run in filter(None, runs):  # the words kept, each stretch a segment of its own
            text = " ".join(w.word.strip() for w in run)
            out.append(
                dataclasses.replace(
                    seg, text=text, start=run[0].start, end=run[-1].end, words=tuple(run)
                )
            )
    for new in again.values():
        if new.words:
            out.append(Segment(new.text.strip(), new.words[0].start, new.words[-1].end, new.words))
    return tuple(sorted(out, key=lambda seg: seg.start))

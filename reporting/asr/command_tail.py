"""Listen once more for a voice command in the short last sentence of an utterance.

The decoder's prompt is report text, so a command said at the end of an utterance, or alone,
is often written as report-like words: "Delete last sentence." as "Delete left antennas.",
"Scratch that." as "Crash net.", "Undo." as "Adieu.".  When the last sentence of what was
heard is short and not a command, :class:`CommandTail` decodes its audio (from its first word
to the end) again with the voice commands as the whole prompt; when that hearing is nothing
but commands, it takes the sentence's place.  A sentence of dictated text decoded so comes
out as other text ("Stable chest" as "Table cap."), which is not a command, and is kept as
first heard.  It costs one short decode, only for such sentences.

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

from reporting.asr.types import SAMPLE_RATE, Segment, Transcriber, Transcript, Word, Wrapping

__all__ = ["CommandTail"]

#: a last sentence of more words than this is dictated text, not a misheard command
MAX_WORDS = 4
#: audio kept before the sentence's first word (seconds): word starts are not exact
LEAD_S = 0.1
_SENTENCE_END = re.compile(r"[.!?]$")


def _tail_start(words: tuple[Word, ...]) -> int:
    """The index of the first word of the last sentence of ``words``."""
    i = len(words) - 1
    while i > 0 and not _SENTENCE_END.search(words[i - 1].word.strip()):
        i -= 1
    return max(i, 0)


def _head_text(text: str, tail: int) -> str | None:
    """``text`` without its last sentence (of ``tail`` words), or None when the text's
    sentences and the words do not agree."""
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    if len(sentences[-1].split()) != tail:
        return None
    return " ".join(sentences[:-1])


class CommandTail(Wrapping):
    """A :class:`~reporting.asr.types.Transcriber` that listens once more for a voice command
    in the short last sentence of each utterance (see the module docstring).

    ``transcriber`` hears the utterance (and, if it can, reconsiders a live final:
    ``reconsider``); ``is_command(text)`` tells a text that is only voice commands;
    ``holds_command(text)`` one that holds any; ``prompt`` is the voice commands as
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
    ) -> None:
        self.transcriber = transcriber
        for_recall = getattr(transcriber, "for_recall", None)
        self.listener = listener or (for_recall() if for_recall else transcriber)
        self.is_command = is_command
        self.holds_command = holds_command
        self.prompt = prompt
        self.max_words = max_words

    @classmethod
    def for_pipeline(
        cls, transcriber: Transcriber, pipeline: Any, grammar: Any = None
    ) -> Transcriber:
        """Listening with ``pipeline``'s command prompt and ``grammar`` (default: the bundled
        voice commands); ``transcriber`` itself when the vocabulary has no command prompt."""
        from reporting.asr.commands import load_grammar, split_commands

        prompt = pipeline.vocabulary.command_prompt
        if not prompt:
            return transcriber
        grammar = grammar or load_grammar()

        def parts(text: str) -> list[Any]:
            return split_commands(grammar, text)

        return cls(
            transcriber,
            is_command=lambda text: bool(found := parts(text)) and all(p.command for p in found),
            holds_command=lambda text: any(p.command for p in parts(text)),
            prompt=prompt,
        )

    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, hotwords: str | None = None
    ) -> Transcript:
        heard = self.transcriber.transcribe(audio, prompt=prompt, hotwords=hotwords)
        return self.listen(audio, heard)

    def reconsider(
        self, audio: np.ndarray, final: Transcript, *, prompt: str | None = None, whole: bool = True
    ) -> Transcript:
        """A live final heard again, listened to for a command at its end: the wrapped
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
        """``heard`` with its short last sentence replaced by the commands a second hearing
        of its audio with the command prompt found there; ``heard`` when there are none."""
        words = heard.words
        if not words or heard.is_empty:
            return heard
        start = _tail_start(words)
        tail = words[start:]
        said = " ".join(w.word.strip() for w in tail)
        if len(tail) > self.max_words or self.holds_command(said):
            return heard
        head = _head_text(heard.text, len(tail))
        if head is None:
            return heard
        offset = max(0.0, tail[0].start - LEAD_S)
        first = int(offset * SAMPLE_RATE)
        if first >= len(audio):
            return heard
        again = self.listener.transcribe(audio[first:], prompt=self.prompt)
        if again.is_empty or not self.is_command(again.text):
            return heard
        moved = tuple(
            dataclasses.replace(w, start=w.start + offset, end=w.end + offset) for w in again.words
        )
        kept = set(range(start))
        segments: list[Segment] = []
        used = 0
        for seg in heard.segments:  # the transcript's words are its segments' words, in order
            mine = tuple(w for i, w in enumerate(seg.words, used) if i in kept)
            used += len(seg.words)
            if mine:
                text = " ".join(w.word.strip() for w in mine)
                segments.append(dataclasses.replace(seg, text=text, words=mine))
        if moved:
            segments.append(Segment(again.text.strip(), moved[0].start, moved[-1].end, moved))
        return dataclasses.replace(
            heard,
            text=f"{head} {again.text.strip()}".strip(),
            words=(*words[:start], *moved),
            segments=tuple(segments),
            info={**heard.info, "command_tail": said},
        )

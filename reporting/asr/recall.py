"""Decode an utterance twice: the second time with report sentences like it in the prompt.

A quick first decode (greedy, no word timings, in the encoder window of the full decode, which
then reuses its encoder output) says roughly what was said; ``recall(heard, prompt)`` turns
that into the prompt of the second, full decode: the template passage plus the phrasebook
sentences most like it (see :mod:`reporting.asr.phrases` and
:meth:`reporting.asr.TextPipeline.recall_prompt`).  Whisper copies words from its prompt,
so a recalled "... areas of atelectasis." lets it write the term it first heard as
"aeronometric tossing".

It may also copy too much.  The second decode is kept only when, aligned word by word with the
first, no stretch of it adds four words or more (a recalled sentence written out although it
was not said, say) or drops three or more (two or more before the first word both decodes
wrote: a prompted decode may skip the first words said), and it keeps every side and negation
the first decode heard; otherwise the utterance is decoded once more with the plain prompt.
Where the two decodes disagree on a side or a negation, the word's probability is capped at
even odds, so the radiologist is asked to confirm it.  A radiology term the second decode
wrote where the first heard nothing that sounds like it ("No pleural line of pneumothorax" ->
"No pleural effusion or pneumothorax") may have been copied from a recalled sentence rather
than heard: its probability is capped below the doubtful-word threshold, so it is flagged too.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np

from reporting.asr.sides import SIDED, SIDES
from reporting.asr.types import Transcriber, Transcript, Word, Wrapping

__all__ = ["RecallingTranscriber", "consistent", "DISPUTED_PROBABILITY", "UNHEARD_PROBABILITY"]

log = logging.getLogger(__name__)

#: words whose change between the two decodes the radiologist must confirm
_SENSITIVE = frozenset({"left", "right", "bilateral", "no", "not", "now", "without", "with"})
#: the probability a disputed word keeps at most: two decodes disagreed on it
DISPUTED_PROBABILITY = 0.5
#: the probability a term keeps at most when the first decode heard nothing like it there:
#: below the default doubtful-word threshold (0.45), so it is flagged
UNHEARD_PROBABILITY = 0.3
_MAX_RUN = 4
#: words the second decode may drop in one stretch before it is refused: fewer than it may
#: add, because what it drops is lost ("..., consistent with emphysema" gone after a recalled
#: "Hyperexpanded lungs with flattening of the hemidiaphragms.")
_MAX_DROP = 3
#: ... and at the utterance's start, where a prompted decode skips what it takes for the
#: prompt's continuation ("Findings. Hemorrhage, acute ..." -> "Acute ...": the cursor never
#: moved)
_MAX_DROP_AT_START = 2
#: sides and negations the second decode may change (flagged) but not drop or invent
_KEPT = frozenset({"left", "right", "bilateral", "no", "not", "without"})


def _key(token: str) -> str:
    return re.sub(r"[^a-z0-9%]+", "", token.lower())


def _keys(text: str) -> list[str]:
    return [k for k in (_key(t) for t in re.split(r"[\s\-/]+", text)) if k]


def consistent(
    first: str,
    second: str,
    *,
    max_run: int = _MAX_RUN,
    max_drop: int = _MAX_DROP,
    max_drop_at_start: int = _MAX_DROP_AT_START,
    kept: Collection[str] = _KEPT,
    like_side: Callable[[str], bool] | None = None,
) -> bool:
    """Whether ``second`` reads as the same utterance as ``first``, aligned word by word: no
    stretch of ``second`` has ``max_run`` or more words beyond the first's, nor ``max_drop``
    or more fewer (``max_drop_at_start`` before the first word both wrote); no stretch of
    ``second`` has fewer sides, or fewer negations, of ``kept`` than the same stretch of
    ``first`` (each may change, none may vanish); no negation of ``second`` stands where
    ``first`` heard nothing; and no side of ``second`` stands where ``first`` heard neither a
    side nor a word that may be a mis-heard side (``like_side``: "write", "bright" ...)."""
    from rapidfuzz.distance import Levenshtein

    a, b = _keys(first), _keys(second)
    if bool(a) != bool(b):
        return False
    groups = (frozenset(kept) & SIDED, frozenset(kept) - SIDED)  # sides, then negations
    for op in Levenshtein.opcodes(a, b):
        if op.tag == "equal":
            continue
        heard, written = a[op.src_start : op.src_end], b[op.dest_start : op.dest_end]
        dropped = len(heard) - len(written)
        if len(written) - len(heard) >= max_run or dropped >= max_drop:
            return False
        if op.src_start == 0 and dropped >= max_drop_at_start:
            return False
        for group in groups:
            if sum(w in group for w in written) < sum(w in group for w in heard):
                return False  # one may change ("write" -> "right"), none may vanish
        if not heard and any(w in kept for w in written):
            return False
        sided = any(w in SIDES for w in written) and not any(w in SIDES for w in heard)
        if sided and not (like_side is not None and any(like_side(w) for w in heard)):
            return False
    return True


def _disputed(
    first: str,
    second: Transcript,
    sensitive: Collection[str],
    unheard: Callable[[str, Sequence[str]], bool] | None = None,
) -> Transcript:
    """``second`` with the probability of each sensitive word (side, negation) that the first
    decode did not write there capped at :data:`DISPUTED_PROBABILITY`, and of each word that
    ``unheard(word, heard_there)`` says was not heard (a term nothing heard there sounds like)
    capped at :data:`UNHEARD_PROBABILITY`."""
    from rapidfuzz.distance import Levenshtein

    a, b = _keys(first), [_key(w.word) for w in second.words]
    caps: dict[int, float] = {}
    for op in Levenshtein.opcodes(a, b):
        if op.tag == "equal":
            continue
        heard = a[op.src_start : op.src_end]
        for j in range(op.dest_start, op.dest_end):
            if b[j] in sensitive:
                caps[j] = DISPUTED_PROBABILITY
            elif unheard is not None and b[j] not in a and unheard(b[j], heard):
                caps[j] = UNHEARD_PROBABILITY
    if not caps:
        return second

    def capped(w: Word, cap: float) -> Word:
        return dataclasses.replace(w, probability=min(w.probability, cap))

    words = [capped(w, caps[i]) if i in caps else w for i, w in enumerate(second.words)]
    segments, used = [], 0
    for seg in second.segments:  # the transcript's words are its segments' words, in order
        n = len(seg.words)
        segments.append(dataclasses.replace(seg, words=tuple(words[used : used + n])))
        used += n
    info = {**second.info, "disputed": sorted(caps)}
    return dataclasses.replace(second, words=tuple(words), segments=tuple(segments), info=info)


class RecallingTranscriber(Wrapping):
    """A :class:`~reporting.asr.types.Transcriber` that decodes each utterance twice (see the
    module docstring).

    ``transcriber`` does the full decodes; ``first`` the quick one (default: the
    transcriber's ``for_first_pass()``, which decodes in the full decode's encoder windows so
    that the full decode reuses its encoder output, or else its ``for_partials()``, or else the
    transcriber itself); :meth:`for_partials` gives ``first`` when it was given, else the
    transcriber's own quick partial set-up;
    ``recall(heard, prompt)`` gives the second decode's prompt, or None when there is nothing
    to recall (then the plain prompt is used); ``like_side(word)`` tells a word that may be a
    mis-heard side (see :func:`consistent`); ``unheard(word, heard_there)`` tells a word of the
    second decode that nothing the first heard in its place can have been (flagged).
    :meth:`for_pipeline` takes all three from a :class:`~reporting.asr.processing.TextPipeline`.
    """

    def __init__(
        self,
        transcriber: Transcriber,
        recall: Callable[[str, str | None], str | None],
        *,
        first: Transcriber | None = None,
        like_side: Callable[[str], bool] | None = None,
        unheard: Callable[[str, Sequence[str]], bool] | None = None,
        sensitive: Collection[str] = _SENSITIVE,
        kept: Collection[str] = _KEPT,
        max_run: int = _MAX_RUN,
        max_drop: int = _MAX_DROP,
    ) -> None:
        quick = getattr(transcriber, "for_partials", None)
        first_pass = getattr(transcriber, "for_first_pass", None) or quick
        self.transcriber = transcriber
        for_recall = getattr(transcriber, "for_recall", None)
        #: the second decode's transcriber: without the skipped-start check, so that a second
        #: decode that skipped words is refused (see :meth:`WhisperTranscriber.for_recall`)
        self.recaller = for_recall() if for_recall else transcriber
        self.first = first or (first_pass() if first_pass else transcriber)
        self._partials = first or (quick() if quick else self.first)
        self.recall = recall
        self.like_side = like_side
        self.unheard = unheard
        self.sensitive = frozenset(sensitive)
        self.kept = frozenset(kept)
        self.max_run = max_run
        self.max_drop = max_drop

    @classmethod
    def for_pipeline(
        cls, transcriber: Transcriber, pipeline: Any, *, first: Transcriber | None = None
    ) -> RecallingTranscriber:
        """Recalling from ``pipeline``'s phrasebook (:meth:`TextPipeline.recall_prompt`),
        with its confidence policy's sound-alikes of a side, and flagging the terms of its
        vocabulary that nothing heard sounds like (:meth:`TextPipeline.unheard_term`)."""
        policy = pipeline.vocabulary.confidence
        return cls(transcriber, pipeline.recall_prompt, first=first,
                   like_side=policy.sounds_like_side, unheard=pipeline.unheard_term)  # fmt: skip

    def for_partials(self) -> Transcriber:
        return self._partials

    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, hotwords: str | None = None
    ) -> Transcript:
        heard = self.first.transcribe(audio, prompt=prompt, hotwords=hotwords)
        whole = self.first is self.transcriber
        if heard.is_empty:
            if whole or heard.info.get("gate"):
                return heard  # silence or noise: the gates hold for both decodes
            # the quick decode's guards dropped what it heard; the full decode decides
            return self.transcriber.transcribe(audio, prompt=prompt, hotwords=hotwords)
        return self._second(audio, heard, prompt, hotwords, whole=whole)

    def reconsider(
        self, audio: np.ndarray, final: Transcript, *, prompt: str | None = None, whole: bool = True
    ) -> Transcript:
        """The second decode of ``audio`` after ``final`` was heard in it; ``whole`` when
        ``final`` was one decode of all of ``audio`` (kept when nothing is recalled or the
        second decode is rejected); else (a final joined from pieces) the audio is decoded
        whole with ``prompt`` instead."""
        if final.is_empty:
            return final
        return self._second(audio, final, prompt, None, whole=whole)

    def _second(
        self,
        audio: np.ndarray,
        heard: Transcript,
        prompt: str | None,
        hotwords: str | None,
        *,
        whole: bool,
    ) -> Transcript:
        recalled = self.recall(heard.text, prompt)
        if recalled and recalled != prompt:
            second = self.recaller.transcribe(audio, prompt=recalled, hotwords=hotwords)
            if consistent(heard.text, second.text, max_run=self.max_run,
                          max_drop=self.max_drop, kept=self.kept,
                          like_side=self.like_side):  # fmt: skip
                second = _disputed(heard.text, second, self.sensitive, self.unheard)
                return dataclasses.replace(second, info={**second.info, "recalled": True})
            log.debug("second decode refused: it adds or drops words the first did not")
        if whole:
            return heard
        return self.transcriber.transcribe(audio, prompt=prompt, hotwords=hotwords)

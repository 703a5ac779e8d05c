"""Speech a prompted decode skipped, found and put back.

Whisper treats its prompt as what was said just before.  When an utterance begins with words
the prompt already holds ("No acute cardiopulmonary disease." after a chest passage that ends
with it) the decoder can take them as said and start after them: the words are lost without
a trace.  Two signs give it away, both from the decoder's own word timings against the speech
the VAD found: the first word starts well after the speech does, or the alignment stretches
one word over seconds of speech to cover what was not written.  :func:`skipped_start` spots
them; :func:`restore_start` puts back the words an unprompted decode of the same audio heard
before the prompted decode's first word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reporting.asr.types import Segment, Transcript, Word

__all__ = ["restore_start", "skipped_start"]

#: speech before the first written word (seconds) that means words were skipped; a decode
#: that heard everything starts within about half a second of the VAD's speech start
LATE_START_S = 1.0
#: one written word stretched over this much audio (seconds) covers unwritten speech; the
#: longest words of decodes that heard everything took 1.5 s in our runs
STRETCHED_WORD_S = 2.0
#: fewer words than this missing at the start is not worth a splice
MIN_RESTORED = 2

_KEY = re.compile(r"[^a-z0-9]+")


def skipped_start(
    words: Sequence[Word], speech: Sequence[tuple[float, float]], *, sample_rate: int = 16_000
) -> bool:
    """Whether a decode whose ``words`` these are left out speech at the start of the audio;
    ``speech`` are the VAD's speech regions in samples."""
    if not words or not speech:
        return False
    first_speech = speech[0][0] / sample_rate
    if words[0].start - first_speech > LATE_START_S:
        return True
    return any(w.end - w.start > STRETCHED_WORD_S for w in words)


def _keys(words: Sequence[Word]) -> list[str]:
    return [_KEY.sub("", w.word.lower()) for w in words]


def _missing_prefix(prompted: Sequence[Word], plain: Sequence[Word]) -> int:
    """How many of ``plain``'s first words ``prompted`` lacks: the leading run of words the
    word alignment of the two inserts before their first shared word."""
    from rapidfuzz.distance import Levenshtein

    ops = Levenshtein.editops(_keys(prompted), _keys(plain))
    inserted = {op.dest_pos for op in ops if op.tag == "insert"}
    k = 0
    while k in inserted:
        k += 1
    return k


def restore_start(prompted: Transcript, plain: Transcript) -> Transcript:
    """``prompted`` with the words ``plain`` (an unprompted decode of the same audio) heard
    before it put in front, as a segment of their own; ``prompted`` itself when fewer than
    :data:`MIN_RESTORED` words are missing."""
    k = _missing_prefix(prompted.words, plain.words)
    if k < MIN_RESTORED or k >= len(plain.words):
        return prompted
    head = plain.words[:k]
    text = re.sub(r" (?=-\w)", "", " ".join(w.word for w in head))  # "intra -thoracic"
    rest = prompted.text.lstrip()
    if rest[:1].isupper():  # the prompted text begins a sentence: end the restored one
        text = text.rstrip(",;: ") + ("" if text.endswith((".", "?", "!")) else ".")
    source = plain.segments[0] if plain.segments else None
    segment = Segment(
        text,
        head[0].start,
        head[-1].end,
        head,
        source.no_speech_prob if source else 0.0,
        source.avg_logprob if source else 0.0,
    )
    return Transcript(
        text=f"{text} {rest}".strip(),
        words=(*head, *prompted.words),
        segments=(segment, *prompted.segments),
        duration=prompted.duration,
        info={**prompted.info, "restored_start_words": k},
    )

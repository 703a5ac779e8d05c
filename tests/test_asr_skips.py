"""Speech a prompted decode skipped at the start: spotted from word timings, put back."""

from __future__ import annotations

from reporting.asr.skips import restore_start, skipped_start
from reporting.asr.types import Segment, Transcript, Word

SR = 16_000


def _words(spec: list[tuple[str, float, float]]) -> tuple[Word, ...]:
    return tuple(Word(w, a, b, 0.9) for w, a, b in spec)


def _transcript(spec: list[tuple[str, float, float]]) -> Transcript:
    words = _words(spec)
    text = " ".join(w.word for w in words)
    return Transcript(text, words, (Segment(text, words[0].start, words[-1].end, words),), 4.0)


HEARD_ALL = [("No", 0.1, 0.4), ("acute", 0.4, 0.8), ("disease.", 0.8, 1.4), ("Heart", 1.8, 2.1)]


def test_a_decode_that_heard_everything_is_not_suspect() -> None:
    assert not skipped_start(_words(HEARD_ALL), [(int(0.1 * SR), int(2.5 * SR))])
    assert not skipped_start((), [(0, SR)])  # nothing written: not this check's business
    assert not skipped_start(_words(HEARD_ALL), [])


def test_a_late_first_word_or_a_stretched_word_means_a_skipped_start() -> None:
    speech = [(int(0.1 * SR), int(4.0 * SR))]
    late = [("Heart", 2.0, 2.3), ("size", 2.3, 2.6), ("normal.", 2.6, 3.2)]
    assert skipped_start(_words(late), speech)
    stretched = [("The", 0.0, 0.5), ("image", 0.5, 3.2), ("upper", 3.2, 3.5)]
    assert skipped_start(_words(stretched), speech)


def test_the_words_heard_before_the_prompted_decode_are_put_in_front() -> None:
    prompted = _transcript([("The", 2.0, 2.1), ("heart", 2.1, 2.4), ("size", 2.4, 2.7)])
    plain = _transcript(
        [
            ("No", 0.1, 0.4),
            ("acute", 0.4, 0.8),
            ("intra", 0.8, 1.1),
            ("-thoracic", 1.1, 1.4),
            ("disease,", 1.4, 1.8),
            ("the", 2.0, 2.1),
            ("heart", 2.1, 2.4),
            ("side", 2.4, 2.7),
        ]
    )
    restored = restore_start(prompted, plain)
    # the prompted decode's own words are kept ("size", not the unprompted "side")
    assert restored.text == "No acute intra-thoracic disease. The heart size"
    assert [w.word for w in restored.words][:5] == ["No", "acute", "intra", "-thoracic", "disease,"]
    assert restored.words[5:] == prompted.words
    assert restored.segments[1:] == prompted.segments
    assert restored.segments[0].start == 0.1 and restored.info["restored_start_words"] == 5


def test_nothing_is_put_back_when_the_decodes_begin_alike() -> None:
    prompted = _transcript(HEARD_ALL)
    plain = _transcript([("Now", 0.1, 0.4), *HEARD_ALL[1:]])
    assert restore_start(prompted, plain) is prompted
    one_word = _transcript([("So", 0.0, 0.1), *HEARD_ALL])
    assert restore_start(prompted, one_word) is prompted  # one word is not worth a splice

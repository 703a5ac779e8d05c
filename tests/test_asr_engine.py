"""The real Whisper base model on espeak-ng speech (the examples under examples/audio)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reporting.asr import FakeTranscriber, Transcriber, build_pipeline, load_transcriber
from reporting.audio import ArraySource, LiveRecognizer, Partial, UtteranceSegmenter, load_audio
from reporting.dictation import recognise
from reporting.templating import load_template

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "audio"


@pytest.fixture(scope="session")
def whisper():
    transcriber = load_transcriber()
    transcriber.warm_up()  # one model per process: later loads reuse it
    return transcriber


@pytest.fixture(scope="module")
def chest_pipeline(whisper):
    return build_pipeline(spec=load_template("chest_xr"), model_folder=whisper.resolved.location)


def _text(whisper, pipeline, name: str) -> str:
    pieces = recognise(load_audio(EXAMPLES / name), whisper, prompt=pipeline.prompt)
    return " ".join(pipeline.process(p.transcript.text, p.transcript.words).text for p in pieces)


def test_both_transcribers_satisfy_the_protocol(whisper) -> None:
    assert isinstance(whisper, Transcriber) and isinstance(FakeTranscriber(), Transcriber)


@pytest.mark.slow
def test_measurements_are_written_as_numbers_and_units(whisper, chest_pipeline) -> None:
    text = _text(whisper, chest_pipeline, "measurements.flac")
    assert "7 mm nodule" in text
    assert "3.2 x 2 cm" in text
    assert "right upper lobe" in text


@pytest.mark.slow
def test_vertebral_levels(whisper, chest_pipeline) -> None:
    text = _text(whisper, chest_pipeline, "spine.flac")
    assert "L4-5" in text and "L5-S1" in text


@pytest.mark.slow
def test_silence_and_noise_produce_no_words(whisper, chest_pipeline) -> None:
    for name in ("silence.flac", "noise.flac"):
        audio = load_audio(EXAMPLES / name)
        assert recognise(audio, whisper, prompt=chest_pipeline.prompt) == []
        # even without the segmenter, the engine's own gates give nothing
        assert whisper.transcribe(audio, prompt=chest_pipeline.prompt).text == ""
    assert whisper.transcribe(np.zeros(16000 * 2, np.float32)).is_empty


@pytest.mark.slow
def test_words_keep_timings_and_probabilities(whisper, chest_pipeline) -> None:
    pieces = recognise(
        load_audio(EXAMPLES / "measurements.flac"), whisper, prompt=chest_pipeline.prompt
    )
    words = [w for p in pieces for w in p.words]
    assert len(pieces) == 2 and len(words) >= 15
    assert all(0.0 <= w.probability <= 1.0 and w.start <= w.end for w in words)
    assert all(a.start <= b.start + 0.05 for a, b in zip(words, words[1:], strict=False))
    # times are relative to the whole recording: the second utterance starts after the pause
    assert pieces[1].start > pieces[0].end and words[-1].end > pieces[1].start > 3.0


def test_live_recognizer_gives_partials_about_every_second() -> None:
    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    fake = FakeTranscriber(respond=lambda a: f"{a.size / 16000:.1f} seconds")
    quick = FakeTranscriber(respond=lambda a: f"{a.size / 16000:.1f} seconds")
    live = LiveRecognizer(
        fake, segmenter=UtteranceSegmenter(), prompt="p", partial_transcriber=quick, commit=False
    )
    events = list(live.run(ArraySource(audio).blocks()))
    finals = [e for e in events if not isinstance(e, Partial)]
    partials = [e for e in events if isinstance(e, Partial)]
    assert len(finals) == 6
    # each utterance ended in silence, so its decode started during that silence and was kept
    assert all(f.speculative for f in finals)
    assert [f.transcript.text for f in finals] == [
        f"{f.utterance.duration:.1f} seconds" for f in finals
    ]
    longest = max(f.utterance.duration for f in finals)
    assert len(partials) >= int(longest) // 2
    # finals (and speculative decodes dropped when speech resumed) use the main transcriber,
    # partial hypotheses the quick one
    assert len(fake.calls) >= 6 and len(quick.calls) >= len(partials) > 0
    # partials of one utterance are about a second of audio apart (one is skipped when the
    # decoding worker is still busy, so never closer than a second, rarely two apart)
    second = [float(p.text.split()[0]) for p in partials if p.index == 1]
    assert len(second) >= 2
    assert all(0.9 <= b - a <= 2.2 for a, b in zip(second, second[1:], strict=False))


def _pieces(text: str) -> list[float]:
    return [float(x) for x in text.split() if x[0].isdigit()]


def test_live_recognizer_commits_speech_before_pauses_and_decodes_only_the_tail() -> None:
    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    fake = FakeTranscriber(respond=lambda a: f"{a.size / 16000:.2f} s.")
    live = LiveRecognizer(fake, segmenter=UtteranceSegmenter(), prompt="Findings.", partials=False)
    finals = [e for e in live.run(ArraySource(audio).blocks()) if not isinstance(e, Partial)]
    whole = [
        e
        for e in LiveRecognizer(
            FakeTranscriber(respond=lambda a: "x"), segmenter=UtteranceSegmenter(), commit=False
        ).run(ArraySource(audio).blocks())
        if not isinstance(e, Partial)
    ]
    # committing changes neither where utterances end nor what audio they hold
    assert [f.utterance.duration for f in finals] == [f.utterance.duration for f in whole]
    split = [f for f in finals if len(_pieces(f.transcript.text)) > 1]
    assert split, "the longer utterances pause between sentences: speech before a pause commits"
    for final in finals:
        pieces = _pieces(final.transcript.text)
        # the pieces cover the utterance exactly once: nothing lost, nothing decoded twice
        assert sum(pieces) == pytest.approx(final.utterance.duration, abs=0.01 * len(pieces))
        assert all(p >= 0.15 for p in pieces)
        # every utterance ended in silence: all of it was decoded before the end was detected
        assert final.speculative
    # no decode was thrown away: the main transcriber heard each utterance's audio once
    assert sum(n for n, _ in fake.calls) == sum(f.utterance.audio.size for f in finals)
    longest = max(split, key=lambda f: f.utterance.duration)
    pieces = _pieces(longest.transcript.text)
    # each piece after the first was decoded with the committed text before it as its prompt
    prompts = [p for n, p in fake.calls if abs(n / 16000 - pieces[-1]) < 0.005]
    assert prompts and all(p is not None and p.startswith("Findings. ") for p in prompts)
    assert any(f"{pieces[-2]:.2f} s." in p for p in prompts if p)


def test_committed_pieces_are_shown_as_partials_before_the_final() -> None:
    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    main = FakeTranscriber(respond=lambda a: f"{a.size / 16000:.2f} s.")
    quick = FakeTranscriber(respond=lambda a: "quick")
    live = LiveRecognizer(main, segmenter=UtteranceSegmenter(), partial_transcriber=quick)
    events = list(live.run(ArraySource(audio).blocks()))
    finals = {e.utterance.index: e for e in events if not isinstance(e, Partial)}
    committed = [e for e in events if isinstance(e, Partial) and "quick" not in e.text]
    assert committed, "the text of each committed piece is shown while the speaker goes on"
    for partial in committed:
        # what was shown is the start of what the utterance finally said
        assert finals[partial.index].transcript.text.startswith(partial.text)
    # with committed pieces, quick hypotheses come at most every min_chunk_s of speech
    assert len(quick.calls) <= sum(f.utterance.duration for f in finals.values()) / 2.0


def test_committed_pieces_join_into_one_transcript_with_utterance_times() -> None:
    from reporting.asr import transcript_from_text
    from reporting.audio import join_transcripts

    first = transcript_from_text("Right upper lobe opacity.", duration=2.0)
    tail = transcript_from_text("No effusion.", duration=1.0, probabilities={"no": 0.5})
    joined = join_transcripts([(0, first), (32000, tail)], 3.0)
    assert joined.text == "Right upper lobe opacity. No effusion."
    assert [w.word for w in joined.words] == [
        "Right",
        "upper",
        "lobe",
        "opacity.",
        "No",
        "effusion.",
    ]
    # the tail's words start two seconds in, where its audio started
    assert joined.words[4].start == pytest.approx(2.0) and joined.words[-1].end == 3.0
    assert joined.words[4].probability == 0.5
    assert [(s.start, s.end) for s in joined.segments] == [(0.0, 2.0), (2.0, 3.0)]
    assert joined.duration == 3.0

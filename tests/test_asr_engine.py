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
        fake, segmenter=UtteranceSegmenter(), prompt="p", partial_transcriber=quick
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

"""The real Whisper base model on espeak-ng speech (the examples under examples/audio)."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reporting.asr import FakeTranscriber, Transcriber, build_pipeline, load_transcriber
from reporting.audio import (
    ArraySource,
    Final,
    LiveRecognizer,
    Partial,
    Revision,
    UtteranceSegmenter,
    load_audio,
)
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
    assert "right upper lobe" in text
    # the spoken "period" closing the dictation is a full stop (it was once heard as "varied")
    assert text.endswith("The mass measures 3.2 x 2 cm.")


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
def test_a_dictation_that_begins_with_the_prompts_last_sentence_keeps_it(
    whisper, chest_pipeline
) -> None:
    # the chest prompt ends with "No acute cardiopulmonary disease": prompted, Whisper took
    # those words as already said and wrote only the second sentence
    audio = load_audio(EXAMPLES / "normal_first.flac")
    transcript = whisper.transcribe(audio, prompt=chest_pipeline.prompt)
    text = chest_pipeline.process(transcript.text, transcript.words).text
    assert text.startswith("No acute cardiopulmonary disease.")
    assert text.endswith("The heart size is normal.")
    assert [w.word.strip(",.").lower() for w in transcript.words[:4]] == [
        "no",
        "acute",
        "cardiopulmonary",
        "disease",
    ]


@pytest.mark.slow
def test_a_command_at_the_end_of_an_utterance_is_heard_again_as_one(
    whisper, chest_pipeline
) -> None:
    from reporting.asr.command_tail import CommandTail
    from reporting.asr.commands import load_grammar, split_commands
    from reporting.asr.recall import RecallingTranscriber

    grammar = load_grammar()
    audio = load_audio(EXAMPLES / "command_at_end.flac")
    recalling = RecallingTranscriber.for_pipeline(whisper, chest_pipeline)
    # primed with report text, the decoder writes the command as report words
    (first,) = recognise(audio, recalling, prompt=chest_pipeline.prompt)
    assert not any(p.command for p in split_commands(grammar, first.transcript.text))
    listening = CommandTail.for_pipeline(recalling, chest_pipeline)
    (heard,) = recognise(audio, listening, prompt=chest_pipeline.prompt)
    parts = split_commands(grammar, heard.transcript.text)
    assert [p.command.action if p.command else p.text for p in parts] == [
        "Small left pleural effusion.",
        "delete_last_sentence",
    ]
    words = heard.transcript.words
    assert [w.word.strip(".").lower() for w in words[-3:]] == ["delete", "last", "sentence"]
    assert all(a.start <= b.start for a, b in zip(words, words[1:], strict=False))
    assert words[-1].end <= heard.end - heard.start + 0.1  # times within the utterance


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

    def keeping_up() -> Iterator[np.ndarray]:
        # the audio comes faster than real time; waiting for the worker after each block, as
        # real-time audio would, keeps a loaded machine from skipping partials at random
        for block in ArraySource(audio).blocks():
            yield block
            live._pool.submit(lambda: None).result()

    events = list(live.run(keeping_up()))
    finals = [e for e in events if isinstance(e, Final)]
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
    # (revisions, which decode a split utterance again as a whole, are tested on their own)
    live = LiveRecognizer(
        fake, segmenter=UtteranceSegmenter(), prompt="Findings.", partials=False, revise=False
    )
    finals = [e for e in live.run(ArraySource(audio).blocks()) if isinstance(e, Final)]
    whole = [
        e
        for e in LiveRecognizer(
            FakeTranscriber(respond=lambda a: "x"), segmenter=UtteranceSegmenter(), commit=False
        ).run(ArraySource(audio).blocks())
        if isinstance(e, Final)
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


def test_speech_with_no_pause_is_committed_at_a_brief_pause() -> None:
    # five short sentences run together with only brief gaps (a fast speaker): no pause of
    # pause_ms anywhere in 5 s of speech
    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    said = list(UtteranceSegmenter().segments(ArraySource(audio).blocks()))
    pad, keep = 4000, 400  # the segmenter's 250 ms of padding; 25 ms of it kept either side
    parts, gaps, at = [np.zeros(16000, np.float32)], [], 16000
    for utterance in (said[0], said[2], said[3], said[4], said[0]):
        speech = utterance.audio[pad - keep : utterance.audio.size - pad + keep]
        parts += [speech, np.zeros(960, np.float32)]  # 60 ms between sentences
        at += speech.size + 960
        gaps.append((at - 480) / 16000)
    run = np.concatenate([*parts, np.zeros(16000, np.float32)])

    def final(**options: float) -> Any:
        fake = FakeTranscriber(respond=lambda a: f"{a.size / 16000:.2f} s.")
        live = LiveRecognizer(fake, segmenter=UtteranceSegmenter(), partials=False, **options)
        (only,) = [e for e in live.run(ArraySource(run).blocks()) if isinstance(e, Final)]
        return only

    def cuts(done: Any) -> list[float]:
        pieces = _pieces(done.transcript.text)
        assert sum(pieces) == pytest.approx(done.utterance.duration, abs=0.01 * len(pieces))
        return list(np.cumsum(pieces)[:-1] + done.utterance.start)

    # never a long run: only a real pause would cut, so the speech is decoded whole
    assert all(c > gaps[-1] for c in cuts(final(long_run_s=60.0)))
    # by default, after long_run_s of speech a brief pause will do: a cut between sentences
    inside = [c for c in cuts(final()) if c < gaps[-1]]
    assert inside and all(min(abs(c - g) for g in gaps) < 0.1 for c in inside)


def test_committed_pieces_are_shown_as_partials_before_the_final() -> None:
    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    main = FakeTranscriber(respond=lambda a: f"{a.size / 16000:.2f} s.")
    quick = FakeTranscriber(respond=lambda a: "quick")
    live = LiveRecognizer(main, segmenter=UtteranceSegmenter(), partial_transcriber=quick)
    events = list(live.run(ArraySource(audio).blocks()))
    finals = {e.utterance.index: e for e in events if isinstance(e, Final)}
    committed = [e for e in events if isinstance(e, Partial) and "quick" not in e.text]
    assert committed, "the text of each committed piece is shown while the speaker goes on"
    for partial in committed:
        # what was shown is the start of what the utterance finally said
        assert finals[partial.index].transcript.text.startswith(partial.text)
    # with committed pieces, quick hypotheses come at most every min_chunk_s of speech
    assert len(quick.calls) <= sum(f.utterance.duration for f in finals.values()) / 2.0


def test_a_final_joined_from_pieces_is_revised_by_one_decode_of_the_whole_utterance() -> None:
    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    fake = FakeTranscriber(respond=lambda a: f"{a.size / 16000:.2f} s.")
    live = LiveRecognizer(fake, segmenter=UtteranceSegmenter(), prompt="Findings.", partials=False)
    events = list(live.run(ArraySource(audio).blocks()))
    finals = {e.utterance.index: e for e in events if isinstance(e, Final)}
    revisions = [e for e in events if isinstance(e, Revision)]
    split = {i for i, f in finals.items() if len(_pieces(f.transcript.text)) > 1}
    assert split and len(split) < len(finals)
    # exactly the finals joined from pieces are revised, once each, after their final
    assert sorted(r.utterance.index for r in revisions) == sorted(split)
    for revision in revisions:
        final = finals[revision.utterance.index]
        assert revision.replaces is final.transcript
        assert events.index(revision) > events.index(final)
        # the whole utterance in one decode, with the base prompt (no committed text)
        assert revision.transcript.text == f"{final.utterance.duration:.2f} s."
    whole = [p for n, p in fake.calls if n in {finals[i].utterance.audio.size for i in split}]
    assert whole and all(p == "Findings." for p in whole)
    # with revise=False there are none
    off = LiveRecognizer(fake, segmenter=UtteranceSegmenter(), partials=False, revise=False)
    assert not [e for e in off.run(ArraySource(audio).blocks()) if isinstance(e, Revision)]


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


def test_a_piece_the_decoder_began_as_a_sentence_closes_the_one_before() -> None:
    from reporting.asr import transcript_from_text
    from reporting.audio import join_transcripts

    def joined(*texts: str) -> tuple[str, list[str]]:
        pieces = [(16000 * i, transcript_from_text(t, duration=1.0)) for i, t in enumerate(texts)]
        out = join_transcripts(pieces, float(len(texts)))
        return out.text, [w.word for w in out.words]

    text, words = joined("Small left pleural effusion", "No acute disease.")
    assert text == "Small left pleural effusion. No acute disease."
    assert words[3] == "effusion." and words[-1] == "disease."
    # a sentence going on after the cut, an acronym, "I" or a title: no full stop
    assert joined("There is a small", "left pleural effusion.")[0] == (
        "There is a small left pleural effusion."
    )
    assert joined("Compared with the prior", "CT of the chest.")[0] == (
        "Compared with the prior CT of the chest."
    )
    assert joined("Findings were discussed with", "Dr. Okafor at 14:05.")[0] == (
        "Findings were discussed with Dr. Okafor at 14:05."
    )
    assert joined("No effusion,", "No pneumothorax.")[0] == "No effusion, No pneumothorax."


@pytest.mark.slow
def test_live_dictation_in_real_time_gives_the_sentences_said(whisper, chest_pipeline) -> None:
    """The TUI's path: the real model, pieces committed at pauses while the clip plays."""
    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    live = LiveRecognizer(whisper, prompt=chest_pipeline.prompt)
    events = list(live.run(ArraySource(audio, realtime=True).blocks()))

    def text(event: Any) -> str:
        return str(chest_pipeline.process(event.transcript.text, event.transcript.words).text)

    said = [text(e) for e in events if isinstance(e, Final)]
    assert said[0] == "Go to findings." and said[4] == "Go to impression."
    # the impression was committed in two pieces at its pause; the second began a sentence,
    # so the first got its full stop.  (A short piece decoded alone is sometimes misheard,
    # "glural effusion": that is what the revision is for.)
    assert said[-1].endswith(". No acute disease.")
    # once the revisions are in, the live text is what the offline path (reporting dictate)
    # writes for the same recording: each utterance decoded whole
    latest = {e.utterance.index: text(e) for e in events if isinstance(e, Final | Revision)}
    offline = recognise(audio, whisper, prompt=chest_pipeline.prompt)
    assert [latest[i] for i in sorted(latest)] == [
        chest_pipeline.process(p.transcript.text, p.transcript.words).text for p in offline
    ]
    # the words said; between "effusion" and "no" nothing was said, and the model has written
    # a full stop there with one version of its runtime and a comma with another
    assert (
        re.sub(r"[^\w ]", "", latest[5]).lower() == "small left pleural effusion no acute disease"
    )
    assert latest[1].lower().startswith("there is a small left pleural effusion")


# ---- the short encoder window (TranscriberOptions.window_s)


@pytest.mark.slow
def test_a_short_encoder_window_hears_the_same_words(whisper, chest_pipeline) -> None:
    short = load_transcriber(dataclasses.replace(whisper.options, window_s=15, min_window_s=None))
    pieces = recognise(
        load_audio(EXAMPLES / "measurements.flac"), short, prompt=chest_pipeline.prompt
    )
    assert len(pieces) == 2
    # each utterance fitted in the 15 s window, so the encoder ran on 15 s rather than 30 s
    assert all(p.transcript.info["window_s"] == 15 for p in pieces)
    text = " ".join(
        chest_pipeline.process(p.transcript.text, p.transcript.words).text for p in pieces
    )
    assert "7 mm nodule" in text and "3.2 x 2 cm" in text and "right upper lobe" in text
    for piece in pieces:
        words = piece.transcript.words
        assert len(words) >= 6 and all(0.0 <= w.probability <= 1.0 for w in words)
        # word times lie inside the utterance (the padding of the window adds none)
        assert words[0].start >= 0.0 and words[-1].end <= piece.transcript.duration + 0.05
        assert all(a.start <= b.start + 0.05 for a, b in zip(words, words[1:], strict=False))


@pytest.mark.slow
def test_audio_longer_than_the_short_window_is_decoded_in_whisper_30_s_window(
    whisper, chest_pipeline
) -> None:
    short = load_transcriber(dataclasses.replace(whisper.options, window_s=10, min_window_s=None))
    spine = load_audio(EXAMPLES / "spine.flac")
    twice = np.concatenate([spine, spine])  # 12.4 s: more than the 10 s window holds
    transcript = short.transcribe(twice, prompt=chest_pipeline.prompt)
    assert transcript.info["window_s"] == 30
    text = chest_pipeline.process(transcript.text, transcript.words).text
    # both sayings of the sentence, each once: no words lost or repeated at the window's end
    assert text.count("L4-5") == 2 and text.lower().count("mild narrowing") == 2


@pytest.mark.slow
def test_the_encoder_window_is_fitted_to_the_audio(whisper, chest_pipeline) -> None:
    spine = load_audio(EXAMPLES / "spine.flac")  # 6.2 s
    longer = np.concatenate([spine, load_audio(EXAMPLES / "measurements.flac")])
    room = math.ceil(longer.size / 16000 + 2 * 0.3 + 3)  # padding either side, 3 s after
    assert 15 < room < 20
    # by default the window is fitted from 15 s up to window_s (20 s)
    assert (whisper.options.min_window_s, whisper.options.window_s) == (15, 20)
    # short audio: the shortest window; longer: the audio with 3 s of room after it
    assert whisper.transcribe(spine, prompt=chest_pipeline.prompt).info["window_s"] == 15
    said = whisper.transcribe(longer, prompt=chest_pipeline.prompt)
    assert said.info["window_s"] == room
    text = chest_pipeline.process(said.text, said.words).text
    assert text.count("L4-5") == 1 and "3.2 x 2 cm" in text
    # one fixed window when the shortest is the longest
    fixed = load_transcriber(dataclasses.replace(whisper.options, min_window_s=20))
    assert fixed.transcribe(spine, prompt=chest_pipeline.prompt).info["window_s"] == 20
    # quick partial hypotheses take the shortest window there is and still hear the words
    quick = whisper.for_partials().transcribe(spine, prompt=chest_pipeline.prompt)
    assert quick.info["window_s"] == 10
    assert "L4-5" in chest_pipeline.process(quick.text, quick.words).text


@pytest.mark.slow
def test_a_second_decode_of_the_same_audio_reuses_the_first_decodes_encoder_output(
    whisper, chest_pipeline, monkeypatch
) -> None:
    """Recall's two decodes of an utterance: the quick one decodes in the full decode's
    window, and the full decode skips the encoder (most of its cost) with the same result."""
    from reporting.asr import RecallingTranscriber, engine

    spine = load_audio(EXAMPLES / "spine.flac")
    afresh = whisper.transcribe(spine, prompt=chest_pipeline.prompt)
    engine._ENCODED.clear()
    model, encoded = whisper.model, []
    real = model.encode
    monkeypatch.setattr(model, "encode", lambda f, *a, **k: encoded.append(1) or real(f, *a, **k))
    recalling = RecallingTranscriber.for_pipeline(whisper, chest_pipeline)
    quick = recalling.first.transcribe(spine, prompt=chest_pipeline.prompt)
    assert quick.info["window_s"] == afresh.info["window_s"] == 15 and len(encoded) == 1
    again = whisper.transcribe(spine, prompt=chest_pipeline.prompt)
    assert len(encoded) == 1  # the cached encoder output
    assert again.text == afresh.text and again.words == afresh.words
    # the whole recalling decode encodes the audio once; other audio is encoded anew
    recalled = recalling.transcribe(spine)
    assert "L4-5" in chest_pipeline.process(recalled.text, recalled.words).text
    assert len(encoded) == 1
    whisper.transcribe(spine[: spine.size // 2], prompt=chest_pipeline.prompt)
    assert len(encoded) == 2
    # partial hypotheses keep their own quick set-up: the shortest window
    partial = recalling.for_partials().transcribe(spine, prompt=chest_pipeline.prompt)
    assert partial.info["window_s"] == 10


def test_a_decoder_loop_is_recognised_whole_or_after_the_real_words() -> None:
    from reporting.asr.engine import _looped

    assert _looped("No effusion seen. No effusion seen. No effusion seen. No effusion")
    said = "Disc protrusion at L45. Mild narrowing at L51."
    assert not _looped(said)
    assert _looped(said + " Disc protrusion at L45." * 3)
    # a phrase said twice is dictation ("in the interval, the interval"), not a loop
    assert not _looped(said + " Disc protrusion at L45." * 2)
    assert not _looped("In the interval, the interval, there has been development of nodules.")


def test_the_encoder_window_is_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reporting.asr import TranscriberOptions
    from reporting.asr.engine import options_from_config
    from reporting.errors import ASRError, ConfigError

    assert TranscriberOptions(window_s=20).window_s == 20
    for bad in (5, 31, 0):
        with pytest.raises(ASRError, match=r"window_s .* between 10 and 30 seconds"):
            TranscriberOptions(window_s=bad)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    config = tmp_path / "reporting" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[asr]\nwindow_s = 17.5\n")
    assert options_from_config().window_s == 17.5
    config.write_text('[asr]\nwindow_s = "fifteen"\n')
    with pytest.raises(ConfigError, match=r"config\.toml: asr\.window_s must be a number"):
        options_from_config()
    config.write_text("[asr]\nwindow_s = 3\n")
    with pytest.raises(ConfigError, match=r"config\.toml: \[asr\] window_s"):
        options_from_config()
    # the shortest window lies between 10 s and the longest; unset, it is 15 s, or the longest
    # when that is shorter (rather than failing)
    assert TranscriberOptions(window_s=20, min_window_s=20).min_window_s == 20
    assert TranscriberOptions(window_s=20).min_window_s == 15
    assert TranscriberOptions(window_s=12).min_window_s == 12
    for bad_min in (5, 25):
        with pytest.raises(ASRError, match=r"min_window_s .* between 10 seconds and window_s"):
            TranscriberOptions(window_s=20, min_window_s=bad_min)
    config.write_text("[asr]\nwindow_s = 30\nmin_window_s = 12\n")
    assert options_from_config().min_window_s == 12


def _two_sentences_one_pause() -> tuple[np.ndarray, float]:
    """The first two sentences of the example dictation with a half-second pause between them
    (shorter than the segmenter's hang-over: one utterance) and the pause's end (seconds)."""
    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    first, second = list(UtteranceSegmenter().segments(ArraySource(audio).blocks()))[:2]
    quiet = np.zeros(16000, np.float32)
    pause = np.zeros(4000, np.float32)  # with the quiet ends of the sentences: about 0.55 s
    # the segmenter keeps speech_pad_ms before the speech it confirmed (and the 200 ms it took
    # to confirm it): drop that 200 ms of the second sentence's quiet start
    joined = np.concatenate([quiet, first.audio, pause, second.audio[3200:], quiet])
    return joined, (quiet.size + first.audio.size + pause.size) / 16000


def test_a_speculative_final_is_dropped_when_the_speaker_goes_on() -> None:
    audio, _ = _two_sentences_one_pause()
    fake = FakeTranscriber(respond=lambda a: f"{a.size / 16000:.2f} s.")
    live = LiveRecognizer(fake, segmenter=UtteranceSegmenter(), partials=False, commit=False)
    finals = [e for e in live.run(ArraySource(audio).blocks()) if isinstance(e, Final)]
    assert len(finals) == 1
    final = finals[0]
    # the decode started in the pause heard only the first sentence; speech resumed, so it was
    # dropped and the final text is one decode of the whole utterance: nothing lost or repeated
    assert [n for n, _ in fake.calls if n < final.utterance.audio.size]
    assert final.transcript.text == f"{final.utterance.duration:.2f} s."
    # the closing silence started a decode of the whole utterance, and that one was kept
    assert final.speculative
    assert fake.calls[-1][0] == final.utterance.audio.size


def test_a_piece_committed_in_a_pause_is_kept_once_when_the_speaker_goes_on() -> None:
    audio, pause_end = _two_sentences_one_pause()
    fake = FakeTranscriber(respond=lambda a: f"{a.size / 16000:.2f} s.")
    live = LiveRecognizer(fake, segmenter=UtteranceSegmenter(), partials=False)
    finals = [e for e in live.run(ArraySource(audio).blocks()) if isinstance(e, Final)]
    assert len(finals) == 1
    final = finals[0]
    pieces = _pieces(final.transcript.text)
    # the pieces cover the utterance once, and one of them ended in the pause
    assert len(pieces) >= 2
    assert sum(pieces) == pytest.approx(final.utterance.duration, abs=0.01 * len(pieces))
    ends = np.cumsum(pieces) + final.utterance.start
    assert min(abs(ends - pause_end)) < 0.3
    # the pieces were decoded once each, then the revision decoded the whole utterance once
    assert sum(n for n, _ in fake.calls) == 2 * final.utterance.audio.size
    assert fake.calls[-1][0] == final.utterance.audio.size


@pytest.mark.slow
def test_a_long_prompt_still_leaves_the_short_window_room_to_write(whisper, chest_pipeline) -> None:
    # the prompt is cut to half the decoder's length; the words of 16 s of speech must still
    # fit after it
    long_prompt = " ".join([chest_pipeline.prompt] * 3)
    audio = np.concatenate(
        [
            load_audio(EXAMPLES / "spine.flac"),
            np.zeros(16000, np.float32),
            load_audio(EXAMPLES / "measurements.flac"),
        ]
    )
    transcript = whisper.transcribe(audio, prompt=long_prompt)
    assert transcript.info["window_s"] == whisper.options.window_s == 20
    text = chest_pipeline.process(transcript.text, transcript.words).text
    assert "L4-5" in text and "right upper lobe" in text and "3.2 x 2 cm" in text


@pytest.mark.slow
def test_utterances_decoded_two_at_once_read_as_decoded_one_by_one(whisper, chest_pipeline) -> None:
    from reporting.asr.command_tail import dictation_transcriber

    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    dictating = dictation_transcriber(whisper, chest_pipeline)
    one = recognise(audio, dictating, prompt=chest_pipeline.prompt, workers=1)
    two = recognise(audio, dictating, prompt=chest_pipeline.prompt, workers=2)
    assert len(one) >= 4
    assert [(p.start, p.transcript.text) for p in two] == [
        (p.start, p.transcript.text) for p in one
    ]

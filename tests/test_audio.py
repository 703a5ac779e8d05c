"""Audio sources, level meter and the VAD utterance segmenter (no microphone needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reporting.audio import (
    ArraySource,
    FileSource,
    LevelMeter,
    MicrophoneSource,
    SegmenterOptions,
    StreamingVad,
    UtteranceSegmenter,
    load_audio,
    write_wav,
)
from reporting.audio.microphone import import_sounddevice, playback_problem
from reporting.errors import AudioError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "audio"


def test_load_audio_reads_flac_wav_and_mp3(tmp_path: Path) -> None:
    speech = load_audio(EXAMPLES / "spine.flac")
    assert speech.dtype == np.float32 and 3.0 < speech.size / 16000 < 10.0
    wav = write_wav(tmp_path / "a.wav", speech)
    assert np.allclose(load_audio(wav), speech, atol=1e-4)

    import av

    mp3 = tmp_path / "a.mp3"
    with av.open(str(mp3), "w") as container:
        stream = container.add_stream("libmp3lame", rate=16000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(
            (speech * 32767).astype(np.int16)[None, :], format="s16", layout="mono"
        )
        frame.sample_rate = 16000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    decoded = load_audio(mp3)
    assert abs(decoded.size - speech.size) < 16000 * 0.2


def test_load_audio_resamples_to_16k(tmp_path: Path) -> None:
    import soundfile as sf

    tone = np.sin(np.linspace(0, 2 * np.pi * 440, 44100)).astype(np.float32) * 0.5
    sf.write(tmp_path / "tone.wav", np.stack([tone, tone], axis=1), 44100)
    out = load_audio(tmp_path / "tone.wav")
    assert out.size == 16000


def test_unreadable_audio_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "nope.wav")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not audio")
    with pytest.raises(AudioError, match="junk.wav") as caught:
        load_audio(junk)
    # the decoder's reason, without its error number or the path a second time
    message = str(caught.value)
    assert "not a readable audio file (" in message
    assert "Errno" not in message and message.count("junk.wav") == 1


def test_a_file_without_audio_is_an_error_not_silence(tmp_path: Path) -> None:
    """An empty recording, or a few bytes FFmpeg reads as an empty stream, must not pass for a
    silent dictation (an empty transcript the user cannot tell from silence)."""
    import soundfile as sf

    sf.write(tmp_path / "empty.wav", np.zeros(0, np.float32), 16000)
    broken = tmp_path / "broken.flac"
    broken.write_bytes(b"\xff\xfe\x00bad")
    for path in (tmp_path / "empty.wav", broken):
        with pytest.raises(AudioError, match=f"{path.name}: no audio in this file"):
            load_audio(path)
    silence = tmp_path / "silence.wav"
    sf.write(silence, np.zeros(16000, np.float32), 16000)
    assert load_audio(silence).size == 16000  # silence is audio: the recogniser gates it


def test_sources_deliver_blocks() -> None:
    audio = np.arange(16000 * 2, dtype=np.float32) / 32000
    blocks = list(ArraySource(audio, block_ms=100).blocks())
    assert len(blocks) == 20 and all(b.size == 1600 for b in blocks)
    assert np.array_equal(np.concatenate(blocks), audio)
    src = FileSource(EXAMPLES / "noise.flac", block_ms=250)
    assert src.duration == pytest.approx(2.0, abs=0.01)
    assert len(list(src.blocks())) == 8


def test_level_meter() -> None:
    meter = LevelMeter()
    quiet = meter.update(np.zeros(1600, np.float32))
    assert quiet.rms_db == -90.0 and quiet.fraction == 0.0
    loud = meter.update(np.full(1600, 0.5, np.float32))
    assert loud.rms_db == pytest.approx(-6.02, abs=0.05) and not loud.clipping
    assert meter.update(np.ones(1600, np.float32)).clipping
    later = meter.update(np.zeros(16000, np.float32))
    assert later.hold_db == pytest.approx(-20.0, abs=0.1)  # decays 20 dB/s


def test_segmenter_finds_each_utterance_of_a_dictation() -> None:
    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    said = (EXAMPLES / "cxr_dictation.txt").read_text().splitlines()
    utterances = list(UtteranceSegmenter().segments(ArraySource(audio).blocks()))
    assert len(utterances) == len(said) == 6
    assert all(u.duration < 15 for u in utterances)
    assert [u.index for u in utterances] == list(range(6))
    assert all(a.end <= b.start for a, b in zip(utterances, utterances[1:], strict=False))


def test_an_utterance_keeps_the_pad_before_the_first_word() -> None:
    # the VAD confirms speech only after min_speech_ms of it; the quiet onset of the first word
    # ("Stable" heard as "table") must still be kept, with speech_pad_ms before it
    speech = load_audio(EXAMPLES / "spine.flac")
    audio = np.concatenate([np.zeros(16000, np.float32), speech])
    probs = StreamingVad().feed(audio[: audio.size // 512 * 512])
    onset = int(np.argmax(probs >= 0.5)) * 512 / 16000
    options = SegmenterOptions()
    first = next(iter(UtteranceSegmenter(options).segments(ArraySource(audio).blocks())))
    assert first.start <= onset - options.speech_pad_ms / 1000 + 512 / 16000
    assert first.start >= onset - options.speech_pad_ms / 1000 - options.min_speech_ms / 1000


def test_a_dip_before_speech_is_confirmed_does_not_cut_the_first_word() -> None:
    # a first word whose VAD probability dips (a 96 ms gap three windows in) is too short to
    # confirm speech on its own; the utterance must still start before it, not after the dip
    speech = load_audio(EXAMPLES / "spine.flac")
    base = np.concatenate([np.zeros(16000, np.float32), speech])
    onset = int(np.argmax(StreamingVad().feed(base[: base.size // 512 * 512]) >= 0.5))
    cut = (onset + 3) * 512
    audio = np.concatenate([base[:cut], np.zeros(3 * 512, np.float32), base[cut:]])
    probs = StreamingVad().feed(audio[: audio.size // 512 * 512])
    assert (probs[onset : onset + 3] >= 0.5).all() and (probs[onset + 3 : onset + 6] < 0.5).all()
    options = SegmenterOptions()
    first = next(iter(UtteranceSegmenter(options).segments(ArraySource(audio).blocks())))
    assert first.start <= onset * 512 / 16000 - options.speech_pad_ms / 1000 + 512 / 16000


def test_pauses_inside_an_utterance_are_quiet_places_to_cut() -> None:
    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    # a long hang-over keeps the whole dictation in one utterance: the sentence gaps are pauses
    seg = UtteranceSegmenter(SegmenterOptions(min_silence_ms=3000, max_utterance_s=60))
    seen: set[int] = set()
    for block in ArraySource(audio).blocks():
        seg.push(block)
        seen.update(seg.pauses)
        if not seg.speaking:
            assert seg.pauses == ()
    current = seg.current_audio()
    assert len(seen) >= 5  # at least the gaps between the six sentences
    for at in sorted(seen):
        assert 0 < at < current.size
        around = current[max(0, at - 800) : at + 800]  # 50 ms either side of the cut
        assert np.sqrt(np.mean(around**2)) < 0.1 * np.sqrt(np.mean(current**2))
    # a shorter minimum pause finds at least as many
    finer = UtteranceSegmenter(
        SegmenterOptions(min_silence_ms=3000, max_utterance_s=60, pause_ms=100)
    )
    more: set[int] = set()
    for block in ArraySource(audio).blocks():
        finer.push(block)
        more.update(finer.pauses)
    assert len(more) >= len(seen)
    # brief pauses are every quiet stretch of at least brief_pause_ms: the pauses and more
    brief: set[int] = set()
    full: set[int] = set()
    seg = UtteranceSegmenter(SegmenterOptions(min_silence_ms=3000, max_utterance_s=60))
    for block in ArraySource(audio).blocks():
        seg.push(block)
        brief.update(seg.brief_pauses)
        full.update(seg.pauses)
    assert full == seen and full <= brief


def test_silence_and_noise_give_no_utterance() -> None:
    for name in ("silence.flac", "noise.flac"):
        audio = load_audio(EXAMPLES / name)
        assert list(UtteranceSegmenter().segments(ArraySource(audio).blocks())) == []


def test_long_speech_is_cut_and_push_to_talk_release_ends_an_utterance() -> None:
    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    seg = UtteranceSegmenter(SegmenterOptions(max_utterance_s=2.0, min_silence_ms=3000))
    cut = list(seg.segments(ArraySource(audio).blocks()))
    assert len(cut) > 6 and all(u.duration <= 2.0 + 512 / 16000 for u in cut)
    assert any(u.cut for u in cut)

    seg = UtteranceSegmenter(SegmenterOptions(min_silence_ms=3000))
    first = audio[: int(16000 * 8.0)]
    events = []
    for block in ArraySource(first).blocks():
        events += seg.push(block)
    assert seg.speaking and events == []
    ended = seg.push(np.zeros(0, np.float32))  # release
    assert len(ended) == 1 and not seg.speaking


def test_speech_that_runs_too_long_is_cut_in_a_pause_not_in_a_word() -> None:
    """An utterance that reaches ``max_utterance_s`` is cut at its last pause in the final
    third.  It used to be cut at the last quiet 32 ms window, often a consonant's closure inside
    a word ("Small left pleural" + "Pleural effusion."): on long dictations of the fresh clip
    set, the audio around such cuts had a median RMS of 0.04 (speech), and now 0.0."""
    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    for longest in (6.0, 8.0):
        options = SegmenterOptions(min_silence_ms=3000, max_utterance_s=longest)
        cuts = [
            u for u in UtteranceSegmenter(options).segments(ArraySource(audio).blocks()) if u.cut
        ]
        assert cuts
        for u in cuts:
            at = int(u.end * 16000)
            around = audio[at - 800 : at + 800]  # 50 ms either side
            assert float(np.sqrt(np.mean(around**2))) < 0.01, (longest, u.end)


def test_the_tail_of_a_word_a_cut_fell_in_is_no_utterance_of_its_own() -> None:
    """Speech that runs past ``max_utterance_s`` is cut; when the speaker stops a moment after
    the cut, the bit left (a word's last sound) held no word, and was reported as "sounded like
    speech but no words were heard"."""
    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    for tail_ms, closing in [(60, "release"), (60, "silence"), (400, "release")]:
        options = SegmenterOptions(
            max_utterance_s=2.0, min_silence_ms=3000 if closing == "release" else 700
        )
        said = list(UtteranceSegmenter(options).segments(ArraySource(audio).blocks()))
        n, cut = next((i, u) for i, u in enumerate(said) if u.cut)
        stream = audio[: int(cut.end * 16000) + 16 * tail_ms]
        if closing == "silence":
            stream = np.concatenate([stream, np.zeros(16000, np.float32)])
        seg = UtteranceSegmenter(options)
        found = [u for b in ArraySource(stream).blocks() for u in seg.push(b)]
        found += seg.push(np.zeros(0, np.float32))
        assert [u.cut for u in found[: n + 1]] == [u.cut for u in said[: n + 1]]
        assert len(found) == n + 1 + (tail_ms == 400), (tail_ms, closing)


def test_segmenter_options_are_validated() -> None:
    with pytest.raises(AudioError):
        SegmenterOptions(threshold=1.5)
    with pytest.raises(AudioError, match="brief_pause_ms"):
        SegmenterOptions(pause_ms=100, brief_pause_ms=150)
    with pytest.raises(AudioError, match="brief_pause_ms"):
        SegmenterOptions(brief_pause_ms=0)
    with pytest.raises(AudioError):
        MicrophoneSource(mode="shout")  # type: ignore[arg-type]


def test_missing_sounddevice_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    with pytest.raises(AudioError, match=r"pip install 'reporting\[dictation\]'"):
        import_sounddevice()


def test_missing_portaudio_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_portaudio(name: str, *args: object, **kwargs: object) -> object:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    with pytest.raises(AudioError, match="apt-get install libportaudio2") as err:
        MicrophoneSource().start()
    assert err.value.title == "Microphone unavailable"


def test_microphone_callback_only_queues_and_counts_overruns() -> None:
    mic = MicrophoneSource(queue_blocks=2)
    block = np.ones((1600, 1), dtype=np.int16)
    for _ in range(5):
        mic._callback(block, 1600, None, None)
    assert mic.overruns == 3
    mic.toggle()  # stop listening: blocks are ignored, the utterance ends
    mic._callback(block, 1600, None, None)
    assert mic.overruns == 4  # the end marker did not fit either
    ptt = MicrophoneSource(mode="push_to_talk", queue_blocks=10)
    ptt._callback(block, 1600, None, None)
    ptt.press()
    ptt._callback(block, 1600, None, None)
    ptt.release()
    assert ptt._queue.qsize() == 2  # one block and the end-of-utterance marker


def test_importing_reporting_loads_no_audio_or_speech_packages() -> None:
    code = (
        "import sys, reporting, reporting.audio, reporting.asr, reporting.dictation;"
        "bad = [m for m in ('sounddevice', 'faster_whisper', 'ctranslate2', 'textual') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_failed_playback_says_when_there_is_no_output_device() -> None:
    from types import SimpleNamespace

    error = RuntimeError("Error querying device -1")
    microphone_only = SimpleNamespace(
        query_devices=lambda: [{"name": "mic", "max_input_channels": 1, "max_output_channels": 0}]
    )
    assert playback_problem(microphone_only, error) == (
        "no audio output device (speakers or headphones) was found"
    )
    speakers = SimpleNamespace(
        query_devices=lambda: [{"name": "out", "max_input_channels": 0, "max_output_channels": 2}]
    )
    assert playback_problem(speakers, error) == "the audio output failed (Error querying device -1)"
    # this machine's real PortAudio, whatever it has: a message, never a traceback
    try:
        sd = import_sounddevice()
    except AudioError:
        return
    assert playback_problem(sd, error).startswith(("no audio output", "the audio output failed"))

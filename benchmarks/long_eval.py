"""Long dictations: several report sentences said in one run, with no pause long enough to end
an utterance, as a radiologist reads down a report.

The clip sets of ``dictation_eval.py`` are a sentence or a few each, shorter than the
segmenter's ``max_utterance_s`` (15 s).  Here the sentences of four consecutive clips of one
voice are spoken as one recording (17-40 s), so the segmenter must cut speech that runs on,
and the pieces are decoded apart.  Each recording goes through plain faster-whisper (its own
30 s windows, no VAD, no prompt: the baseline), and through the default dictation path
(``reporting transcribe --template chest_xr``) twice: with the cut in the last pause after two
thirds of the limit (ours), and with the old cut at the last quiet 32 ms window (**quiet
cut**), in the same run.  It also reports how loud the audio is around each cut (RMS over 50
ms either side; speech is about 0.03-0.1, silence 0).

    .venv/bin/python benchmarks/long_eval.py [--set fresh] [--dictations 30]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dictation_eval import (  # noqa: E402
    DEFAULT_CLIPS,
    OUT,
    Clip,
    clip_sets,
    load_terms,
    missing_requirement,
    plain_decode,
    term_hits,
    wer_counts,
)

from reporting.asr import TranscriberOptions, build_pipeline, load_transcriber  # noqa: E402
from reporting.asr.command_tail import dictation_transcriber  # noqa: E402
from reporting.asr.engine import OFFLINE_WORKERS  # noqa: E402
from reporting.asr.phrases import phrasebook_for  # noqa: E402
from reporting.audio import load_audio  # noqa: E402
from reporting.audio.segmenter import UtteranceSegmenter  # noqa: E402
from reporting.dictation import recognise  # noqa: E402
from reporting.templating import load_template  # noqa: E402

PER_DICTATION = 4


def dictations(name: str, n: int) -> list[list[Clip]]:
    """Up to ``n`` runs of ``PER_DICTATION`` consecutive clips of set ``name``, one voice each."""
    sets, _ = clip_sets(DEFAULT_CLIPS)
    by_voice: dict[tuple[str, str, float], list[Clip]] = {}
    for clip in sets[name]:
        by_voice.setdefault((clip.engine, clip.voice, clip.speed), []).append(clip)
    runs = [
        clips[i : i + PER_DICTATION]
        for clips in by_voice.values()
        for i in range(0, len(clips) - PER_DICTATION + 1, PER_DICTATION)
    ]
    return runs[:n]


def speak(clips: list[Clip]) -> Path:
    """The clips' sentences spoken as one recording, cached beside the clip audio."""
    first = clips[0]
    wav = OUT / "long" / f"{first.key}-x{len(clips)}.wav"
    text = " ".join(c.text for c in clips)
    said = wav.with_suffix(".txt")
    if wav.exists() and said.exists() and said.read_text(encoding="utf-8") == text:
        return wav
    wav.parent.mkdir(parents=True, exist_ok=True)
    raw = wav.with_suffix(".raw.wav")
    if first.engine == "espeak":
        command = ["espeak-ng", "-v", first.voice, "-s", str(int(first.speed)), "-w", str(raw)]
        subprocess.run([*command, text], check=True)
    else:
        stretch = f"duration_stretch={first.speed}"
        command = ["flite", "-voice", first.voice, "--setf", stretch, "-t", text, "-o", str(raw)]
        subprocess.run(command, check=True)
    command = ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav), "pad", "0.3", "0.5"]
    subprocess.run(command, check=True)
    raw.unlink()
    said.write_text(text, encoding="utf-8")
    return wav


def quiet_cut(self: UtteranceSegmenter, earliest: int, length: int) -> int:
    """The cut before 2026-12-07: the last quiet window after ``earliest``, else here."""
    return self._quiet_at if self._quiet_at > earliest else length


def loudness_at_cuts(audio: np.ndarray, pieces: list[Any]) -> list[float]:
    """RMS of the audio 50 ms either side of each place the segmenter cut speech (where one
    utterance ends as the next begins: no silence ended it)."""
    out = []
    for piece, after in zip(pieces, pieces[1:], strict=False):
        if after.start - piece.end < 0.05:
            at = int(piece.end * 16000)
            out.append(float(np.sqrt(np.mean(audio[max(0, at - 800) : at + 800] ** 2))))
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", default="fresh", help="clip set (default: fresh, held out)")
    parser.add_argument("--dictations", type=int, default=30)
    args = parser.parse_args(argv)
    if missing := missing_requirement():
        print(f"long_eval: skipped: {missing}")
        return 0
    # decoded as `reporting transcribe` decodes a recording: two utterances at once
    transcriber = load_transcriber(TranscriberOptions(cpu_threads=2, workers=OFFLINE_WORKERS))
    transcriber.warm_up()
    spec = load_template("chest_xr")
    folder = transcriber.resolved.location if transcriber.resolved.is_local else None
    pipeline = build_pipeline(
        spec=spec, model_folder=folder, phrases=phrasebook_for("chest_xr", site=(), recall=None)
    )
    ours = dictation_transcriber(transcriber, pipeline)
    model = transcriber.model
    terms = load_terms()
    systems = ("baseline", "quiet cut", "reporting")
    errors = dict.fromkeys(systems, 0)
    found = dict.fromkeys(systems, 0)
    seconds = dict.fromkeys(systems, 0.0)
    loud: dict[str, list[float]] = {"quiet cut": [], "reporting": []}
    said_words = said_terms = 0
    paused_cut = UtteranceSegmenter._cut_at
    runs = dictations(args.set, args.dictations)
    for clips in runs:
        ref = " ".join(c.text for c in clips)
        audio = load_audio(speak(clips))
        text, took = plain_decode(model, audio)
        outs = {"baseline": (text, took)}
        for name, cut in (("quiet cut", quiet_cut), ("reporting", paused_cut)):
            UtteranceSegmenter._cut_at = cut  # type: ignore[method-assign]
            started = time.perf_counter()
            pieces = recognise(audio, ours, prompt=pipeline.prompt)
            text, _ = pipeline.process_pieces([p.transcript for p in pieces])
            outs[name] = (text, time.perf_counter() - started)
            loud[name] += loudness_at_cuts(audio, pieces)
        UtteranceSegmenter._cut_at = paused_cut  # type: ignore[method-assign]
        for name, (text, took) in outs.items():
            e, n = wer_counts(ref, text)
            hit, total = term_hits(terms, ref, text)
            errors[name] += e
            found[name] += hit
            seconds[name] += took
        said_words += n
        said_terms += total
        print(f"{clips[0].key} x{len(clips)}: {audio.size / 16000:.1f} s", flush=True)
    print(f"\n{len(runs)} dictations of set {args.set!r}, {said_words} words")
    print(f"{'system':<12} {'WER':>7} {'terms':>7} {'time':>7}   audio at cuts (RMS)")
    for name in systems:
        at = loud.get(name)
        where = (
            f"median {statistics.median(at):.4f}, max {max(at):.4f} ({len(at)} cuts)" if at else ""
        )
        print(
            f"{name:<12} {errors[name] / said_words:>7.3f} {found[name] / said_terms:>7.3f} "
            f"{seconds[name] / seconds['baseline']:>6.2f}x   {where}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

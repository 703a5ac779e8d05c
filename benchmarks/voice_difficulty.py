"""How hard each synthetic voice is for plain faster-whisper, beside the issue's reference clips.

The issue gives its reference points on held-back clips it does not publish: plain
faster-whisper (Whisper base, int8, 2 cores, no prompt) WER 0.178, term recall 0.687, left/right
0.886; with one static chest-radiograph prompt 0.094, 0.907, 0.909.  This speaks the same 24
utterances of report sentences (the ``calibration`` set of ``dictation_eval.py``: sentences of
no other clip set) with every voice and measures both baselines, so a clip set's voices can be
chosen by how comparable they are to the reference, before any of our set-ups runs on it.

    .venv/bin/python benchmarks/voice_difficulty.py [--voices espeak:en-us:175,flite:slt:1.0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dictation_eval import (  # noqa: E402
    DEFAULT_CLIPS,
    HELD_OUT_VOICES,
    REFERENCE,
    SIDE,
    TUNE_VOICES,
    Clip,
    clip_sets,
    load_terms,
    missing_requirement,
    synthesise,
    term_hits,
    voice_label,
    wer_counts,
)

from reporting.asr import TranscriberOptions, build_pipeline, load_transcriber  # noqa: E402
from reporting.audio import load_audio  # noqa: E402
from reporting.templating import load_template  # noqa: E402

#: the default voices of espeak-ng and flite beside the tune and held-out voices
EXTRA_VOICES = [("espeak", "en-us", 175.0), ("espeak", "en-gb", 175.0), ("flite", "kal16", 1.0)]


def parse_voices(option: str) -> list[tuple[str, str, float]]:
    voices = []
    for item in option.split(","):
        engine, voice, speed = item.strip().split(":")
        voices.append((engine, voice, float(speed)))
    return voices


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--voices",
        default="",
        help="comma-separated ENGINE:VOICE:SPEED (default: the tune, held-out and default voices)",
    )
    args = parser.parse_args(argv)
    missing = missing_requirement()
    if missing:
        print(f"skipped: {missing}")
        return 0
    try:
        voices = (
            parse_voices(args.voices)
            if args.voices
            else [*TUNE_VOICES, *HELD_OUT_VOICES, *EXTRA_VOICES]
        )
    except ValueError:
        parser.error(f"--voices: expected ENGINE:VOICE:SPEED items, got {args.voices!r}")
    texts = [c.text for c in clip_sets(DEFAULT_CLIPS)[0]["calibration"]]
    transcriber = load_transcriber(TranscriberOptions(cpu_threads=2))
    transcriber.warm_up()
    model = transcriber.model
    spec = load_template("chest_xr")
    prompt = build_pipeline(spec=spec, model_folder=transcriber.resolved.location).prompt
    terms = load_terms()
    print(f"voice_difficulty: {len(texts)} utterances per voice, Whisper base int8, 2 threads")
    print(f"{'voice':22s} {'plain WER':>9s} {'terms':>6s} {'L/R':>5s} {'RTF':>6s}   "
          f"{'prompt WER':>10s} {'terms':>6s} {'L/R':>5s}")  # fmt: skip
    for name, ref in REFERENCE.items():
        print(f"{'reference, ' + name:22s} {ref['wer']:9.3f} {ref['term_recall']:6.3f} "
              f"{ref['left_right']:5.3f}")  # fmt: skip
    for engine, voice, speed in voices:
        # [edits, reference words, terms found, terms said, side clips, sides right, seconds]
        tally = {"plain": [0.0] * 7, "prompt": [0.0] * 7}
        audio_s = 0.0
        for i, text in enumerate(texts):
            clip = Clip(f"cal{i:03d}-{engine}-{voice.replace('+', '_')}-{speed:g}", text,
                        engine, voice, speed, "held_out")  # fmt: skip
            audio = load_audio(synthesise(clip))
            audio_s += audio.size / 16000
            for system, extra in (("plain", {}), ("prompt", {"initial_prompt": prompt})):
                started = time.perf_counter()
                segments, _ = model.transcribe(audio, language="en", **extra)
                hyp = " ".join(s.text.strip() for s in segments)
                t = tally[system]
                t[6] += time.perf_counter() - started
                e, n = wer_counts(text, hyp)
                f, total = term_hits(terms, text, hyp)
                said, written = SIDE.findall(text.lower()), SIDE.findall(hyp.lower())
                sided = bool(said or written)
                for k, x in enumerate((e, n, f, total, sided, sided and said == written)):
                    t[k] += x
        cells = [
            f"{t[0] / max(1, t[1]):.3f} {t[2] / max(1, t[3]):6.3f} {t[5] / max(1, t[4]):5.3f}"
            for t in tally.values()
        ]
        rtf = tally["plain"][6] / max(1e-9, audio_s)
        label = voice_label(Clip("", "", engine, voice, speed, "held_out"))
        print(f"{label:22s} {cells[0]:>22s} {rtf:6.3f}   {cells[1]:>22s}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

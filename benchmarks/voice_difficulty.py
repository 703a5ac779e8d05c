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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dictation_eval import (  # noqa: E402
    DEFAULT_CLIPS,
    HELD_OUT_VOICES,
    REFERENCE,
    TUNE_VOICES,
    Clip,
    Score,
    clip_sets,
    load_terms,
    missing_requirement,
    plain_decode,
    score_sides,
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
        scores = {"plain": Score(), "prompt": Score()}
        for i, text in enumerate(texts):
            clip = Clip(f"cal{i:03d}-{engine}-{voice.replace('+', '_')}-{speed:g}", text,
                        engine, voice, speed, "held_out")  # fmt: skip
            audio = load_audio(synthesise(clip))
            for system, score in scores.items():
                hyp, seconds = plain_decode(model, audio, prompt if system == "prompt" else None)
                score.seconds += seconds
                score.audio += audio.size / 16000
                e, n = wer_counts(text, hyp)
                score.edits += e
                score.ref_words += n
                f, total = term_hits(terms, text, hyp)
                score.terms_found += f
                score.terms_total += total
                score_sides(score, text, hyp, None)
        rows = {system: score.row() for system, score in scores.items()}
        cells = [
            f"{r['wer']:.3f} {r['term_recall']:6.3f} {r['left_right']:5.3f}" for r in rows.values()
        ]
        label = voice_label(Clip("", "", engine, voice, speed, "held_out"))
        print(f"{label:22s} {cells[0]:>22s} {rows['plain']['rtf']:6.3f}   {cells[1]:>22s}",
              flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

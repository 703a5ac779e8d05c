"""Dictating a template's own sentences: does the decoder skip what its prompt already holds?

Whisper reads its prompt as what was said just before, and each template's passage ends with
its normal impression, so a dictation that begins with that sentence can lose it.  The clip
sets of ``dictation_eval.py`` come from reports and seldom hold our passages' sentences; this
speaks them.  For each of six templates, six dictations of two or three of its passage's
sentences (in passage order or shuffled, fixed seed), each spoken by two flite and two
espeak-ng voices, go through the default dictation path (VAD segmenter, recall) twice in the
same run: with the skipped-start check of :mod:`reporting.asr.skips` off (the baseline) and on.
A clip counts as skipped when four or more words said in a row are missing.

    .venv/bin/python benchmarks/prompt_skip_eval.py [--templates chest_xr,ct_head]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dictation_eval import (  # noqa: E402
    Clip,
    bundled_phrases,
    missing_requirement,
    synthesise,
    words,
)

from reporting.asr import TranscriberOptions, build_pipeline, load_transcriber  # noqa: E402
from reporting.asr.recall import RecallingTranscriber  # noqa: E402
from reporting.audio import load_audio  # noqa: E402
from reporting.dictation import recognise  # noqa: E402
from reporting.templating import load_template  # noqa: E402

TEMPLATES = ["ct_head", "chest_xr", "mr_knee", "ct_chest", "us_abdomen", "mr_brain"]
VOICES = [("flite", "slt", 1.0), ("flite", "rms", 1.0), ("espeak", "en-us", 160.0),
          ("espeak", "en+m3", 160.0)]  # fmt: skip
DICTATIONS = 6
SKIPPED_RUN = 4


def passage_sentences(prompt: str) -> list[str]:
    """The passage's dictated sentences (its voice commands left out)."""
    found = [s.strip() for s in re.split(r"(?<=\.)\s+", prompt) if s.strip()]
    found = [re.sub(r"\s*period$", ".", s) for s in found]
    return [s for s in found if not s.lower().startswith("go to")]


def dictations(sentences: list[str], rng: random.Random) -> list[str]:
    out = []
    for k in range(DICTATIONS):
        n = rng.choice([2, 2, 3])
        if k % 2:
            i = rng.randrange(len(sentences) - n + 1)
            out.append(" ".join(sentences[i : i + n]))
        else:
            out.append(" ".join(rng.sample(sentences, n)))
    return out


def longest_lost_run(said: str, heard: str) -> tuple[int, int]:
    """(longest run of said words missing from ``heard``, edit distance in words)."""
    from rapidfuzz.distance import Levenshtein

    ref, hyp = words(said), words(heard)
    lost = sorted(op.src_pos for op in Levenshtein.editops(ref, hyp) if op.tag == "delete")
    longest = run = 0
    for i, pos in enumerate(lost):
        run = run + 1 if i and pos == lost[i - 1] + 1 else 1
        longest = max(longest, run)
    return longest, Levenshtein.distance(ref, hyp)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--templates", default=",".join(TEMPLATES))
    args = parser.parse_args(argv)
    if missing := missing_requirement():
        print(f"prompt_skip_eval: skipped: {missing}")
        return 0
    engines = {
        "check off": load_transcriber(TranscriberOptions(restore_skipped=False)),
        "check on": load_transcriber(TranscriberOptions()),
    }
    folder = engines["check on"].resolved.location
    rng = random.Random(7)
    tally = {name: [0, 0, 0, 0.0] for name in engines}  # skipped clips, edits, words, seconds
    clips = 0
    for tid in args.templates.split(","):
        spec = load_template(tid)
        pipeline = build_pipeline(spec=spec, model_folder=folder, phrases=bundled_phrases(tid))
        for k, said in enumerate(dictations(passage_sentences(pipeline.prompt or ""), rng)):
            for engine, voice, speed in VOICES:
                key = f"skip-{tid}-{k}-{engine}-{voice}-{speed:g}"
                audio = load_audio(synthesise(Clip(key, said, engine, voice, speed, "held_out")))
                clips += 1
                shown = []
                for name, transcriber in engines.items():
                    recalling = RecallingTranscriber.for_pipeline(transcriber, pipeline)
                    started = time.perf_counter()
                    pieces = recognise(audio, recalling, prompt=pipeline.prompt)
                    tally[name][3] += time.perf_counter() - started
                    heard = " ".join(
                        pipeline.process(p.transcript.text, p.transcript.words).text for p in pieces
                    )
                    run, edits = longest_lost_run(said, heard)
                    tally[name][0] += run >= SKIPPED_RUN
                    tally[name][1] += edits
                    tally[name][2] += len(words(said))
                    shown.append(f"{'!' if run >= SKIPPED_RUN else ' '}{run}")
                print(f"  {key:44s} lost run (off, on): {' '.join(shown)}", flush=True)
    print(f"prompt_skip_eval: {clips} clips of the templates' own sentences, default path (recall)")
    print(f"{'system':12s} {'skipped clips':>14s} {'WER':>7s} {'time s':>8s}")
    for name, (skipped, edits, total, seconds) in tally.items():
        print(f"{name:12s} {skipped:>14d} {edits / max(1, total):>7.3f} {seconds:>8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

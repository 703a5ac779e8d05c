"""Short sentences said on their own: the hardest case of dictation we measure.

A radiologist often says a short thing after a pause: "No pneumothorax.", "Stable chest.".
Alone, an utterance gives the decoder no context.  This speaks sentences of two to four words
from the FINDINGS and IMPRESSION of ../shared/data/iu-cxr-dev.jsonl (no digits, no XXXX, none
of any clip set of ``dictation_eval.py``), each alone, in six voices (four espeak-ng, two
flite), and decodes each with plain faster-whisper, the same with the chest template's passage
as a static prompt (the baselines), and the default dictation path (segmenter, recall, command
and break listening, correction, formatting).  The default path's text is applied to a session
that already holds a sentence: a voice command firing there is dictation lost (**fires**).

    .venv/bin/python benchmarks/short_eval.py [--sentences 20] [--skip 0]

``--skip N`` takes the sentences after the first N of the same fixed order: sentences no rule
was written from (rules were read off the first 60).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dictation_eval import (  # noqa: E402
    DATA,
    DEFAULT_CLIPS,
    Clip,
    clip_sets,
    load_terms,
    missing_requirement,
    plain_decode,
    report_sentences,
    synthesise,
    term_hits,
    wer_counts,
    words,
)

from reporting.asr import TranscriberOptions, build_pipeline, load_transcriber  # noqa: E402
from reporting.asr.command_tail import dictation_transcriber  # noqa: E402
from reporting.audio import load_audio  # noqa: E402
from reporting.dictation import DictationSession, recognise  # noqa: E402
from reporting.templating import load_template  # noqa: E402

VOICES = [("espeak", "en+m3", 160.0), ("espeak", "en-us", 165.0), ("espeak", "en-gb", 150.0),
          ("espeak", "en+f2", 160.0), ("flite", "slt", 1.0), ("flite", "kal", 1.0)]  # fmt: skip
SYSTEMS = ("baseline", "prompt", "reporting")


def short_sentences(n: int, skip: int = 0) -> list[str]:
    """``n`` distinct sentences of two to four words, in a fixed random order, after the first
    ``skip`` of that order."""
    _, unseen = clip_sets(DEFAULT_CLIPS)
    found = sorted(
        {
            s
            for s in report_sentences(DATA)
            if "XXXX" not in s
            and s.endswith(".")
            and not any(c.isdigit() for c in s)
            and 2 <= len(s.split()) <= 4
            and " ".join(words(s)) not in unseen
        }
    )
    random.Random(7).shuffle(found)
    return found[skip : skip + n]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sentences", type=int, default=20)
    parser.add_argument(
        "--skip", type=int, default=0, help="start after this many sentences of the fixed order"
    )
    args = parser.parse_args(argv)
    if missing := missing_requirement():
        print(f"short_eval: skipped: {missing}")
        return 0
    transcriber = load_transcriber(TranscriberOptions(cpu_threads=2))
    transcriber.warm_up()
    spec = load_template("chest_xr")
    pipeline = build_pipeline(spec=spec, model_folder=transcriber.resolved.location)
    ours = dictation_transcriber(transcriber, pipeline)
    terms = load_terms()
    # edits, reference words, terms found, terms said, seconds, commands fired
    tally = {name: [0, 0, 0, 0, 0.0, 0] for name in SYSTEMS}
    clips = 0
    for i, said in enumerate(short_sentences(args.sentences, args.skip), start=args.skip):
        for engine, voice, speed in VOICES:
            key = f"short-{i}-{engine}-{voice}-{speed:g}"
            audio = load_audio(synthesise(Clip(key, said, engine, voice, speed, "held_out")))
            clips += 1
            heard: dict[str, str] = {}
            for name in SYSTEMS:
                started = time.perf_counter()
                if name == "reporting":
                    pieces = recognise(audio, ours, prompt=pipeline.prompt)
                    heard[name] = pipeline.process_pieces([p.transcript for p in pieces])[0]
                    seconds = time.perf_counter() - started
                    session = DictationSession(spec, pipeline=pipeline)
                    session.apply("Small left pleural effusion.")
                    fired = [
                        a
                        for p in pieces
                        for a in session.apply(p.transcript).actions
                        if a != "dictate"
                    ]
                    tally[name][5] += bool(fired)
                else:
                    prompt = pipeline.prompt if name == "prompt" else None
                    heard[name], seconds = plain_decode(transcriber.model, audio, prompt)
                edits, total = wer_counts(said, heard[name])
                found, named = term_hits(terms, said, heard[name])
                row = tally[name]
                row[0] += edits
                row[1] += total
                row[2] += found
                row[3] += named
                row[4] += seconds
            print(f"  {key:32s} {said!r} -> {heard['reporting']!r}", flush=True)
    print(f"short_eval: {clips} clips, short sentences said alone, 1 utterance each")
    print(f"{'system':10s} {'WER':>6s} {'terms':>6s} {'fires':>6s} {'time s':>7s}")
    for name, (edits, total, found, named, seconds, fires) in tally.items():
        shown = str(fires) if name == "reporting" else "-"
        print(
            f"{name:10s} {edits / max(1, total):>6.3f} {found / max(1, named):>6.3f} "
            f"{shown:>6s} {seconds:>7.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Words of the opposite meaning: is "an irregular mass" written as said?

Run together, "an irregular" reads as "a regular", and Whisper base, primed with report text,
wrote "a regular mass", "any regular lesion", "and the regular hypoechoic lesion": a
suspicious lesion turned bland.  ``lexicons/asr_corrections.json`` rewrites those before a
lesion noun and flags the rewrite ``opposite`` (a replacement with ``confirm`` and
``followed_by``).  This speaks sentences of our own that say "an irregular" before a lesion
(and two that say "regular" as meant) by every voice of ``dictation_eval.py`` (tune and
held-out), decodes each once through the default offline path (VAD segmenter, recall, command
tail) of its template, and processes the same heard text twice, in the same run:

* ``without``: the template's pipeline without the replacements that ask to confirm;
* ``default``: the pipeline as ``build_pipeline`` makes it.

Reported per sentence set: clips whose text holds "irregular" (for the sentences that say it),
clips that still read "a/the regular" before a lesion, clips whose "regular" said as meant was
rewritten, and how many rewrites were flagged.  The ``rule`` sets were read while the rule was
written; the ``new`` set was written after it and first run on the finished rule.

    .venv/bin/python benchmarks/opposite_eval.py [--voices held-out|tune|all]
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dictation_eval import (  # noqa: E402
    HELD_OUT_VOICES,
    TUNE_VOICES,
    Clip,
    missing_requirement,
    synthesise,
)

from reporting.asr import build_pipeline, load_transcriber  # noqa: E402
from reporting.asr.command_tail import dictation_transcriber  # noqa: E402
from reporting.asr.phrases import bundled_phrases  # noqa: E402
from reporting.audio import load_audio  # noqa: E402
from reporting.dictation import recognise  # noqa: E402
from reporting.templating import load_template  # noqa: E402

#: (set, template, sentence); "meant" sentences say "regular" as meant
SENTENCES: list[tuple[str, str, str]] = [
    ("rule", "mammo_birads", "There is an irregular mass in the left breast at two o'clock."),
    ("rule", "mammo_birads", "An irregular hypoechoic mass with angular margins."),
    ("rule", "mammo_birads", "Ultrasound shows an irregular mass with indistinct margins."),
    ("rule", "ct_chest", "There is an irregular nodule in the right upper lobe."),
    ("rule", "ct_chest", "An irregular opacity is seen in the left lower lobe."),
    ("rule", "us_abdomen", "There is an irregular lesion in the right lobe of the liver."),
    (
        "rule",
        "mammo_birads",
        "Spot compression views show an irregular mass with spiculated margins.",
    ),
    (
        "rule",
        "ct_abdomen_pelvis",
        "An irregular mass arises from the upper pole of the right kidney.",
    ),
    ("rule", "ct_chest", "An irregular density is noted in the right apex."),
    (
        "rule",
        "ct_chest",
        "There is an irregular nodule in the lingula measuring eight millimeters.",
    ),
    ("rule", "ct_head", "There is an irregular lesion in the left frontal lobe."),
    ("rule", "us_abdomen", "An irregular hypoechoic lesion is seen in the pancreatic tail."),
    ("new", "mammo_birads", "An irregular mass is present in the right breast at nine o'clock."),
    ("new", "us_pelvis_female", "An irregular cystic lesion is seen in the right adnexa."),
    ("new", "ct_chest", "There is an irregular spiculated nodule in the left upper lobe."),
    ("new", "ct_abdomen_pelvis", "An irregular enhancing lesion is seen in the liver."),
    ("new", "mr_brain", "There is an irregular enhancing mass in the right temporal lobe."),
    ("new", "us_renal", "An irregular solid mass in the lower pole of the left kidney."),
    ("meant", "ct_chest", "The heart has a regular rhythm on the scout image."),
    ("meant", "us_pelvis_female", "The ovary has smooth and regular margins."),
]
IRREGULAR = re.compile(r"\birregular\b", re.IGNORECASE)
REGULAR_LESION = re.compile(
    r"\b(?:a|an|any|and|the)\s+regular\s+(?:\w+\s+){0,2}?"
    r"(?:mass|masses|nodules?|lesions?|opacity|opacities|density|densities)\b",
    re.IGNORECASE,
)
REGULAR = re.compile(r"(?<!ir)\bregular\b", re.IGNORECASE)


def without_confirming(pipeline: Any) -> Any:
    """``pipeline`` with a corrector that lacks the replacements that ask to confirm."""
    corrector = pipeline.corrector
    rules = corrector.rules
    kept = tuple(
        (heard, write)
        for heard, write in rules.replacements
        if " ".join(heard.lower().split()) not in rules.confirm
    )
    plain_rules = dataclasses.replace(rules, replacements=kept, confirm=frozenset(), followed_by={})
    plain = type(corrector)(plain_rules, corrector.terms, corrector.ordinary, corrector.context)
    return dataclasses.replace(pipeline, corrector=plain)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", choices=("held-out", "tune", "all"), default="all")
    args = parser.parse_args(argv)
    problem = missing_requirement()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    voices = {
        "held-out": HELD_OUT_VOICES,
        "tune": TUNE_VOICES,
        "all": TUNE_VOICES + HELD_OUT_VOICES,
    }
    engine = load_transcriber()
    folder = engine.resolved.location if engine.resolved.is_local else None
    setups: dict[str, tuple[Any, Any, Any]] = {}
    # (system, set) -> [clips, "irregular" written, "a regular <lesion>" left, "regular" said
    # as meant and rewritten, opposite flags]
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    shown: list[str] = []
    for k, (group, template, said) in enumerate(SENTENCES):
        if template not in setups:
            spec = load_template(template)
            pipe = build_pipeline(spec=spec, model_folder=folder, phrases=bundled_phrases(template))
            setups[template] = (pipe, without_confirming(pipe), dictation_transcriber(engine, pipe))
        pipe, plain, transcriber = setups[template]
        for engine_name, voice, speed in voices[args.voices]:
            clip = Clip(
                f"opposite-{k}-{engine_name}-{voice}-{speed:g}",
                said,
                engine_name,
                voice,
                speed,
                group,
            )
            pieces = recognise(load_audio(synthesise(clip)), transcriber, prompt=pipe.prompt)
            for system, pipeline in (("without", plain), ("default", pipe)):
                outs = [pipeline.process(p.transcript.text, p.words) for p in pieces]
                text = " ".join(o.text for o in outs)
                row = tally[(system, group)]
                row[0] += 1
                if group == "meant":
                    row[3] += bool(IRREGULAR.search(text))
                else:
                    row[1] += bool(IRREGULAR.search(text))
                    row[2] += bool(REGULAR_LESION.search(text))
                row[4] += sum(f.reason == "opposite" for o in outs for f in o.flags)
                if system == "default" and (
                    (group != "meant" and not IRREGULAR.search(text))
                    or (group == "meant" and not REGULAR.search(text))
                ):
                    shown.append(f"  [{group}] {voice} {speed:g}: {text}  -- said: {said}")
    print(f"opposite_eval: {len(SENTENCES)} sentences, {args.voices} voices, one decode each")
    print(
        "system   set    clips  'irregular' written  'a regular <lesion>' left  meant rewritten  flags"
    )
    for (system, group), (n, irregular, regular, rewritten, flags) in sorted(tally.items()):
        said = "-" if group == "meant" else f"{irregular}/{n}"
        left = "-" if group == "meant" else f"{regular}/{n}"
        meant = f"{rewritten}/{n}" if group == "meant" else "-"
        print(f"{system:8s} {group:6s} {n:5d}  {said:>19s}  {left:>25s}  {meant:>15s}  {flags:5d}")
    print("default: clips without 'irregular' (or, for 'meant', without 'regular'):")
    print("\n".join(shown) or "  (none)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

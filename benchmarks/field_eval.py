"""Template fields filled by voice: does the value said after a field's name land in it?

Radiologists fill a structured template's fields by saying the field's name and the value
("Uterine length nine point eight centimeters. Free fluid trace."). Those names are rarely
written out in a report, so no phrasebook sentence holds them and the second decode (recall,
:mod:`reporting.asr.recall`) had nothing to recall for them: "Uterine length 9.8 cm" came out
as "U-RADS 9.8 cm" after a recalled "O-RADS 4" sentence, and the value went to no field.

This speaks short dictations into eight templates with measured, choice and text fields (and
four impressions with no field, for what the field sentences do to the rest), by
the held-out voices of ``dictation_eval.py`` (and its two tune voices, reported apart),
through the default offline path (``reporting dictate``: VAD segmenter, recall, command tail,
``DictationSession``).  Two systems on the same audio, in the same run:

* ``before``: recall from the bundled phrasebook only, field names only as heard, and a
  field's name only after a full stop (the path before these three changes, which are
  switched off for it);
* ``default``: the template's field sentences recalled too
  (:func:`reporting.asr.phrases.field_phrases`), and a measured field's name heard as
  other words before a measurement restored by sound
  (:func:`reporting.asr.fields.restore_measured_names`: "And a material thickness 8 mm."),
  and a comma or no mark where a field was said after a pause read as a full stop
  ("Findings, uterine length 9.8 cm, endometrial thickness 8 mm."), as ``build_pipeline``
  and ``DictationSession`` now do.

A field is right when its value is what was said: the number and unit of a measured field,
the choice of a choice field, and the words said for a text field (its value holds them,
ignoring case and punctuation, as formatting writes them: "3 cm").  Reported: fields right,
dictations with every field right, the WER of the text heard (each utterance through the
text pipeline) against what was said as formatting writes it ("9.8 cm"), and the time both
systems took.

With ``--live`` each dictation is replayed in real time through the TUI's live path instead
(``LiveRecognizer``: pieces committed at pauses, each final decoded again whole as a
revision), and scored twice from the same replay: revisions taken as the session takes them,
and only for utterances that dictated text and nothing else (the rule before session 31).

    .venv/bin/python benchmarks/field_eval.py [--voices held-out|tune|all] [--live]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dictation_eval import (  # noqa: E402
    HELD_OUT_VOICES,
    TUNE_VOICES,
    Clip,
    missing_requirement,
    synthesise,
    voice_label,
    wer_counts,
)

from reporting.asr import build_pipeline, commands, load_transcriber  # noqa: E402
from reporting.asr.command_tail import dictation_transcriber  # noqa: E402
from reporting.asr.formatting import format_text  # noqa: E402
from reporting.asr.phrases import bundled_phrases  # noqa: E402
from reporting.audio import ArraySource, Final, LiveRecognizer, Revision, load_audio  # noqa: E402
from reporting.dictation import DictationSession, Utterance, recognise  # noqa: E402
from reporting.templating import load_template  # noqa: E402

#: (template, what is said, {field id: the value it should hold}); a text field's value is
#: the words it should hold, a number field's "number unit", a choice field's choice
SCRIPTS: list[tuple[str, str, dict[str, str]]] = [
    (
        "us_pelvis_female",
        "Findings. Uterine length nine point eight centimeters. Endometrial thickness eight "
        "millimeters. Free fluid trace.",
        {"uterus_length": "9.8 cm", "endometrial_thickness": "8 mm",
         "free_fluid": "trace, physiologic"},
    ),
    (
        "us_pelvis_female",
        "Findings. Right ovary. There is a three centimeter simple cyst. Left ovary normal. "
        "Endometrial thickness twelve millimeters.",
        {"right_ovary": "3 cm simple cyst", "endometrial_thickness": "12 mm"},
    ),
    (
        "us_renal",
        "Findings. Right kidney length eleven point two centimeters. Left kidney length ten "
        "point eight centimeters. Post void forty milliliters.",
        {"right_kidney_length": "11.2 cm", "left_kidney_length": "10.8 cm",
         "postvoid_volume": "40 mL"},
    ),
    (
        "us_renal",
        "Findings. Left kidney. Moderate hydronephrosis without a stone. Left kidney length "
        "twelve centimeters.",
        {"left_kidney": "moderate hydronephrosis", "left_kidney_length": "12 cm"},
    ),
    (
        "us_abdomen",
        "Findings. Liver length sixteen centimeters. Common bile duct four millimeters. "
        "Gallbladder. Multiple gallstones without wall thickening.",
        {"liver_length": "16 cm", "cbd_diameter": "4 mm", "gallbladder": "multiple gallstones"},
    ),
    (
        "ct_head",
        "Findings. Hemorrhage. Acute right subdural hematoma. Midline shift six millimeters.",
        {"hemorrhage": "acute right subdural hematoma", "midline_shift": "6 mm"},
    ),
    (
        "mammo_birads",
        "Findings. Breast composition c. Mass. An irregular mass in the upper outer left "
        "breast. BI-RADS four.",
        {"breast_composition": "c. heterogeneously dense, which may obscure small masses",
         "masses": "irregular mass", "birads": "4 - suspicious"},
    ),
    (
        "mr_knee",
        "Findings. Medial meniscus. Complex tear of the posterior horn. Effusion moderate.",
        {"medial_meniscus": "complex tear of the posterior horn", "effusion": "moderate"},
    ),
    (
        "ctpa",
        "Findings. Pulmonary arteries. Filling defects in the right lower lobe segmental "
        "arteries. Right heart. Normal size.",
        {"pulmonary_arteries": "filling defects in the right lower lobe",
         "right_heart": "normal size"},
    ),
    (
        "xr_extremity",
        "Findings. Fracture. Nondisplaced fracture of the distal radius. Soft tissues. Mild "
        "swelling.",
        {"fracture": "nondisplaced fracture of the distal radius",
         "soft_tissues": "mild swelling"},
    ),
    # no field: what recalling the field sentences does to the rest of a report
    (
        "us_pelvis_female",
        "Impression. Enlarged fibroid uterus. Simple right ovarian cyst, no follow up needed.",
        {},
    ),
    ("us_renal", "Impression. Moderate left hydronephrosis. No renal calculus.", {}),
    (
        "mammo_birads",
        "Impression. Suspicious mass in the left breast. Ultrasound guided biopsy is "
        "recommended.",
        {},
    ),
    (
        "ct_head",
        "Impression. Acute right subdural hematoma with mass effect. The findings were "
        "discussed with the emergency physician.",
        {},
    ),
]  # fmt: skip

_WORDS = re.compile(r"[a-z0-9.]+")


def _words(text: str) -> str:
    return " ".join(w.strip(".") for w in _WORDS.findall(text.lower()) if w.strip("."))


def field_right(value: Any, unit: str | None, expected: str) -> bool:
    """Whether a field holding ``value`` (and ``unit``) holds what ``expected`` says."""
    if value is None:
        return False
    number = re.fullmatch(r"(-?\d+(?:\.\d+)?) (\S+)", expected)
    if number and isinstance(value, (int, float)) and not isinstance(value, bool):
        return abs(float(value) - float(number.group(1))) < 1e-9 and unit == number.group(2)
    if isinstance(value, str) and value == expected:
        return True
    return _words(expected) in _words(str(value))


@contextlib.contextmanager
def comma_fields(on: bool) -> Iterator[None]:
    """The grammar with (``on``) or without the reading of a comma, or no mark after a
    section's name, before a field said after a pause as a full stop."""
    listed, begins = commands._fields_listed, commands.Grammar.field_begins
    if not on:
        commands._fields_listed = lambda grammar, text, targets, value_targets: text  # type: ignore[assignment]
        commands.Grammar.field_begins = lambda self, *args: False  # type: ignore[method-assign]
    try:
        yield
    finally:
        commands._fields_listed, commands.Grammar.field_begins = listed, begins


def dictate(spec: Any, pipeline: Any, transcriber: Any, audio: Any) -> tuple[dict[str, Any], str]:
    """The draft's fields after dictating ``audio`` as ``reporting dictate`` does, and the
    text heard (each utterance through the text pipeline, as ``reporting transcribe`` writes
    it)."""
    session = DictationSession(spec, pipeline=pipeline)
    heard: list[str] = []
    for piece in recognise(audio, transcriber, prompt=pipeline.prompt):
        heard.append(pipeline.process(piece.transcript.text, piece.words).text)
        session.apply(
            Utterance(piece.transcript.text, piece.words, piece.audio, piece.start, piece.end)
        )
    fields = {f.id: (f.value, f.unit) for sec in session.draft.sections for f in sec.fields}
    return fields, " ".join(heard)


def dictate_live(
    spec: Any, pipeline: Any, engine: Any, audio: Any
) -> list[tuple[str, dict[str, Any], str]]:
    """The draft's fields after dictating ``audio`` through the TUI's live path, replayed in
    real time (pieces committed at pauses, each final decoded again whole as a revision with
    the template's phrasebook recalled), as (system, fields, text heard): ``live`` takes each
    revision as :meth:`DictationSession.revise` does; ``live, text-only revisions`` only where
    the final dictated text and nothing else, from the same events."""
    from reporting.tui.listen import DictationController

    # the TUI's own reviser: recall from the template's fields, phrasebook and site phrases,
    # then the command tail
    reviser = DictationController._reviser(engine, pipeline)
    live = LiveRecognizer(engine, prompt=lambda: pipeline.prompt, partial_every=1.5,
                          reviser=reviser)  # fmt: skip
    now, before = (
        DictationSession(spec, pipeline=pipeline),
        DictationSession(spec, pipeline=pipeline),
    )
    heard: dict[int, str] = {}
    text_only = False
    for event in live.run(ArraySource(audio, realtime=True).blocks()):
        if not isinstance(event, (Final, Revision)):
            continue
        utterance = Utterance.from_transcript(event.transcript)
        heard[event.utterance.index] = pipeline.process(event.transcript.text).text
        if isinstance(event, Final):
            text_only = before.apply(utterance).actions == ("dictate",)
            now.apply(utterance)
            continue
        if text_only:
            before.revise(utterance)
        now.revise(utterance)
    said = " ".join(heard[i] for i in sorted(heard))
    return [
        (name, {f.id: (f.value, f.unit) for sec in s.draft.sections for f in sec.fields}, said)
        for name, s in (("live, text-only revisions", before), ("live", now))
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", choices=("held-out", "tune", "all"), default="all")
    parser.add_argument(
        "--live",
        action="store_true",
        help="replay each dictation in real time through the TUI's live path (committed "
        "pieces, then the whole utterance decoded again as a revision) instead of the "
        "offline path; scored with revisions taken as the session takes them ('live') and "
        "only for utterances that dictated text and nothing else ('live, text-only "
        "revisions', the rule before session 31), from the same replay",
    )
    args = parser.parse_args(argv)
    problem = missing_requirement()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    groups = {"held-out": HELD_OUT_VOICES, "tune": TUNE_VOICES}
    chosen = [g for g in groups if args.voices in (g, "all")]
    engine = load_transcriber()
    folder = engine.resolved.location if engine.resolved.is_local else None
    systems: dict[str, dict[str, tuple[Any, Any]]] = {"before": {}, "default": {}}
    for template in sorted({t for t, _, _ in SCRIPTS}):
        spec = load_template(template)
        # the bundled phrasebook only (no site phrases a config.toml may name)
        pipeline = build_pipeline(spec=spec, model_folder=folder, phrases=bundled_phrases(template))
        # before: the same pipeline recalling from the bundled phrasebook alone, and no
        # measured field's name restored from other words
        plain = dataclasses.replace(pipeline, phrases=bundled_phrases(template), measured_names=())
        for name, pipe in (("before", plain), ("default", pipeline)):
            systems[name][template] = (pipe, dictation_transcriber(engine, pipe))
    # (system, voice group) -> [fields right, fields, dictations all right, dictations, seconds,
    # word errors, words]
    tally: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0, 0, 0])
    misses: dict[str, list[str]] = defaultdict(list)
    for k, (template, said, expected) in enumerate(SCRIPTS):
        spec = load_template(template)
        for group in chosen:
            for engine_name, voice, speed in groups[group]:
                clip = Clip(
                    f"field-{k}-{engine_name}-{voice}-{speed:g}",
                    said,
                    engine_name,
                    voice,
                    speed,
                    group,
                )
                audio = load_audio(synthesise(clip))
                runs: list[tuple[str, dict[str, Any], str, float]] = []
                if args.live:
                    pipe = systems["default"][template][0]
                    t0 = time.perf_counter()
                    live = dictate_live(spec, pipe, engine, audio)
                    seconds = time.perf_counter() - t0
                    runs = [(name, fields, heard, seconds) for name, fields, heard in live]
                # alternate the order, so machine load falls on both systems alike
                order = ["before", "default"] if k % 2 == 0 else ["default", "before"]
                for name in [] if args.live else order:
                    pipe, transcriber = systems[name][template]
                    t0 = time.perf_counter()
                    with comma_fields(name == "default"):
                        fields, heard = dictate(spec, pipe, transcriber, audio)
                    runs.append((name, fields, heard, time.perf_counter() - t0))
                for name, fields, heard, seconds in runs:
                    row = tally[(name, group)]
                    row[4] += seconds
                    # WER against what was said, written as formatting writes it ("9.8 cm")
                    edits, n = wer_counts(format_text(said), heard)
                    row[5] += edits
                    row[6] += n
                    right = 0
                    for fid, want in expected.items():
                        value, unit = fields[fid]
                        if field_right(value, unit, want):
                            right += 1
                        elif name in ("default", "live"):
                            misses[group].append(
                                f"{template}.{fid} ({voice_label(clip)}): {value!r} {unit or ''}"
                                f" -- said {want!r}; heard: {heard}"
                            )
                    if expected:
                        row[0] += right
                        row[1] += len(expected)
                        row[2] += right == len(expected)
                        row[3] += 1
    print(f"field_eval: {len(SCRIPTS)} dictations into {len({t for t, _, _ in SCRIPTS})} "
          f"templates, voices: {', '.join(chosen)}")  # fmt: skip
    print(
        f"{'system / voices':24} {'fields right':>16} {'dictations right':>18} {'WER':>6}"
        f" {'time s':>8}"
    )
    for (name, group), (right, total, whole, clips, seconds, edits, n) in sorted(tally.items()):
        print(
            f"{name + '/' + group:24} {right / total:6.3f} ({int(right)}/{int(total)})"
            f" {whole / clips:6.3f} ({int(whole)}/{int(clips)}) {edits / n:6.3f} {seconds:8.1f}"
        )
    for group, lines in misses.items():
        print(f"default, {group}: fields not as said")
        for line in lines:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

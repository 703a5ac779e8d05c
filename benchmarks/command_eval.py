"""Voice commands said with dictated text: do they do what the radiologist said?

A radiologist seldom pauses long enough before a command for the VAD to make it an utterance
of its own, and the recogniser then often runs it into the sentence before ("Small effusion
next field.", "The heart is normal, delete last sentence.") or mishears it.  This speaks
short dictations that mix text and commands, as a radiologist would say them after some
dictation already in the chest template, through the default offline path (``reporting
dictate``: VAD segmenter, recall), and applies what was heard to a session in the same
state as the script's.  The expected outcome is the same script applied as text.

A clip's commands are right when the same commands fire (action and go-to target), the
cursor ends in the same place and the same sections changed; a text clip (no command said)
that fires one is a false fire.  Three systems run on the same audio in the same run:

* ``before``: a command only as a whole sentence or at the start of one (the grammar before
  ``ends_sentence``, ``heard_as`` and ``anywhere``);
* ``grammar``: the same recognised text, with the default grammar (a command also at the end
  of a sentence, ``ends_sentence``; known mishearings, ``heard_as``; "scratch that" inside
  one, ``anywhere``);
* ``default``: the default grammar, and each short sentence that is not a command heard
  once more with the voice commands as the prompt (``reporting.asr.command_tail``;
  ``command_prompt`` in ``lexicons/asr_vocabulary.json``), as ``reporting dictate`` does.

The text scripts hold short sentences, the ones the last of these listens to again.

Voices: the four the command rules were looked at on while they were written (flite slt, rms
and awb, espeak en-us 175) and four others (flite kal, espeak en-gb 150, en+m3 175, en+f2
160).  The ``heard_as`` words for "undo" were read off all eight, so "undo" is not held out;
those for "redo" were read off the same eight saying "Redo." and "Redo that." alone.

    .venv/bin/python benchmarks/command_eval.py [--voices tuned|other|all]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dictation_eval import Clip, missing_requirement, synthesise, voice_label  # noqa: E402

from reporting.asr import build_pipeline, load_transcriber  # noqa: E402
from reporting.asr.command_tail import CommandTail  # noqa: E402
from reporting.asr.commands import Grammar, load_grammar  # noqa: E402
from reporting.asr.phrases import phrasebook_for  # noqa: E402
from reporting.asr.recall import RecallingTranscriber  # noqa: E402
from reporting.audio import load_audio  # noqa: E402
from reporting.dictation import DictationSession, Utterance, recognise  # noqa: E402
from reporting.templating import load_template  # noqa: E402

TEMPLATE = "chest_xr"
SETUP = ("Go to findings.", "The lungs are clear.")
#: (what was dictated before, as text; what is said in the clip)
SCRIPTS: list[tuple[tuple[str, ...], str]] = [
    ((), "Mild cardiomegaly. Next field."),
    ((), "No pneumothorax. Go to impression."),
    ((), "Go to impression. No acute cardiopulmonary disease."),
    ((), "Small left pleural effusion. Scratch that. Moderate left pleural effusion."),
    ((), "The heart size is normal. Delete last sentence."),
    ((), "Moderate right pleural effusion. Scratch that."),
    ((), "The heart is normal. Undo."),
    (("Small pleural effusion.",), "Undo."),
    (("Small pleural effusion.",), "Undo that."),
    (("Small pleural effusion.",), "Delete last sentence."),
    ((), "Next field."),
    ((), "Previous field."),
    ((), "Insert normal."),
    ((), "Go to history. Cough and fever."),
    ((), "Impression. Stable chest."),
    ((), "No change from the previous examination."),
    ((), "The cardiomediastinal silhouette is normal in size and contour."),
    ((), "Degenerative changes of the spine. No acute bony abnormality."),
    ((), "The lungs are clear. No effusion."),
    ((), "Stable chest."),
    ((), "Heart size is normal. No pneumothorax."),
    ((), "Minimal left basilar atelectasis. Otherwise normal."),
    ((), "Low lung volumes. No focal consolidation."),
    ((), "No interval change."),
    (("Small pleural effusion.", "Undo."), "Redo."),
    (("Small pleural effusion.", "Undo."), "Redo that."),
]
TUNED = [("flite", "slt", 1.0), ("flite", "rms", 0.95), ("flite", "awb", 1.1),
         ("espeak", "en-us", 175.0)]  # fmt: skip
OTHER = [("flite", "kal", 1.0), ("espeak", "en-gb", 150.0), ("espeak", "en+m3", 175.0),
            ("espeak", "en+f2", 160.0)]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a clip did: the commands that fired, where the cursor ended, what changed."""

    commands: tuple[str, ...]
    place: tuple[str, str | None]
    changed: frozenset[str]
    text: str


def outcome(
    spec: Any, grammar: Grammar, pipeline: Any, before: tuple[str, ...], said: list[Any]
) -> Outcome:
    """Apply ``before`` (text) and then ``said`` (utterances) to a new chest session."""
    session = DictationSession(spec, commands=grammar, pipeline=pipeline)
    for text in (*SETUP, *before):
        session.apply(text)
    start = session.draft
    fired: list[str] = []
    for utterance in said:
        change = session.apply(utterance)
        for action in change.actions:
            if action != "dictate":
                target = change.stop.section if action == "go_to" else ""
                fired.append(f"{action}:{target}" if target else action)
    end = session.draft
    changed = frozenset(
        s.name
        for s in end.sections
        if (start.section(s.name) is None or start.section(s.name).text != s.text)  # type: ignore[union-attr]
    )
    place = (session.current_section, session.current_field)
    return Outcome(tuple(fired), place, changed, end.text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voices", choices=("tuned", "other", "all"), default="all")
    args = parser.parse_args(argv)
    if missing := missing_requirement():
        print(f"command_eval: skipped: {missing}")
        return 0
    voices = {"tuned": TUNED, "other": OTHER, "all": TUNED + OTHER}[args.voices]
    spec = load_template(TEMPLATE)
    transcriber = load_transcriber()
    pipeline = build_pipeline(
        spec=spec, model_folder=transcriber.resolved.location, phrases=phrasebook_for(TEMPLATE)
    )
    default = load_grammar()
    whole = dataclasses.replace(default, trailing=frozenset(), heard_as={}, anywhere=frozenset())
    systems = {"before": (False, whole), "grammar": (False, default), "default": (True, default)}
    recalling = RecallingTranscriber.for_pipeline(transcriber, pipeline)
    tail = CommandTail.for_pipeline(recalling, pipeline)
    assert isinstance(tail, CommandTail)
    # right / clips, by system and voice group; false fires / text clips
    right: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    false: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    seconds = [0.0, 0.0]  # recognising, listening again
    for engine, voice, speed in voices:
        group = "tuned" if (engine, voice, speed) in TUNED else "other"
        for k, (before, script) in enumerate(SCRIPTS):
            clip = Clip(f"cmd-{k}-{engine}-{voice}-{speed:g}", script, engine, voice, speed, group)
            audio = load_audio(synthesise(clip))
            started = time.perf_counter()
            pieces = recognise(audio, recalling, prompt=pipeline.prompt)
            seconds[0] += time.perf_counter() - started
            heard: dict[bool, list[Any]] = {False: [], True: []}
            for p in pieces:
                started = time.perf_counter()
                again = tail.listen(p.audio, p.transcript)  # as CommandTail.transcribe does
                seconds[1] += time.perf_counter() - started
                for listened, transcript in ((False, p.transcript), (True, again)):
                    words = tuple(
                        dataclasses.replace(w, start=w.start + p.start, end=w.end + p.start)
                        for w in transcript.words
                    )
                    heard[listened].append(Utterance(transcript.text, words, None, p.start, p.end))
            marks = []
            for name, (listened, grammar) in systems.items():
                expected = outcome(spec, grammar, pipeline, before, [Utterance(script)])
                got = outcome(spec, grammar, pipeline, before, heard[listened])
                ok = (got.commands, got.place, got.changed) == (
                    expected.commands,
                    expected.place,
                    expected.changed,
                )
                if expected.commands:
                    for key in ((name, group), (name, voice_label(clip)), (name, "all")):
                        right[key][0] += ok
                        right[key][1] += 1
                else:
                    false[name][0] += bool(got.commands)
                    false[name][1] += 1
                marks.append(("ok " if ok else "XX ") + ",".join(got.commands))
            shown = " | ".join(u.text for u in heard[True])
            print(f"  {clip.key:28s} {' / '.join(marks):72s} heard: {shown}", flush=True)
    print(f"\ncommand_eval: {len(SCRIPTS)} scripts x {len(voices)} voices, default path (recall)")
    print("clips with a command said, done right (before / grammar / default):")
    for group in sorted({g for _, g in right}):
        cells = [right[(name, group)] for name in systems]
        shown = "  ".join(f"{ok:>3d}/{n:<3d} {ok / max(1, n):.2f}" for ok, n in cells)
        print(f"  {group:22s} {shown}")
    for name, (fired, n) in false.items():
        print(f"{name:16s} false fires on text clips: {fired}/{n}")
    print(f"recognition {seconds[0]:.1f} s, listening again {seconds[1]:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

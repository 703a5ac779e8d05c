"""Dictation into a template: a UI-free state machine with a crash-safe journal.

``DictationSession(spec)`` starts from ``templating.new_draft(spec, ...)`` and applies final
utterances: voice commands move between the template's stops (each section, then its fields)
or edit the text; everything else is corrected, formatted and dictated into the current
section or field.  A new session starts on the findings section, where the TUI puts the cursor
too (the examination line comes from the order), or on the first stop of a template without one.  The first dictation into a section or field replaces its template default;
later dictation appends.  Prose dictated into a section clears the defaults of its fields that
were not dictated (the prose replaces the normal template).

Every applied utterance is appended to a JSONL journal (file mode 0600, fsync per entry) with
the resulting state, the words with their timings and probabilities, and the utterance's audio
as a WAV file beside the journal.  :meth:`DictationSession.recover` rebuilds the draft from
the journal after a crash, losing at most the utterance that was being written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from reporting.asr.commands import (
    Command,
    Grammar,
    Part,
    ValueTest,
    load_grammar,
    normalise,
    split_commands,
)
from reporting.asr.correction import Correction
from reporting.asr.fields import (
    MEASURE_WORDS,
    measured_fields,
    restore_measured_names,
    restore_names_said_alone,
    said_value,
    spoken_targets,
    starts_with_measurement,
    value_of,
)
from reporting.asr.formatting import (
    append_text,
    end_with_mark,
    ends_sentence,
    has_spoken_punctuation,
    leading_mark,
    spaced,
)
from reporting.asr.processing import Flag, TextPipeline, build_pipeline
from reporting.asr.sides import SIDE_WORDS
from reporting.asr.types import Transcript, Word
from reporting.errors import DictationError, ReportingError
from reporting.model import FieldScalar, FieldValue, Issue, Report, Section, Severity, Span
from reporting.records import from_record, to_record

__all__ = ["Utterance", "Change", "Stop", "DictationSession", "LOW_CONFIDENCE"]

log = logging.getLogger(__name__)

LOW_CONFIDENCE = "asr.low_confidence"
_JOURNAL_VERSION = 1


@dataclass(frozen=True)
class Utterance:
    """A final utterance: recogniser text, its words, and optionally its audio (16 kHz)."""

    text: str
    words: tuple[Word, ...] = ()
    audio: np.ndarray | None = field(default=None, repr=False, compare=False)
    start: float = 0.0
    end: float = 0.0

    @classmethod
    def from_transcript(
        cls, transcript: Transcript, *, audio: np.ndarray | None = None, start: float = 0.0
    ) -> Utterance:
        return cls(
            transcript.text, tuple(transcript.words), audio, start, start + transcript.duration
        )


@dataclass(frozen=True, slots=True)
class Stop:
    """A place dictation can go: a section's prose (``field`` None) or one of its fields."""

    section: str
    field: str | None = None

    @property
    def key(self) -> str:
        return f"field:{self.field}" if self.field else f"section:{self.section}"


@dataclass(frozen=True)
class Change:
    """What one utterance did: ``actions`` in order (``dictate``, ``next_field`` ...)."""

    seq: int
    actions: tuple[str, ...]
    text: str
    stop: Stop
    draft: Report = field(repr=False)
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class _State:
    texts: dict[str, str]
    fields: dict[str, FieldScalar]
    touched: frozenset[str]
    position: int
    flags: tuple[
        tuple[str, int, int, str, float, str], ...
    ] = ()  # (stop key, start, end, word, p, reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "texts": self.texts,
            "fields": self.fields,
            "touched": sorted(self.touched),
            "position": self.position,
            "flags": [list(f) for f in self.flags],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _State:
        return cls(
            {str(k): str(v) for k, v in data["texts"].items()},
            dict(data["fields"]),
            frozenset(data.get("touched", ())),
            int(data["position"]),
            tuple(
                (str(a), int(b), int(c), str(d), float(e), str(f))
                for a, b, c, d, e, f in data.get("flags", ())
            ),
        )


def _drop_last_sentence(text: str) -> str:
    """``text`` without its last sentence: cut after the last full stop, question mark or line
    break before its end that ends a sentence ("e.g." and "p.m. today" do not)."""
    stripped = text.rstrip()
    for m in reversed(list(_SENTENCE_END.finditer(stripped, 0, len(stripped) - 1))):
        if m.group(0)[0] != "." or ends_sentence(stripped, m.start()):
            return stripped[: m.start() + 1].rstrip()
    return ""


_SENTENCE_END = re.compile(r"[.?!](?=\s)|\n")


def _bare_word(word: str) -> str:
    return re.sub(r"[^a-z]", "", word.lower())


def _no_doubts(said: str) -> list[Flag]:
    return []


#: the flag on a number field's value taken from text dictated elsewhere ("... midline shift
#: 6 mm." in the hemorrhage field): below the doubtful-word threshold, so it is confirmed
TAKEN_FROM_TEXT_PROBABILITY = 0.4

#: the probability a measured field's name restored from other words keeps at most: what is
#: said after it is flagged for the radiologist to confirm it belongs in that field
RESTORED_NAME_PROBABILITY = 0.5


def _guessed_name(
    command: Command, named: Sequence[Correction], words: Sequence[Word]
) -> Callable[[str], list[Flag]] | None:
    """For a go-to by a measured field's name that was restored from other words, the flag
    over what is said after it: the least sure of the heard words, at most even odds."""
    if command.action != "go_to":
        return None
    spoken = normalise(command.spoken)
    restored = next((c for c in named if normalise(c.written) == spoken), None)
    if restored is None:
        return None
    heard = set(normalise(restored.heard).split())
    sure = [w.probability for w in words if normalise(w.word) in heard]
    p = min([RESTORED_NAME_PROBABILITY, *sure])
    return lambda said: [Flag(0, len(said), said, p, "field")]


def _percent(probability: float) -> str:
    """A probability as the radiologist reads it: "12%", and "under 1%" rather than "0%"."""
    return "under 1%" if probability < 0.005 else f"{probability:.0%}"


def _unpaused(said: str) -> list[Flag]:
    """The flag over what is said after a field's name heard inside a sentence with no
    pause before it ("... hematoma midline shift 6 mm."): confirm it belongs there."""
    return [Flag(0, len(said), said, TAKEN_FROM_TEXT_PROBABILITY, "unpaused")]


#: what an utterance may have done for a better hearing of it to take its place: dictate and
#: move the cursor, which a second run from the state before it does again exactly.  Not
#: undo, scratch that or delete last sentence, which reach back into earlier utterances.
_REVISABLE = frozenset({"dictate", "go_to", "next_field", "previous_field"})


def _revisable(actions: Sequence[str]) -> bool:
    return bool(actions) and "dictate" in actions and set(actions) <= _REVISABLE


def _replay_undo_steps(history: list[_State], before: _State, after: _State, depth: Any) -> None:
    """The undo steps after a journaled utterance took the draft from ``before`` to ``after``
    and left ``depth`` of them: one more is ``before`` (a change), fewer were taken back
    ("undo").  A journal written before the depth was kept counts each change as a step."""
    if depth is None:
        if after != before:
            history.append(before)
        return
    depth = int(depth)
    if depth == len(history) + 1:
        history.append(before)
    elif 0 <= depth <= len(history):
        del history[depth:]
    else:
        raise ValueError(f"{depth} undo steps after {len(history)}")


def _edits(before: _State, after: _State) -> bool:
    """Whether a step changed the report's text or values (not only where the cursor is)."""
    return before.texts != after.texts or before.fields != after.fields


def _gives_value(fspec: Any, meant: Callable[[str], str], text: str) -> bool:
    """Whether ``text`` (as heard: ``meant`` writes its known mis-hearings as meant) gives
    field ``fspec`` a value."""
    return value_of(fspec, meant(text)) is not None


def _measurement_meant(meant: Callable[[str], str], text: str) -> bool:
    """Whether ``text`` begins with a measurement once ``meant`` has written its known
    mis-hearings as meant ("well millimeters" -> "twelve millimeters")."""
    return starts_with_measurement(meant(text))


#: the first sentence or clause of dictated text and the blanks after it, when more follows
_FIRST_SENTENCE = re.compile(r"\s*(?P<first>.*?[.!?,;])\s+(?=\S)", re.DOTALL)


class DictationSession:
    """Applies utterances to a draft report built from template ``spec``."""

    def __init__(
        self,
        spec: Any,
        *,
        report: Report | None = None,
        journal: str | os.PathLike[str] | None = None,
        commands: Grammar | None = None,
        pipeline: TextPipeline | None = None,
        context: dict[str, Any] | None = None,
        keep_audio: bool = True,
        _resume: tuple[Report, list[_State], int] | None = None,
    ) -> None:
        from reporting.templating import new_draft

        self.spec = spec
        self.grammar = commands or load_grammar()
        self.pipeline = pipeline or build_pipeline(spec=spec)
        self.keep_audio = keep_audio
        self._listeners: list[Callable[[Change], None]] = []
        self._stops = self._build_stops()
        self._targets = self._build_targets()
        self._measured = self._build_measured()
        self._named_measures = self._build_named_measures()
        #: the targets of fields, each with a test of whether text gives it a value: said
        #: before one, such a target is a header ("Right kidney length 11.2 cm.", "Spleen 11
        #: cm."); before a comma too when the field takes a number, a choice or yes/no
        self._value_targets: dict[str, Callable[[str], bool]] = {}
        #: the same while a field is being filled: a text field's name is a header before a
        #: word that says how it is too ("Left ovary normal."); in a section's prose, "Lungs
        #: clear." stays a sentence where it was said
        self._value_targets_in_field: dict[str, Callable[[str], bool]] = {}
        # the grammar reads commands before the corrector runs: a value is read as it will be
        # written ("endometrial thickness, well millimeters" is a field and its 12 mm)
        meant = self.pipeline.corrector.apply_known
        measurement = functools.partial(_measurement_meant, meant)
        for name, i in self._targets.items():
            stop = self._stops[i]
            fspec = self.spec.section(stop.section).field(stop.field) if stop.field else None
            if fspec is None:
                continue
            if fspec.type != "text":
                gives = functools.partial(_gives_value, fspec, meant)
                measured = measurement if fspec.type == "number" else None
                test = ValueTest(gives, section=stop.section, field=stop.field, measured=measured)
                self._value_targets[name] = self._value_targets_in_field[name] = test
            else:  # "Spleen 11 cm.": a text field's name before a measurement
                test = ValueTest(measurement, comma=False, section=stop.section, field=stop.field)
                self._value_targets[name] = test
                self._value_targets_in_field[name] = dataclasses.replace(test, described=True)
        #: the fields' names (labels, triggers), as a header said alone is restored to one
        self._field_names = tuple(n for n, i in self._targets.items() if self._stops[i].field)
        self._macros = frozenset(normalise(k) for k in getattr(spec, "normal_macros", {}) or {})
        if _resume is not None:
            self._base, history, self._seq = _resume
            self._history = history[:-1]
            self._state = history[-1]
        else:
            self._base = report if report is not None else new_draft(spec, **(context or {}))
            self._history = []
            self._state = self._initial_state(self._base)
            self._seq = 0
        #: what the last "undo"s took back, the latest last: "redo" puts it back.  Any new
        #: change of the report's text or values clears it, as in an editor.  Journaled with
        #: each utterance while it holds anything, so a recovered session can still redo
        self._redo: list[_State] = []
        # the last utterance (number self._seq), when it dictated text and at most moved the
        # cursor (:func:`_revisable`): (state before, state after, audio file, what there was
        # to redo before it) -- what :meth:`revise` may replace
        self._last: tuple[_State, _State, str | None, list[_State]] | None = None
        #: the last dictated text was said with its punctuation ("... period"): its full stop
        #: is the speaker's, and no list is joined across it
        self._punctuated = False
        self._punctuated_before_last = False  # as it was before the last utterance
        self.journal = Path(journal) if journal is not None else None
        if self.journal is not None and _resume is None:
            if self.journal.exists() and self.journal.stat().st_size > 0:
                raise DictationError(
                    f"{self.journal}: journal already exists; recover it or choose a new file"
                )
            self._append(
                {
                    "type": "start",
                    "v": _JOURNAL_VERSION,
                    "template": spec.id,
                    "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "report": to_record(self._base),
                    "state": self._state.to_json(),
                }
            )

    # ------------------------------------------------------------------ structure
    def _build_stops(self) -> list[Stop]:
        stops: list[Stop] = []
        for sec in self.spec.sections:
            stops.append(Stop(sec.name))
            stops.extend(Stop(sec.name, f.id) for f in sec.fields)
        if not stops:
            raise DictationError(f"template {self.spec.id!r} has no sections to dictate into")
        return stops

    def _build_measured(self) -> dict[int, int]:
        """Each text field's stop -> the stop of the number field of its section whose name
        goes on from its name ("Right kidney" -> "Right kidney length"): a measurement said
        into the first is the second's value ("Right kidney 11 cm.")."""
        out: dict[int, int] = {}
        for i, stop in enumerate(self._stops):
            if stop.field is None:
                continue
            sec = self.spec.section(stop.section)
            fspec = sec.field(stop.field)
            if fspec.type != "text":
                continue
            names = {normalise(n) for n in (fspec.label, fspec.trigger or "") if n}
            for j, other in enumerate(self._stops):
                ospec = sec.field(other.field) if other.section == stop.section else None
                if ospec is None or ospec.type != "number":
                    continue
                longer = {normalise(n) for n in (ospec.label, ospec.trigger or "") if n}
                if any(o.startswith(f"{n} ") for n in names for o in longer):
                    out[i] = j
                    break
        return out

    def _build_named_measures(self) -> list[tuple[re.Pattern[str], Any]]:
        """For each number field with a unit: a pattern of its name (trigger or label) and a
        measurement right after it ("midline shift 6 mm", "midline shift of 6 mm"), with the
        field's spec."""
        out: list[tuple[re.Pattern[str], Any]] = []
        for fspec, names in measured_fields(self.spec):
            body = "|".join(spaced(n) for n in names)
            pattern = re.compile(
                rf"\b(?:{body})\s+(?:(?:{'|'.join(MEASURE_WORDS)})\s+)*"
                r"(?P<value>\d+(?:\.\d+)?\s?[A-Za-z]+)\b",
                re.IGNORECASE,
            )
            out.append((pattern, fspec))
        return out

    def _build_targets(self) -> dict[str, int]:
        targets: dict[str, int] = {}
        index = {(stop.section, stop.field): i for i, stop in enumerate(self._stops)}
        for name, section, field_id in spoken_targets(self.spec):
            targets.setdefault(name, index[section, field_id])
        for word, section in self.grammar.section_words.items():
            idx = next(
                (i for i, s in enumerate(self._stops) if s.section == section and s.field is None),
                None,
            )
            if idx is not None:
                targets.setdefault(word, idx)
        return targets

    def _initial_state(self, report: Report) -> _State:
        texts: dict[str, str] = {}
        fields: dict[str, FieldScalar] = {}
        for sspec in self.spec.sections:
            sec = report.section(sspec.name)
            for fspec in sspec.fields:
                current = sec.field(fspec.id) if sec is not None else None
                fields[fspec.id] = current.value if current is not None else fspec.default
            if sec is None:
                texts[sspec.name] = sspec.normal
                continue
            prose = sec.text
            for fspec in sspec.fields:  # strip the rendered field lines, keep the prose
                from reporting.templating import field_line

                line = field_line(fspec, FieldValue(fspec.id, fields[fspec.id], fspec.unit))
                if line and prose.endswith(line):
                    prose = prose[: -len(line)].rstrip("\n")
                elif line:
                    prose = prose.replace(line + "\n", "", 1).replace(line, "", 1)
            texts[sspec.name] = prose.strip("\n")
        start = next((i for i, s in enumerate(self._stops) if s == Stop("findings")), 0)
        return _State(texts, fields, frozenset(), start)

    # ------------------------------------------------------------------ views
    @property
    def current_stop(self) -> Stop:
        return self._stops[self._state.position]

    @property
    def current_section(self) -> str:
        return self.current_stop.section

    @property
    def current_field(self) -> str | None:
        return self.current_stop.field

    @property
    def stops(self) -> tuple[Stop, ...]:
        return tuple(self._stops)

    def move_to(self, section: str, field: str | None = None) -> Stop:
        """Put the dictation cursor on ``section`` (or one of its fields), e.g. where the user
        clicked; journaled so a recovered session resumes there.  Not an undoable change."""
        stop = Stop(section, field)
        if stop not in self._stops:
            raise DictationError(
                f"template {self.spec.id!r} has no place {stop.key!r} to dictate into"
            )
        index = self._stops.index(stop)
        if index != self._state.position:
            self._state = dataclasses.replace(self._state, position=index)
            self._append({"type": "move", "seq": self._seq, "state": self._state.to_json()})
        return stop

    def subscribe(self, listener: Callable[[Change], None]) -> None:
        """Call ``listener(change)`` after every applied utterance (UI updates)."""
        self._listeners.append(listener)

    def _section_layout(self, state: _State) -> list[tuple[Section, dict[str, int]]]:
        out = []
        from reporting.templating import field_line

        for sspec in self.spec.sections:
            prose = state.texts.get(sspec.name, "")
            values = tuple(
                FieldValue(f.id, state.fields.get(f.id), f.unit if f.type == "number" else None)
                for f in sspec.fields
            )
            parts = [prose] if prose.strip() else []
            offsets: dict[str, int] = {f"section:{sspec.name}": 0}
            pos = len(prose) + 1 if parts else 0
            for fspec, value in zip(sspec.fields, values, strict=True):
                line = field_line(fspec, value)
                if line:
                    offsets[f"field:{fspec.id}"] = pos + len(line) - len(value.display())
                    parts.append(line)
                    pos += len(line) + 1
            base = self._base.section(sspec.name)
            out.append(
                (
                    Section(
                        name=sspec.name,
                        title=sspec.title,
                        code=getattr(sspec, "code", None) or (base.code if base else None),
                        text="\n".join(parts),
                        fields=values,
                    ),
                    offsets,
                )
            )
        return out

    def _draft_of(self, state: _State) -> Report:
        layout = self._section_layout(state)
        return self._base.with_sections([s for s, _ in layout])

    @property
    def draft(self) -> Report:
        return self._draft_of(self._state)

    @property
    def issues(self) -> list[Issue]:
        """``asr.low_confidence`` warnings with spans into :attr:`draft`'s text."""
        draft = self.draft
        layout = {s.name: offsets for s, offsets in self._section_layout(self._state)}
        out: list[Issue] = []
        for key, start, end, word, prob, reason in self._state.flags:
            stop = self._stop_for_key(key)
            if stop is None:
                continue
            sec = draft.section(stop.section)
            offset = layout.get(stop.section, {}).get(key)
            if sec is None or sec.start is None or offset is None:
                continue
            a, b = sec.start + offset + start, sec.start + offset + end
            if draft.text[a:b] != word:
                continue
            what = {
                "side": "the side",
                "negation": "the negation",
                "number": "the number",
                "unit": "the unit",
            }.get(reason, "this word")
            if what in ("this word", "the negation") and any(c.isdigit() for c in word):
                # a doubtful "minus" in "-10"; "number", or Whisper's "No.", in "1."
                what = "the number"
            fspec = self.spec.section(stop.section).field(stop.field) if stop.field else None
            name = fspec.label if fspec is not None else sec.title
            if reason == "field":
                message = (
                    f"please confirm that '{word}' belongs in '{name}': the recogniser was only "
                    f"{_percent(prob)} sure of the field's name"
                )
            elif reason == "from_text":
                message = (
                    f"please confirm '{word}' in '{name}': it was taken from the text dictated "
                    "with the field's name, not said into the field"
                )
            elif reason == "unpaused":
                message = (
                    f"please confirm that '{word}' belongs in '{name}': the field's name was "
                    "heard inside the sentence before it, with no pause"
                )
            elif reason == "guessed_number":
                message = (
                    f"please confirm the number '{word}': it was written for a word heard "
                    "before its unit ('free centimeters' read as 'three centimeters')"
                )
            elif reason == "opposite":
                message = (
                    f"please confirm '{word}': the recogniser heard words of the opposite "
                    "meaning that reports seldom say ('a regular mass'), rewritten as "
                    "reports say them"
                )
            elif reason == "joined_list":
                message = (
                    f"please confirm that '{word}' is negated too: the recogniser wrote the "
                    "pause before it as a full stop, and it was joined back to the 'No ...' "
                    "list before it"
                )
            else:
                why = (
                    "it is neither an English word nor a radiology term"
                    if reason == "made_up"
                    else "it is a word not found in any report text we know"
                    if reason == "unfamiliar"
                    else f"the recogniser was only {_percent(prob)} sure"
                )
                message = f"please confirm {what} '{word}': {why}"
                if reason == "sensitive" and what == "this word":  # "-10": the number
                    # "Increasing" for "Decreasing", "hyperinflation" for "hypoinflation",
                    # "new" / "old"
                    message = (
                        f"please confirm '{word}': a mis-hearing here would change the "
                        f"meaning ({why})"
                    )
                if reason == "side" and _bare_word(word) not in SIDE_WORDS:
                    # a word that sounds like a side, or may have swallowed one ("Heart size",
                    # "deform type ribs" for "deformed right ribs")
                    message = (
                        f"please confirm '{word}': a side may be misheard or lost here ({why})"
                    )
            out.append(
                Issue(
                    code=LOW_CONFIDENCE,
                    severity=Severity.WARNING,
                    message=message,
                    start=a,
                    end=b,
                    section=stop.section,
                    evidence=(Span(a, b, word, reason),),
                )
            )
        return out

    def _stop_for_key(self, key: str) -> Stop | None:
        return next((s for s in self._stops if s.key == key), None)

    # ------------------------------------------------------------------ applying utterances
    def apply(self, utterance: Utterance | Transcript | str) -> Change:
        """Apply one final utterance; journal it; return what changed."""
        if isinstance(utterance, str):
            utterance = Utterance(utterance)
        elif isinstance(utterance, Transcript):
            utterance = Utterance.from_transcript(utterance)
        before, redo = self._state, list(self._redo)
        self._punctuated_before_last = self._punctuated
        actions, dictated, new_flags = self._run(utterance)
        self._seq += 1
        audio_name = self._save_audio(utterance)
        self._last = (before, self._state, audio_name, redo) if _revisable(actions) else None
        self._journal_utterance(self._seq, actions, utterance, audio_name, self._state)
        return self._changed(actions, dictated, new_flags)

    def _run(self, utterance: Utterance) -> tuple[list[str], list[str], list[Flag]]:
        """Apply the utterance's commands and text to the draft (and the undo history); the
        actions taken, the texts dictated and their doubtful words."""
        before = self._state
        actions: list[str] = []
        dictated: list[str] = []
        new_flags: list[Flag] = []
        state = before
        # the state this utterance's changes start from: the draft as it found it, or what
        # an "undo" at its start went back to ("Undo. Moderate effusion.")
        base = before
        steps: list[_State] = []  # this utterance's changes so far, for an "undo" inside it
        # the doubt a go-to's own words leave on the text said after it
        doubts: Callable[[str], list[Flag]] = _no_doubts
        # a measured field's name heard as other words ("And a material thickness 8 mm."):
        # restored before the grammar reads the go-to, and what it takes is flagged
        text, named = restore_measured_names(
            utterance.text,
            self.pipeline.measured_names,
            self.pipeline.corrector.key,
            numbered=self.pipeline.numbered_names,
        )
        # a field's name said alone and heard as other words ("Bright ovary.")
        text, alone = restore_names_said_alone(text, self._field_names, self.pipeline.corrector.key)
        named = [*named, *alone]
        for part in self._parts(text):
            if part.command is not None:
                if part.command.action == "undo":
                    actions.append("undo")
                    if steps:  # "... mildly enlarged. Undo." takes back what it just said
                        self._redo.append(state)
                        state = steps.pop()
                    elif self._history:  # the last change before this utterance
                        self._redo.append(state)
                        state = base = self._history.pop()
                    continue
                if part.command.action == "redo":
                    actions.append("redo")
                    if self._redo:  # what the last "undo" took back
                        steps.append(state)
                        state = self._redo.pop()
                    continue
                changed = self._command(state, part.command, before)
                if changed is not state:
                    steps.append(state)
                    if _edits(state, changed):
                        self._redo.clear()  # a new change: what was undone stays undone
                state = changed
                actions.append(part.command.action)
                doubts = self._target_doubts(part.command, state, utterance.words)
                guessed = _guessed_name(part.command, named, utterance.words)
                if guessed is not None:
                    doubts = guessed
                elif part.command.unpaused:
                    doubts = _unpaused
            elif part.text.strip():
                processed = self.pipeline.process(part.text, utterance.words)
                # "new paragraph" said on its own is a break and nothing else
                if processed.text.strip() or "\n" in processed.text:
                    # a list the recogniser's pause cut between two utterances is joined too
                    punctuated = has_spoken_punctuation(part.text)
                    joins = not (punctuated or self._punctuated)
                    said = processed.text
                    dictated_state, flags = self._dictate(
                        state, said, [*processed.flags, *doubts(said)], joins
                    )
                    doubts = _no_doubts
                    if dictated_state is state:
                        continue  # a mark or a break with nothing before it
                    steps.append(state)
                    state = dictated_state
                    self._redo.clear()
                    self._punctuated = punctuated
                    actions.append("dictate")
                    dictated.append(processed.text)
                    new_flags.extend(flags)
        if state is not base:
            self._history.append(base)
        self._state = state
        return actions, dictated, new_flags

    def _target_doubts(
        self, command: Command, state: _State, words: Sequence[Word]
    ) -> Callable[[str], list[Flag]]:
        """For a go-to that reached a field by its name, the flags to put over what is said
        after it in the same breath: a doubtful word of the name chose the field ("Left
        kidney length 10.5 cm." with "Left" at 40% may be the right kidney's value)."""
        if command.action != "go_to" or self._stops[state.position].field is None:
            return _no_doubts
        # the name as the grammar read it ("bi rads" for "BI-RADS"), and its words so written
        said = [dataclasses.replace(w, word=normalise(w.word)) for w in words]
        heard = self.pipeline.process(command.spoken, said).flags
        if not heard:
            return _no_doubts
        doubt = min(heard, key=lambda f: f.probability)
        reason = "side" if doubt.reason == "side" else "field"
        return lambda said: [Flag(0, len(said), said, doubt.probability, reason)]

    def _changed(self, actions: list[str], dictated: list[str], flags: list[Flag]) -> Change:
        """The :class:`Change` of the last utterance, announced to the listeners."""
        change = Change(
            self._seq,
            tuple(actions),
            " ".join(dictated),
            self.current_stop,
            self.draft,
            tuple(flags),
        )
        self._announce(change)
        return change

    def revise(self, utterance: Utterance | Transcript) -> Change | None:
        """Replace the last utterance with a better hearing of the same audio (the live
        recogniser's :class:`~reporting.audio.Revision`), as if it had been heard so at
        first: its text, and its commands when the better hearing holds some that the first
        missed ("The heart is normal and do." heard again as "... normal. Undo.").  Only when
        that utterance dictated text, with or without moves of the cursor ("Findings. Medial
        meniscus. Complex tear ..."), and nothing else, and nothing has changed since (no
        utterance, command, cursor move or new session after typing); otherwise ``None`` and
        the draft stays as it is.  Journaled in the utterance's place; not an undo step of
        its own (undo still takes back the whole utterance)."""
        if isinstance(utterance, Transcript):
            utterance = Utterance.from_transcript(utterance)
        last = self._last
        if last is None or last[1] is not self._state:
            return None
        before, _, audio_name, redo = last
        state, history, redone = self._state, list(self._history), self._redo
        if self._history and self._history[-1] is before:
            self._history.pop()  # the first hearing's undo step: the new one takes its place
        self._state, self._redo = before, list(redo)
        punctuated, self._punctuated = self._punctuated, self._punctuated_before_last
        actions, dictated, flags = self._run(utterance)
        if not actions:  # nothing heard this time: keep the first hearing
            self._state, self._history, self._punctuated = state, history, punctuated
            self._redo = redone
            return None
        self._last = (before, self._state, audio_name, redo) if _revisable(actions) else None
        seq = self._seq
        self._journal_utterance(seq, actions, utterance, audio_name, self._state, revises=seq)
        return self._changed(actions, dictated, flags)

    def _parts(self, text: str) -> list[Part]:
        """``text`` split into voice commands and dictated text (as said at the cursor)."""
        return split_commands(
            self.grammar,
            text,
            targets=frozenset(self._targets),
            macros=self._macros,
            value_targets=self._value_targets,
            respell=self._respell,
            filling=self._value_targets_in_field,
            in_field=self._stops[self._state.position].field is not None,
            current_field=self._stops[self._state.position].field,
        )

    def _respell(self, sentence: str) -> str:
        return self.pipeline.corrector.correct(sentence)[0]

    def _announce(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    def apply_text(self, text: str) -> Change:
        """Apply typed or scripted text as if it had been said."""
        return self.apply(Utterance(text))

    def _dictate(
        self, state: _State, text: str, flags: Sequence[Flag], joins: bool = False
    ) -> tuple[_State, Sequence[Flag]]:
        """``state`` with ``text`` (and its ``flags``) added at the cursor, and the flags kept
        for it (spans into ``text``; none when a field took a number or a choice).  ``joins``:
        when the text before ends with a one-finding negation and ``text`` is the rest of its
        list ("No airspace disease." + "Effusion or noncalcified nodule."), the pause between
        the two utterances is made a comma again (see :mod:`reporting.asr.lists`)."""
        stop = self._stops[state.position]
        measured = self._measured.get(state.position)
        if measured is not None:
            mspec = self.spec.section(stop.section).field(self._stops[measured].field or "")
            first = _FIRST_SENTENCE.match(text)
            start, cut = (first.start("first"), first.end()) if first else (0, len(text))
            said = text[start:cut].rstrip()
            if value_of(mspec, said) is not None:  # "Right kidney 11 cm.": its length
                there = dataclasses.replace(state, position=measured)
                own = [f.moved(-start) for f in flags if start <= f.start < cut]
                done, taken = self._dictate(there, said, own)
                done = dataclasses.replace(done, position=state.position)
                if not text[cut:].strip():
                    return done, taken
                # "Left kidney: 10.5 cm. Simple cyst.": the sentences after the length are
                # about the organ
                moved = [f.moved(-cut) for f in flags if f.start >= cut]
                rest = text[cut:]
                if said.endswith((",", ";")):  # "10.5 cm, simple cyst": a sentence of its own
                    rest = rest[:1].upper() + rest[1:]
                done, more = self._dictate(done, rest, moved, joins)
                return done, [*taken, *more]
        texts, fields, touched = dict(state.texts), dict(state.fields), set(state.touched)
        if stop.field is None:
            previous = texts.get(stop.section, "") if stop.key in touched else ""
            if stop.key not in touched:  # prose replaces the section's untouched field defaults
                for fspec in self.spec.section(stop.section).fields:
                    if f"field:{fspec.id}" not in touched:
                        fields[fspec.id] = None
        else:
            fspec = self.spec.section(stop.section).field(stop.field)
            current = fields.get(stop.field)
            previous = str(current) if stop.key in touched and current not in (None, "") else ""
            if value_of(fspec, text) is not None:
                previous = ""  # a number, a choice or yes/no said again replaces the one there
            elif previous and (not isinstance(current, str) or current in fspec.choices):
                # words that give no value go after the one there, as the report shows it
                previous = fspec.value(current).display() + "."
        mark, rest = leading_mark(text)
        if mark:  # "period" said after a pause ends the sentence before it
            cut = len(text) - len(rest)
            flags = [f.moved(-cut) for f in flags if f.start >= cut]
            previous, text = end_with_mark(previous, mark), rest
        if not text.strip():  # a mark, or a line or paragraph break, said on its own
            if not previous:
                return state, ()  # nothing before it to end: the draft stays as it is
            new_text = append_text(previous, text) if "\n" in text else previous
        else:
            new_text = append_text(previous, text)
        # where ``text`` starts in ``new_text``: only the blanks it begins with can be dropped
        offset = len(new_text) - len(text)
        if joins and previous:
            at = len(new_text) - len(text.lstrip())
            new_text, joined = self.pipeline.joined_lists(new_text, at=at)
            flags = [*flags] + [f.moved(-offset) for f in joined]
        if stop.field is None:
            texts[stop.section] = new_text
        else:
            value = said_value(fspec, new_text)
            fields[stop.field] = value
            if value != new_text:  # the field took a number, a choice or yes/no
                flags = self._value_flags(fspec, value, flags)
        touched.add(stop.key)
        mirrored = self._measures_named(text, stop)
        for fid, value, _ in mirrored:
            fields[fid] = value
            touched.add(f"field:{fid}")
        kept = [f for f in state.flags if f[0] != stop.key or (f[2] <= len(new_text) and previous)]
        retaken = {f"field:{fid}" for fid, _, _ in mirrored}
        kept = [f for f in kept if f[0] not in retaken]
        kept += [
            (f"field:{fid}", 0, len(shown), shown, TAKEN_FROM_TEXT_PROBABILITY, "from_text")
            for fid, _, shown in mirrored
        ]
        kept += [
            (stop.key, offset + f.start, offset + f.end, f.word, f.probability, f.reason)
            for f in flags
        ]
        return _State(texts, fields, frozenset(touched), state.position, tuple(kept)), flags

    def _measures_named(self, text: str, stop: Stop) -> list[tuple[str, FieldScalar, str]]:
        """The number fields that ``text``, dictated at ``stop``, gives a value by their name
        and a measurement ("Acute right subdural hematoma midline shift 6 mm." said in the
        hemorrhage field): (field id, value, the value as the report shows it).  The text
        stays where it was said; without this the midline shift field kept the template's
        0 beside a text that says 6 mm."""
        found: list[tuple[str, FieldScalar, str]] = []
        for pattern, fspec in self._named_measures:
            if fspec.id == stop.field:
                continue
            for m in pattern.finditer(text):
                value = value_of(fspec, m.group("value"))
                if value is not None:
                    found = [f for f in found if f[0] != fspec.id]
                    found.append((fspec.id, value, fspec.value(value).display()))
        return found

    @staticmethod
    def _value_flags(fspec: Any, value: FieldScalar, flags: Sequence[Flag]) -> list[Flag]:
        """The doubt about the words a field's value was taken from, over the value as the
        report shows it: a number or category heard at 30% is confirmed, not lost."""
        if not flags:
            return []
        doubt = min(flags, key=lambda f: f.probability)
        text = fspec.value(value).display()
        return [Flag(0, len(text), text, doubt.probability, doubt.reason)]

    def _command(self, state: _State, command: Command, before: _State) -> _State:
        """``state`` after ``command``; ``before`` is the draft as this utterance found it."""
        action = command.action
        if action == "next_field":
            return dataclasses.replace(
                state, position=min(state.position + 1, len(self._stops) - 1)
            )
        if action == "previous_field":
            return dataclasses.replace(state, position=max(state.position - 1, 0))
        if action == "go_to":
            target = normalise(command.target or "")
            if target in self._targets:
                return dataclasses.replace(state, position=self._targets[target])
            return state
        if action == "insert_normal":
            if command.target:
                section = self.grammar.section_words.get(command.target, command.target)
                idx = self._targets.get(normalise(section))
                if idx is not None:
                    state = dataclasses.replace(state, position=idx)
            return self._insert_normal(state)
        if action == "scratch_that":
            return self._scratch(state, before)
        if action == "delete_last_sentence":
            return self._delete_sentence(state)
        raise DictationError(f"unknown voice command action {action!r}")

    def _insert_normal(self, state: _State) -> _State:
        stop = self._stops[state.position]
        sspec = self.spec.section(stop.section)
        texts, fields, touched = dict(state.texts), dict(state.fields), set(state.touched)
        if stop.field is not None:
            fields[stop.field] = sspec.field(stop.field).default
            touched.add(stop.key)
        else:
            texts[stop.section] = sspec.normal
            for fspec in sspec.fields:
                fields[fspec.id] = fspec.default
                touched.add(f"field:{fspec.id}")
            touched.add(stop.key)
        flags = tuple(f for f in state.flags if f[0] != stop.key)
        return _State(texts, fields, frozenset(touched), state.position, flags)

    def _scratch(self, state: _State, before: _State) -> _State:
        """Revert the most recent dictation, wherever it went (navigation is kept): what this
        utterance dictated before the command ("Small effusion. Scratch that moderate ..."),
        else the last utterance that dictated."""
        history = [*self._history, before, state]
        for i in range(len(history) - 1, 0, -1):
            newer, older = history[i], history[i - 1]
            if newer.texts != older.texts or newer.fields != older.fields:
                return dataclasses.replace(older, position=state.position)
        return state

    def _delete_sentence(self, state: _State) -> _State:
        stop = self._stops[state.position]
        texts, fields = dict(state.texts), dict(state.fields)
        if stop.field is None:
            texts[stop.section] = _drop_last_sentence(texts.get(stop.section, ""))
            length = len(texts[stop.section])
        else:
            value = fields.get(stop.field)
            fields[stop.field] = _drop_last_sentence(str(value)) if isinstance(value, str) else None
            if fields[stop.field] == "":
                fields[stop.field] = None
            length = len(str(fields[stop.field] or ""))
        flags = tuple(f for f in state.flags if f[0] != stop.key or f[2] <= length)
        return _State(texts, fields, state.touched, state.position, flags)

    # ------------------------------------------------------------------ journal
    def _journal_utterance(
        self,
        seq: int,
        actions: list[str],
        utterance: Utterance,
        audio_name: str | None,
        state: _State,
        **extra: Any,
    ) -> None:
        self._append(
            {
                "type": "utterance",
                "seq": seq,
                **extra,
                "actions": actions,
                "text": utterance.text,
                "start": utterance.start,
                "end": utterance.end,
                "audio": audio_name,
                "words": [w.to_dict() for w in utterance.words],
                "state": state.to_json(),
                "history": len(self._history),  # undo steps, so recovery rebuilds them
                **({"redo": [s.to_json() for s in self._redo]} if self._redo else {}),
            }
        )

    def _append(self, entry: dict[str, Any]) -> None:
        if self.journal is None:
            return
        line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def _save_audio(self, utterance: Utterance) -> str | None:
        if (
            self.journal is None
            or not self.keep_audio
            or utterance.audio is None
            or utterance.audio.size == 0
        ):
            return None
        from reporting.audio.files import write_wav

        name = f"{self.journal.stem}-{self._seq:04d}.wav"
        write_wav(self.journal.parent / name, utterance.audio)
        return name

    @classmethod
    def recover(
        cls,
        path: str | os.PathLike[str],
        *,
        spec: Any = None,
        commands: Grammar | None = None,
        pipeline: TextPipeline | None = None,
    ) -> DictationSession:
        """Rebuild a session from its journal; a half-written last line is discarded (and cut
        off the file, so dictation can go on appending to the same journal)."""
        journal = Path(path)
        try:
            raw = journal.read_bytes()
        except OSError as exc:
            raise DictationError(
                f"{journal}: cannot read the dictation journal ({exc.strerror})"
            ) from None
        entries: list[dict[str, Any]] = []
        good = 0
        for line in raw.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break
            try:
                entry = json.loads(line)
            except (UnicodeDecodeError, json.JSONDecodeError):
                break
            if not isinstance(entry, dict):
                break
            entries.append(entry)
            good += len(line)
        if not entries or entries[0].get("type") != "start":
            raise DictationError(f"{journal}: not a dictation journal (no start entry)")
        if good < len(raw):
            log.warning(
                "dictation journal %s: discarded %d bytes of an unfinished entry",
                journal,
                len(raw) - good,
            )
            with open(journal, "r+b") as fh:
                fh.truncate(good)
                fh.flush()
                os.fsync(fh.fileno())
        start = entries[0]
        if spec is None:
            from reporting.templating import load_template

            spec = load_template(str(start["template"]))
        elif spec.id != start["template"]:
            raise DictationError(
                f"{journal}: journal is for template {start['template']!r}, not {spec.id!r}"
            )
        try:
            base = from_record(start["report"])
            state = _State.from_json(start["state"])
            history: list[_State] = []  # the undo steps before ``state``
            last = (history, state)  # as they were before the last utterance
            redo: list[_State] = []  # what the last utterance left to redo
            seq = 0
            said = ""
            for entry in entries[1:]:
                kind = entry.get("type")
                if kind == "utterance":
                    if "revises" in entry:  # a better hearing of the last utterance
                        history, state = list(last[0]), last[1]
                    else:
                        last = (list(history), state)
                        seq = int(entry["seq"])
                    new = _State.from_json(entry["state"])
                    _replay_undo_steps(history, state, new, entry.get("history"))
                    state = new
                    redo = [_State.from_json(r) for r in entry.get("redo", ())]
                    if "dictate" in entry.get("actions", ()):
                        said = str(entry.get("text", ""))  # the last words dictated
                elif kind == "move":  # the cursor moved: not an undo step
                    state = _State.from_json(entry["state"])
        except (KeyError, TypeError, ValueError, ReportingError) as exc:
            raise DictationError(f"{journal}: damaged dictation journal ({exc})") from None
        session = cls(
            spec, commands=commands, pipeline=pipeline, _resume=(base, [*history, state], seq)
        )
        session.journal = journal
        session._punctuated = has_spoken_punctuation(said)
        session._redo = redo
        return session

    def utterances(self) -> list[dict[str, Any]]:
        """The journal's utterance entries (text, words with timings, audio file), revised
        ones as revised."""
        if self.journal is None or not self.journal.exists():
            return []
        out: list[dict[str, Any]] = []
        for line in self.journal.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                break
            if entry.get("type") == "utterance" and "revises" in entry and out:
                out[-1] = entry  # the same utterance, heard better
            elif entry.get("type") == "utterance":
                out.append(entry)
        return out


@dataclass(frozen=True)
class Recognised:
    """One utterance of a recording: where it lies (seconds) and what was heard."""

    start: float
    end: float
    transcript: Transcript
    audio: np.ndarray = field(repr=False, compare=False)
    seconds: float = 0.0  # time spent recognising it (alongside another when two at once)

    @property
    def words(self) -> tuple[Word, ...]:
        """Words with times relative to the whole recording."""
        return tuple(
            Word(w.word, w.start + self.start, w.end + self.start, w.probability)
            for w in self.transcript.words
        )

    @property
    def unheard(self) -> bool:
        """Whether the VAD took this for speech but the recogniser heard no words in it."""
        return self.transcript.is_empty

    def unheard_notice(self, name: str) -> str:
        """What to tell the user of an :attr:`unheard` utterance of recording ``name``."""
        return (
            f"{name}: {self.start:.1f}-{self.end:.1f} s sounded like speech but no words were "
            "heard; if something was said there, say it again"
        )


def recognise(
    audio: np.ndarray | Any,
    transcriber: Any,
    *,
    prompt: str | None = None,
    segmenter: Any = None,
    keep_unheard: bool = False,
    workers: int | None = None,
) -> list[Recognised]:
    """Cut ``audio`` (an array or an AudioSource) into utterances with the VAD segmenter and
    transcribe each; silence and noise give an empty list.  An utterance the VAD took for
    speech but the recogniser heard no words in is left out, or, with ``keep_unheard``, kept
    with its empty transcript (:attr:`Recognised.unheard`), so that the user can be told
    that something there may have been said and lost.  ``workers`` utterances are decoded at
    once (default: the transcriber's ``options.workers``, else 1); the result is the same,
    in the same order, as decoding them one by one."""
    from reporting.audio import ArraySource, UtteranceSegmenter

    source = ArraySource(audio) if isinstance(audio, np.ndarray) else audio
    seg = segmenter or UtteranceSegmenter()
    if workers is None:
        workers = int(getattr(getattr(transcriber, "options", None), "workers", 1) or 1)
    utterances = seg.segments(source.blocks())
    if workers > 1:
        from reporting.ordered import in_order

        done = in_order(lambda utt: _heard(utt, transcriber, prompt), utterances, workers=workers)
        heard: Iterable[Recognised] = (d.result() for d in done)
    else:
        heard = (_heard(utt, transcriber, prompt) for utt in utterances)
    return [r for r in heard if keep_unheard or not r.transcript.is_empty]


def _heard(utt: Any, transcriber: Any, prompt: str | None) -> Recognised:
    import time

    started = time.perf_counter()
    transcript = transcriber.transcribe(utt.audio, prompt=prompt)
    elapsed = time.perf_counter() - started
    return Recognised(utt.start, utt.end, transcript, utt.audio, elapsed)

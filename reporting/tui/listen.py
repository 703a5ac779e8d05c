"""Dictation for the report screen: speech model, audio source, recogniser worker and the
crash-safe :class:`~reporting.dictation.DictationSession`.

Threads: the audio callback only enqueues (``MicrophoneSource``); one thread worker reads
blocks, meters them, runs the VAD segmenter and the transcriber and posts messages
(:class:`AudioLevel`, :class:`PartialText`, :class:`Heard`); the UI thread applies finished
utterances to the session, which journals each one (fsync) before the screen shows it.

The journal always starts from the draft as it was at the last checkpoint (opening, saving,
or a pause after typing), so after ``kill -9`` :meth:`DictationSession.recover` gives back
everything but the utterance in flight.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reporting.errors import AudioError, ReportingError
from reporting.model import Issue, Report
from reporting.tui.backends import optional
from reporting.tui.messages import (
    AudioLevel,
    Heard,
    ListenState,
    ModelState,
    PartialText,
    Revised,
)

if TYPE_CHECKING:
    import numpy as np
    from textual.screen import Screen

__all__ = ["DictationController", "Applied", "fake_script"]

log = logging.getLogger(__name__)


def fake_script(audio_file: Path | None) -> list[str]:
    """Utterances for ``--fake-asr``: the lines of ``<audio file>.txt`` (or ``<stem>.txt``)."""
    if audio_file is None:
        return []
    for candidate in (
        audio_file.with_name(audio_file.name + ".txt"),
        audio_file.with_suffix(".txt"),
    ):
        if candidate.is_file():
            lines = candidate.read_text(encoding="utf-8").splitlines()
            return [line.strip() for line in lines if line.strip()]
    return []


@dataclass(frozen=True)
class Applied:
    """What one utterance did to the draft (for the screen and the audit log)."""

    report: Report
    section: str
    field: str | None
    actions: tuple[str, ...]
    text: str
    flagged: tuple[str, ...] = ()


@dataclass
class _Recent:
    """A recent utterance's audio and word timings (for replaying a doubtful word)."""

    audio: Any
    words: tuple[Any, ...]


def _bare(word: str) -> str:
    return re.sub(r"^\W+|\W+$", "", word).lower()


#: how alike (0-100, letters only) the heard words must be to a rewritten flag's words for
#: replay to play them: "an irregular" is 75 from "and the regular", "pleural" 92 from
#: "plural"; "small effusion" is 71 from "pleural effusion", which it was not
REPLAY_MIN_SCORE = 75.0


def _word_clip(recent: _Recent, first: int, stop: int) -> np.ndarray | None:
    """The audio of ``recent``'s words ``first`` to ``stop`` (exclusive), ±0.15 s."""
    rate = 16_000
    a = max(0, int((recent.words[first].start - 0.15) * rate))
    b = min(len(recent.audio), int((recent.words[stop - 1].end + 0.15) * rate))
    return recent.audio[a:b] if b > a else None  # type: ignore[no-any-return]


def _rewritten_audio(recents: list[_Recent], targets: list[str]) -> np.ndarray | None:
    """The audio of the heard words most like ``targets`` by their letters (as many words or
    one more: "by lateral" for "bilateral"), the newest utterance first on a tie."""
    from rapidfuzz import fuzz

    letters, n = "".join(targets), len(targets)
    best: tuple[float, _Recent, int, int] | None = None
    for recent in reversed(recents):
        bares = [_bare(w.word) for w in recent.words]
        for size in (n, n + 1):
            for i in range(len(bares) - size + 1):
                score = fuzz.ratio(letters, "".join(bares[i : i + size]))
                if score >= REPLAY_MIN_SCORE and (best is None or score > best[0]):
                    best = (score, recent, i, i + size)
    return None if best is None else _word_clip(best[1], best[2], best[3])


@dataclass
class DictationController:
    screen: Screen[Any]
    spec: Any
    session: Any
    journal: Path
    options: Any
    recent: list[_Recent] = field(default_factory=list)
    accepted: set[tuple[str, int, str]] = field(default_factory=set)
    dirty: bool = False
    journaled: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)
    _listening: bool = False
    _file_offset: int = 0
    _mic: Any = None
    _file_audio: Any = None
    _last_final: int = -1  # index of the last finished utterance (older partials are stale)
    #: the utterance a revision may replace: (recogniser index, its audio kept in recent)
    _last_applied: tuple[int, bool] | None = None

    # ---------------------------------------------------------------- construction
    @classmethod
    def create(
        cls, screen: Screen[Any], spec: Any, draft: Report, *, journal: Path, recover: bool
    ) -> DictationController:
        """A controller for ``draft``; with ``recover``, the draft comes from the journal.

        Raises :class:`~reporting.tui.backends.Missing` when dictation is not installed.
        """
        session_cls = optional("reporting.dictation", "DictationSession")
        if spec is None:
            raise AudioError("dictation needs a template", title="Dictation unavailable")
        options = screen.app.options  # type: ignore[attr-defined]
        journaled = recover and journal.exists()
        if journaled:
            session = session_cls.recover(journal)  # the journal names its own template
            spec = session.spec
        else:  # the journal starts with the first change: an untouched study leaves none
            session = session_cls(spec, report=draft)
        controller = cls(screen, spec, session, journal, options, journaled=journaled)
        controller.load_model()
        return controller

    @staticmethod
    def _fresh(session_cls: Any, spec: Any, draft: Report, journal: Path, like: Any) -> Any:
        """A new session starting at ``draft``, its journal replacing the old one atomically."""
        journal.parent.mkdir(parents=True, exist_ok=True)
        scratch = journal.with_name(journal.stem + ".next" + journal.suffix)
        scratch.unlink(missing_ok=True)
        extra = {"commands": like.grammar, "pipeline": like.pipeline} if like is not None else {}
        session = session_cls(spec, report=draft, journal=scratch, **extra)
        os.replace(scratch, journal)
        session.journal = journal
        return session

    @property
    def draft(self) -> Report:
        return self.session.draft  # type: ignore[no-any-return]

    @property
    def source_label(self) -> str:
        if self.options.audio_file is not None:
            return f"file: {self.options.audio_file.name}"
        if self.options.audio_device:
            return f"mic: {self.options.audio_device}"
        return "mic: default"

    # ---------------------------------------------------------------- speech model
    def load_model(self) -> None:
        app: Any = self.screen.app
        if getattr(app, "transcriber", None) is not None:
            self.screen.post_message(ModelState("ready"))
            return
        self.screen.post_message(ModelState("loading"))
        self.screen.run_worker(self._load_model, thread=True, group="model", exclusive=True,
                               exit_on_error=False)  # fmt: skip

    def _load_model(self) -> None:
        app: Any = self.screen.app
        try:
            if self.options.transcriber is not None:
                transcriber = self.options.transcriber
            elif self.options.fake_asr:
                fake = optional("reporting.asr", "FakeTranscriber")
                transcriber = fake(fake_script(self.options.audio_file))
            else:
                load = optional("reporting.asr", "load_transcriber")
                transcriber = load()
                transcriber.warm_up()
        except ReportingError as exc:
            self.screen.post_message(ModelState("error", exc.one_line()))
            return
        except Exception as exc:  # the model files or runtime are broken: say so, keep typing
            log.warning("speech model failed to load: %s", type(exc).__name__)
            self.screen.post_message(ModelState("error", f"speech model failed to load: {exc}"))
            return
        app.transcriber = transcriber
        self.screen.post_message(ModelState("ready"))

    # ---------------------------------------------------------------- listening
    @property
    def listening(self) -> bool:
        return self._listening

    def toggle(self) -> None:
        if self._listening:
            self.stop()
        else:
            self.start()

    def start(self) -> None:
        app: Any = self.screen.app
        if app.transcriber is None:
            self.screen.notify("The speech model is still loading", severity="warning")
            return
        self._stop.clear()
        self._last_final = -1  # a new recogniser numbers its utterances from 0
        self._last_applied = None
        self._listening = True
        self.screen.post_message(ListenState("listening"))
        self.screen.run_worker(self._listen, thread=True, group="listen", exclusive=True,
                               exit_on_error=False)  # fmt: skip

    def stop(self) -> None:
        if not self._listening:
            return
        self._stop.set()
        mic = self._mic
        if mic is not None:
            mic.stop()

    def _source(self) -> Any:
        if self.options.audio_file is not None:
            if self._file_audio is None:
                self._file_audio = optional("reporting.audio", "load_audio")(
                    self.options.audio_file
                )
            array = optional("reporting.audio", "ArraySource")
            return array(
                self._file_audio[self._file_offset :], realtime=self.options.audio_realtime
            )
        mic_cls = optional("reporting.audio", "MicrophoneSource")
        device = self.options.audio_device or None
        self._mic = mic_cls(device, mode="toggle").start()
        return self._mic

    def _listen(self) -> None:
        """Worker thread: audio blocks -> level, VAD, partial and final transcripts."""
        post = self.screen.post_message
        app: Any = self.screen.app
        state = "idle"
        closers: list[Callable[[], None]] = []
        try:
            recognizer_cls = optional("reporting.audio", "LiveRecognizer")
            meter = optional("reporting.audio", "LevelMeter")()
            source = self._source()
            closers.append(source.close)
            pipeline = self.session.pipeline
            # a scripted transcriber answers each call with its next line: partial and
            # speculative decodes would eat the script, so only a real recogniser does them
            scripted = isinstance(app.transcriber, optional("reporting.asr", "FakeTranscriber"))
            recognizer = recognizer_cls(
                app.transcriber,
                prompt=lambda: pipeline.prompt,
                partial_every=1.5,
                partials=not scripted,
                speculate=not scripted,
                reviser=None if scripted else self._reviser(app.transcriber, pipeline),
            )
            closers.append(recognizer.close)
            exhausted = True
            for block in source.blocks():
                # a file stops at once; a stopped microphone drains what it captured
                if self._stop.is_set() and self._mic is None:
                    exhausted = False
                    break
                self._file_offset += int(block.size)
                level = meter.update(block)
                post(AudioLevel(level.fraction, recognizer.segmenter.speaking))
                self._post_events(recognizer.push(block))
            self._post_events(recognizer.flush())
            if self.options.audio_file is not None and exhausted:
                state = "finished"
        except ReportingError as exc:
            state = "error"
            post(ListenState("error", exc.one_line()))
        except Exception as exc:  # PortAudio/VAD runtime failure: report it, keep the draft
            state = "error"
            log.warning("listening failed: %s", type(exc).__name__)
            post(ListenState("error", f"listening failed: {exc}"))
        finally:
            for close in reversed(closers):
                close()
            self._mic = None
            self._listening = False
            if state != "error":
                post(ListenState(state))

    @staticmethod
    def _reviser(transcriber: Any, pipeline: Any) -> Any:
        """What revises each final: a second decode recalling the template's fields and
        phrasebook (``pipeline.phrases``) and the site phrases (unless recall is off in
        config.toml or nothing is there), then listening once more for a voice command in its
        short sentences (None when neither is on)."""
        import dataclasses

        book = optional("reporting.asr.phrases", "phrasebook_for")(pipeline.template)
        if len(book):
            # the pipeline's own phrases first: they begin with the template's field sentences
            book = pipeline.phrases + book
        hearing = optional("reporting.asr.command_tail", "dictation_transcriber")
        reviser = hearing(transcriber, dataclasses.replace(pipeline, phrases=book))
        return None if reviser is transcriber else reviser

    def _post_events(self, events: list[Any]) -> None:
        for event in events:
            if hasattr(event, "replaces"):
                self.screen.post_message(Revised(event.transcript, int(event.utterance.index)))
            elif hasattr(event, "transcript"):
                utt = event.utterance
                self._last_final = max(self._last_final, int(utt.index))
                self.screen.post_message(
                    Heard(event.transcript, utt.audio, utt.start, int(utt.index))
                )
            elif int(getattr(event, "index", 0)) > self._last_final:
                self.screen.post_message(PartialText(str(event.text)))
            # else: a partial decode that finished after its utterance's final: stale

    # ---------------------------------------------------------------- the draft
    def apply(self, heard: Heard, current: Report) -> Applied:
        """Apply a finished utterance (UI thread); journals it before returning."""
        utterance_cls = optional("reporting.dictation", "Utterance")
        if self.dirty or not self.journaled:
            self.checkpoint(current)
        transcript = heard.transcript
        utterance = utterance_cls.from_transcript(transcript, audio=heard.audio, start=heard.start)
        change = self.session.apply(utterance)
        self._last_applied = (heard.index, heard.audio is not None)
        if heard.audio is not None:
            self.recent.append(_Recent(heard.audio, tuple(transcript.words)))
            del self.recent[:-20]
        return self._applied(change)

    def revise(self, revised: Revised, current: Report) -> Applied | None:
        """Put the better hearing of the last utterance in its place (UI thread), if it is still
        the last thing that happened to ``current``; journaled.  ``None`` leaves all as is."""
        if (
            self._last_applied is None
            or self._last_applied[0] != revised.index
            or self.dirty
            or current.text != self.draft.text
        ):
            return None
        utterance_cls = optional("reporting.dictation", "Utterance")
        change = self.session.revise(utterance_cls.from_transcript(revised.transcript))
        if change is None:
            return None
        if self._last_applied[1] and self.recent:  # replaying a word uses the new timings
            self.recent[-1].words = tuple(revised.transcript.words)
        return self._applied(change)

    @staticmethod
    def _applied(change: Any) -> Applied:
        return Applied(
            report=change.draft,
            section=change.stop.section,
            field=change.stop.field,
            actions=tuple(change.actions),
            text=change.text,
            flagged=tuple(f.word for f in change.flags),
        )

    def typed(self) -> None:
        """The draft was edited by keyboard; the next checkpoint journals it."""
        self.dirty = True

    def checkpoint(self, report: Report) -> None:
        """Restart the journal from ``report`` (after typing, or when the draft is saved)."""
        position = (self.session.current_section, self.session.current_field)
        session_cls = optional("reporting.dictation", "DictationSession")
        self.session = self._fresh(session_cls, self.spec, report, self.journal, self.session)
        self.journaled = True
        self.accepted.clear()
        self.dirty = False
        self.moved(*position)

    def saved(self, report: Report) -> None:
        """The draft is safely saved: go on without a journal until the next change (the
        caller removes the old journal)."""
        position = (self.session.current_section, self.session.current_field)
        session_cls = optional("reporting.dictation", "DictationSession")
        like = self.session
        self.session = session_cls(
            self.spec, report=report, commands=like.grammar, pipeline=like.pipeline
        )
        self.journaled = False
        self.dirty = False
        self.accepted.clear()
        self.moved(*position)

    def moved(self, section: str, field_id: str | None) -> None:
        """Dictation goes where the cursor is."""
        if any(s.section == section and s.field == field_id for s in self.session.stops):
            self.session.move_to(section, field_id)

    # ---------------------------------------------------------------- doubtful words
    def low_confidence_issues(self, report: Report) -> list[Issue]:
        """The session's ``asr.low_confidence`` warnings for ``report``, minus confirmed ones."""
        session = self.session
        if session.draft.text != report.text:
            return []
        out = []
        for issue in session.issues:
            sec = report.section(issue.section) if issue.section else None
            offset = issue.start - (sec.start or 0) if sec is not None else issue.start
            if (
                issue.section or "",
                offset,
                report.text[issue.start : issue.end],
            ) not in self.accepted:
                out.append(issue)
        return out

    def accept(self, issue: Issue, report: Report) -> None:
        sec = report.section(issue.section) if issue.section else None
        offset = issue.start - (sec.start or 0) if sec is not None else issue.start
        self.accepted.add((issue.section or "", offset, report.text[issue.start : issue.end]))

    def word_audio(self, word: str) -> np.ndarray | None:
        """The audio of the most recent utterance word matching ``word`` (±0.15 s).  A flag
        over several words ("large pleural effusion or pneumothorax": a list joined back after
        a pause) plays those words in a row with the word before them, so the pause before the
        list is heard too.  Words the corrector rewrote ("pleural" for the "plural" heard, "an
        irregular" for "a regular") are found by their letters: the heard words (as many as
        written, or one more) most like them (:data:`REPLAY_MIN_SCORE`)."""
        targets = [t for t in (_bare(part) for part in word.split()) if t]
        if not targets:
            return None
        n = len(targets)
        for recent in reversed(self.recent):
            bares = [_bare(w.word) for w in recent.words]
            for i in range(len(bares) - n + 1):
                if all(t == b or t in b for t, b in zip(targets, bares[i : i + n], strict=True)):
                    clip = _word_clip(recent, max(0, i - 1) if n > 1 else i, i + n)
                    if clip is not None:
                        return clip
        return _rewritten_audio(self.recent, targets)

    def replay(self, word: str, done: Callable[[str | None], None]) -> None:
        """Play the word's audio in a worker; ``done(error or None)`` on the UI thread."""
        audio = self.word_audio(word)
        if audio is None:
            done(f"no recorded audio for {word!r}")
            return

        def play() -> None:
            try:
                sd = optional("reporting.audio.microphone", "import_sounddevice")()
            except Exception as exc:  # no sounddevice or PortAudio: what to install
                self.screen.app.call_from_thread(done, f"cannot play audio: {exc}")
                return
            try:
                sd.play(audio, 16_000, blocking=True)
            except Exception as exc:  # no output device: tell the user
                problem = optional("reporting.audio.microphone", "playback_problem")(sd, exc)
                self.screen.app.call_from_thread(done, f"cannot play audio: {problem}")
                return
            self.screen.app.call_from_thread(done, None)

        self.screen.run_worker(
            play, thread=True, group="replay", exclusive=True, exit_on_error=False
        )

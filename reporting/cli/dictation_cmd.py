"""``reporting transcribe``, ``reporting dictate`` and ``reporting devices``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from reporting.errors import AudioError, DictationError

__all__ = ["transcribe", "dictate", "devices"]

_AUDIO = click.Path(dir_okay=False, path_type=Path)


def _transcriber(
    model: str | None, beam_size: int | None, threads: int | None, workers: int | None
) -> Any:
    from reporting.asr import load_transcriber
    from reporting.asr.engine import OFFLINE_WORKERS, asr_config, options_from_config

    if workers is None and "workers" not in asr_config()[1]:
        workers = OFFLINE_WORKERS
    return load_transcriber(
        options_from_config(model=model, beam_size=beam_size, cpu_threads=threads, workers=workers)
    )


def _pipeline(
    template: str | None,
    transcriber: Any,
    sides: bool,
    phrase_files: tuple[Path, ...],
    recall: bool | None,
) -> tuple[Any, Any, Any]:
    """The template spec, the text pipeline and the transcriber to recognise with: one that
    decodes each utterance twice, recalling report sentences, unless recall is off, and
    listens once more for a voice command in its short sentences."""
    from reporting.asr import FormatOptions, build_pipeline
    from reporting.asr.command_tail import dictation_transcriber
    from reporting.asr.phrases import phrasebook_for

    spec = None
    if template:
        from reporting.templating import load_template

        spec = load_template(template)
    folder = transcriber.resolved.location if transcriber.resolved.is_local else None
    phrases = phrasebook_for(str(getattr(spec, "id", "") or ""), site=phrase_files, recall=recall)
    pipeline = build_pipeline(
        spec=spec,
        model_folder=folder,
        format_options=FormatOptions(capitalize_sides=sides),
        phrases=phrases,
    )
    return spec, pipeline, dictation_transcriber(transcriber, pipeline)


def _model_options(func: Any) -> Any:
    func = click.option(
        "--recall/--no-recall",
        default=None,
        help="Decode each utterance twice, the second time with the report sentences most "
        "like it in the prompt [default: asr.recall in config.toml, else on].",
    )(func)
    func = click.option(
        "--phrases",
        "phrase_files",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Site phrase file to recall from (repeatable; from 'reporting phrases learn') "
        "[default: asr.phrases, else ~/.local/share/reporting/phrases.json if present].",
    )(func)
    func = click.option(
        "--threads",
        type=click.IntRange(0, 64),
        default=None,
        help="CPU threads for the speech model [default: asr.cpu_threads in config.toml, else 2].",
    )(func)
    func = click.option(
        "--workers",
        type=click.IntRange(1, 16),
        default=None,
        help="Utterances of a recording (or, for several files, files) decoded at once "
        "[default: asr.workers in config.toml, else 2].",
    )(func)
    func = click.option(
        "--beam-size",
        type=click.IntRange(1, 10),
        default=None,
        help="Decoder beam size, 1 = greedy and fastest [default: asr.beam_size, else 5].",
    )(func)
    func = click.option(
        "--model",
        metavar="PATH",
        help="CTranslate2 Whisper model folder (default: the bundled Whisper base).",
    )(func)
    return func


@click.command("transcribe")
@click.argument("audio", nargs=-1, required=True, type=_AUDIO)
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per file: text, segments, words."
)
@click.option("--template", metavar="ID", help="Bias recognition towards this template's terms.")
@click.option("--capitalize-sides", is_flag=True, help="Write LEFT and RIGHT in capitals.")
@_model_options
def transcribe(
    audio: tuple[Path, ...],
    as_json: bool,
    template: str | None,
    capitalize_sides: bool,
    model: str | None,
    beam_size: int | None,
    threads: int | None,
    workers: int | None,
    phrase_files: tuple[Path, ...],
    recall: bool | None,
) -> None:
    """Transcribe AUDIO files (wav, flac, mp3) with the radiology vocabulary.

    Prints the corrected, formatted transcript of each file (spoken punctuation, numbers and
    units, vertebral levels).  Silence gives an empty line.
    """
    from reporting.audio import load_audio
    from reporting.dictation import recognise
    from reporting.ordered import in_order

    spec, pipeline, transcriber = _pipeline(
        template,
        _transcriber(model, beam_size, threads, workers),
        capitalize_sides,
        phrase_files,
        recall,
    )
    # several files are decoded so many at once, each one utterance at a time
    at_once = transcriber.options.workers
    each = 1 if len(audio) > 1 else at_once

    def heard(path: Path) -> list[Any]:
        samples = load_audio(path)
        return recognise(
            samples, transcriber, prompt=pipeline.prompt, keep_unheard=True, workers=each
        )

    failed = 0
    for path, done in zip(audio, in_order(heard, audio, workers=at_once // each), strict=True):
        try:
            pieces = done.result()
        except AudioError as exc:
            click.echo(f"reporting: {exc.one_line()}", err=True)
            failed += 1
            continue
        for piece in pieces:
            if piece.unheard:
                click.echo(f"reporting: {piece.unheard_notice(str(path))}", err=True)
        pieces = [piece for piece in pieces if not piece.unheard]
        text, processed = pipeline.process_pieces([r.transcript for r in pieces])
        if not as_json:
            click.echo(text)
            continue
        record = {
            "file": str(path),
            "text": text,
            "segments": [
                {
                    "start": round(r.start, 3),
                    "end": round(r.end, 3),
                    "text": p.text,
                    "raw": r.transcript.text,
                    # what to confirm: spans into this segment's text
                    "flags": [f.to_dict() for f in p.flags],
                }
                for r, p in zip(pieces, processed, strict=True)
            ],
            "words": [w.to_dict() for r in pieces for w in r.words],
        }
        click.echo(json.dumps(record, ensure_ascii=False))
    if failed:
        from reporting.errors import EXIT_PARTIAL

        raise click.exceptions.Exit(EXIT_PARTIAL)


@click.command("dictate")
@click.argument("audio", nargs=-1, type=_AUDIO)
@click.option(
    "--template", "template_id", required=True, metavar="ID", help="Template to dictate into."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report record here (default: stdout).",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep a crash-safe journal (and audio) here.",
)
@click.option("--id", "report_id", default="dictation", show_default=True, help="Report id.")
@click.option("--procedure", default="", help="Procedure description for the examination section.")
@click.option(
    "--device", metavar="NAME|INDEX", help="Dictate from this input device instead of files."
)
@click.option(
    "--seconds",
    type=click.FloatRange(0.5, 3600),
    default=30.0,
    show_default=True,
    help="With --device: how long to listen.",
)
@click.option("--capitalize-sides", is_flag=True, help="Write LEFT and RIGHT in capitals.")
@_model_options
def dictate(
    audio: tuple[Path, ...],
    template_id: str,
    out: Path | None,
    journal: Path | None,
    report_id: str,
    procedure: str,
    device: str | None,
    seconds: float,
    capitalize_sides: bool,
    model: str | None,
    beam_size: int | None,
    threads: int | None,
    workers: int | None,
    phrase_files: tuple[Path, ...],
    recall: bool | None,
) -> None:
    """Dictate AUDIO files into a template and write the filled report record.

    Voice commands ("next field", "go to impression", "insert normal", "scratch that",
    "delete last sentence", "undo", "redo") are applied; everything else is dictated text.  Words the
    recogniser was unsure of are listed on stderr for confirmation.
    """
    from reporting.audio import load_audio
    from reporting.dictation import DictationSession, Utterance, recognise
    from reporting.records import dumps_record
    from reporting.resources import atomic_write_text

    if not audio and device is None:
        raise DictationError("give AUDIO files or --device to dictate from")
    spec, pipeline, transcriber = _pipeline(
        template_id,
        _transcriber(model, beam_size, threads, workers),
        capitalize_sides,
        phrase_files,
        recall,
    )
    context: dict[str, Any] = {"id": report_id}
    if procedure:
        context["procedure"] = procedure
    session = DictationSession(spec, pipeline=pipeline, journal=journal, context=context)
    sources: list[Any] = [load_audio(p) for p in audio]
    if device is not None:
        sources.append(_timed_microphone(device, seconds))
    names = [str(p) for p in audio] + (["the microphone"] if device is not None else [])
    for name, source in zip(names, sources, strict=True):
        for piece in recognise(source, transcriber, prompt=pipeline.prompt, keep_unheard=True):
            if piece.unheard:
                click.echo(f"reporting: {piece.unheard_notice(name)}", err=True)
                continue
            session.apply(
                Utterance(piece.transcript.text, piece.words, piece.audio, piece.start, piece.end)
            )
    record = dumps_record(session.draft)
    if out is None:
        sys.stdout.write(record if record.endswith("\n") else record + "\n")
    else:
        atomic_write_text(out, record if record.endswith("\n") else record + "\n")
    for issue in session.issues:
        click.echo(
            f"confirm: {issue.message} (at {issue.start}-{issue.end}, {issue.section})", err=True
        )


class _TimedMicrophone:
    """A microphone that stops itself after ``seconds`` of audio."""

    sample_rate = 16_000

    def __init__(self, device: str, seconds: float) -> None:
        from reporting.audio import MicrophoneSource

        target: int | str = int(device) if device.isdigit() else device
        self.mic = MicrophoneSource(target, queue_blocks=max(100, int(seconds * 10) + 10))
        self.limit = int(seconds * 16_000)

    def blocks(self) -> Any:
        got = 0
        try:
            for block in self.mic.blocks():
                yield block
                got += block.size
                if got >= self.limit:
                    break
        finally:
            self.mic.stop()

    def close(self) -> None:
        self.mic.stop()


def _timed_microphone(device: str, seconds: float) -> _TimedMicrophone:
    return _TimedMicrophone(device, seconds)


@click.command("devices")
def devices() -> None:
    """List audio input devices (the default is marked with *)."""
    from reporting.audio import list_input_devices

    found = list_input_devices()
    if not found:
        raise AudioError("no audio input device found; connect a microphone", title="No microphone")
    for dev in found:
        click.echo(dev.describe())

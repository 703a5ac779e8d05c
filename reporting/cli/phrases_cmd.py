"""``reporting phrases``: learn site phrases from prior reports, and look up what is recalled."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

__all__ = ["phrases"]

#: the sections whose sentences are dictated (and so worth recalling)
_DICTATED = ("findings", "impression")


@click.group("phrases")
def phrases() -> None:
    """Report sentences the dictation engine recalls into the speech model's prompt.

    After a quick first decode of each utterance, the sentences most like what was heard are
    put into the prompt of a second decode.  They come from the bundled phrasebook of the
    template and from site phrases learned from your own prior reports.
    """


def _dictated_texts(inputs: tuple[Path, ...], counts: dict[str, int]) -> Iterator[str]:
    from reporting.ingest import iter_items

    for item in iter_items(inputs):
        if item.report is None:
            counts["unreadable"] += 1
            continue
        counts["reports"] += 1
        wanted = [s.text for s in item.report.sections if s.name in _DICTATED and s.text]
        yield from wanted or [item.report.text]


@phrases.command("learn")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Phrase file to write [default: ~/.local/share/reporting/phrases.json, which "
    "dictation then uses unless asr.phrases in config.toml names others].",
)
@click.option(
    "--min-count",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Keep only sentences written at least this often.",
)
@click.option(
    "--max-sentences",
    type=click.IntRange(1),
    default=50_000,
    show_default=True,
    help="Keep at most this many sentences, the commonest first.",
)
def learn(inputs: tuple[Path, ...], out: Path | None, min_count: int, max_sentences: int) -> None:
    """Learn site phrases from prior reports in INPUTS (any format `reporting qa` reads).

    The sentences of each report's findings and impression (the whole text when it has
    neither) are counted; sentences that look like they hold a name, a date or a time are
    left out.  The file is report text: it is written private to you (mode 0600).
    """
    from reporting.asr.phrases import default_phrases_path, learn_sentences, write_phrases
    from reporting.errors import EXIT_PARTIAL, DictationError

    counts = {"reports": 0, "unreadable": 0}
    learned = [
        (s, n) for s, n in learn_sentences(_dictated_texts(inputs, counts)) if n >= min_count
    ][:max_sentences]
    if not learned:
        raise DictationError(
            f"no sentences to learn in {counts['reports']} readable reports "
            f"({counts['unreadable']} unreadable)",
            title="Nothing learned",
        )
    target = out or default_phrases_path()
    write_phrases(target, learned, source=f"{counts['reports']} reports")
    click.echo(
        f"learned {len(learned)} sentences from {counts['reports']} reports -> {target}", err=True
    )
    if counts["unreadable"]:
        click.echo(f"reporting: {counts['unreadable']} inputs could not be read", err=True)
        raise click.exceptions.Exit(EXIT_PARTIAL)


@phrases.command("recall")
@click.argument("heard")
@click.option("--template", metavar="ID", help="Recall from this template's phrasebook.")
@click.option(
    "--phrases",
    "paths",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Site phrase file(s) to recall from [default: as for dictation].",
)
def recall(heard: str, template: str | None, paths: tuple[Path, ...]) -> None:
    """Print the sentences recalled for a first decode that heard HEARD, one per line."""
    from reporting.asr.correction import load_corrector
    from reporting.asr.phrases import phrasebook_for

    book = phrasebook_for(template or "", site=paths, recall=True)
    # as a decode recalls: by letters, then by the sound of each heard word
    for sentence in book.recall(heard, sound=load_corrector().key):
        sys.stdout.write(sentence + "\n")

"""How often the dictation corrector changes radiology text that was heard right.

The corrector (``reporting.asr.correction``) restores terms the recogniser mis-heard; on a
correct transcript it should change nothing.  This feeds it text that is correct by
construction, as if Whisper had written every word right:

* the FINDINGS and IMPRESSION of the Open-i chest reports (``../shared/data/iu-cxr-dev.jsonl``),
  sentence by sentence;
* the sentences of the bundled phrasebook (``lexicons/asr_phrases.json``, every template's;
  our own wording, as a radiologist of any specialty might dictate them);
* every distinct word of the English RSNA RadReport / IHE MRRT templates and the CheXpert
  phrases under ``../shared/data/external/`` (many specialties), one word at a time.

A change that only joins or splits words ("air space" -> "airspace", "cardio mediastinal" ->
"cardiomediastinal") is spelling; a change of letters alters a word, and that is what is
counted as harm, although a few are real spelling fixes ("emphysemia" -> "emphysema") and
most are not ("hemoperitoneum" -> "pneumoperitoneum").  Two correctors run on the same text in the same run:
the **vocabulary only** baseline (the bundled terms and the template's, as the corrector was
built before it learned the phrasebooks' words) and **ours**, the dictation pipeline's
corrector for the chest template, once with every word heard surely and once as if the
recogniser had been unsure of every word (the worst case: a made-up word it was unsure of
may become a word of the template on a looser score, and stays flagged).

The same text, through the whole chest pipeline with every word sure, also counts the words
flagged as made up (``made_up_min_length``: neither English nor a term) and as unfamiliar
(``unfamiliar_min_length``: a word no report text we know holds): on text heard right
each such flag is one the radiologist must dismiss (or a misspelling in the source).

    .venv/bin/python benchmarks/corrector_eval.py [--show 30]
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dictation_eval import report_sentences  # noqa: E402

from reporting.asr.correction import Corrector, load_corrector  # noqa: E402
from reporting.asr.fake import transcript_from_text  # noqa: E402
from reporting.asr.models import default_model_dir  # noqa: E402
from reporting.asr.phrases import bundled_phrases  # noqa: E402
from reporting.asr.processing import TextPipeline, build_pipeline  # noqa: E402
from reporting.asr.vocabulary import template_terms  # noqa: E402
from reporting.templating import load_template  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
REPORTS = SHARED / "iu-cxr-dev.jsonl"
#: English sources only (the German MRRT templates beside them are not dictated in English)
WORD_SOURCES = [
    SHARED / "external" / "templates" / "rsna_radreport_via_openmrs",
    SHARED / "external" / "templates" / "openmrs_mrrt",
    SHARED / "external" / "templates" / "mdvthu_report_templates",
    SHARED / "external" / "lexicon-sources" / "chexpert",
]


def template_words(roots: list[Path]) -> list[str]:
    words: set[str] = set()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.stat().st_size > 5_000_000:
                continue
            text = html.unescape(path.read_text(encoding="utf-8", errors="ignore"))
            text = re.sub(r"<[^>]+>", " ", text)
            words.update(
                w.lower() for w in re.findall(r"(?<![A-Za-z])[A-Za-z]{5,}(?![A-Za-z])", text)
            )
    return sorted(words)


def _letters(text: str) -> str:
    return re.sub(r"[\s-]+", "", text.lower())


def changes(
    corrector: Corrector, texts: list[str], *, unsure: bool = False
) -> tuple[int, Counter[tuple[str, str]]]:
    """(words of ``texts``, how often each (heard, written) change of letters was made);
    ``unsure``: as if the recogniser had been unsure of every word."""
    made: Counter[tuple[str, str]] = Counter()
    n_words = 0
    for text in texts:
        n_words += len(text.split())
        doubted = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]*", text)} if unsure else ()
        for c in corrector.correct(text, doubted)[1]:
            if _letters(c.heard) != _letters(c.written):
                made[(c.heard.lower(), c.written.lower())] += 1
    return n_words, made


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", type=int, default=20, help="changes to list per corrector")
    args = parser.parse_args(argv)
    if not REPORTS.is_file():
        print(f"skipped: {REPORTS} is not available")
        return 0
    spec = load_template("chest_xr")
    folder = default_model_dir()
    model_folder = str(folder) if (folder / "vocabulary.json").is_file() else None
    baseline = load_corrector(model_folder=model_folder).with_terms(template_terms(spec))
    pipeline = build_pipeline(spec=spec, model_folder=model_folder)
    ours = pipeline.corrector
    corpora = {
        "Open-i report sentences": [s for s in report_sentences(REPORTS) if "XXXX" not in s],
        "bundled phrasebook sentences": list(bundled_phrases("").sentences),
        "template and CheXpert words": template_words([p for p in WORD_SOURCES if p.is_dir()]),
    }
    print("Words altered (letters changed) in text that was heard right, per 1,000 words:\n")
    print("| text (correct as heard) | words | vocabulary only | ours | ours, every word unsure |")
    print("|---|---|---|---|---|")
    shown: dict[str, list[str]] = {}
    for name, texts in corpora.items():
        row = [name]
        for label, corrector, unsure in (
            ("vocabulary only", baseline, False),
            ("ours", ours, False),
            ("ours, every word unsure", ours, True),
        ):
            n_words, made = changes(corrector, texts, unsure=unsure)
            total = sum(made.values())
            if len(row) == 1:
                row.append(f"{n_words:,}")
            row.append(f"{1000 * total / max(n_words, 1):.2f} ({total})")
            shown[f"{name}, {label}"] = [
                f"  {n:>3}  {heard} -> {written}"
                for (heard, written), n in made.most_common(args.show)
            ]
        print("| " + " | ".join(row) + " |")
    for title, lines in shown.items():
        print(f"\n{title}: most frequent changes")
        print("\n".join(lines) or "  (none)")
    for reason, what in (("made_up", "made up"), ("unfamiliar", "unfamiliar")):
        print(f"\nWords flagged as {what} in text that was heard right, per 1,000 words:\n")
        for name, texts in corpora.items():
            n_words, flagged = reason_flags(pipeline, texts, reason)
            total = sum(flagged.values())
            common = ", ".join(f"{w} {n}" for w, n in flagged.most_common(args.show))
            print(f"- {name}: {1000 * total / max(n_words, 1):.2f} ({total}): {common or 'none'}")
    return 0


def reason_flags(pipeline: TextPipeline, texts: list[str], reason: str) -> tuple[int, Counter[str]]:
    """(words of ``texts``, how often each word was flagged for ``reason``) when ``texts``
    come out of the recogniser exactly as written, every word sure."""
    flagged: Counter[str] = Counter()
    n_words = 0
    for text in texts:
        heard = transcript_from_text(text, default=0.99)
        n_words += len(text.split())
        for flag in pipeline.process(heard.text, heard.words).flags:
            if flag.reason == reason:
                flagged[flag.word.lower()] += 1
    return n_words, flagged


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

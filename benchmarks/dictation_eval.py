"""Dictation accuracy and speed on real report text spoken by synthetic voices.

Sentences from the FINDINGS and IMPRESSION of ../shared/data/iu-cxr-dev.jsonl (no redactions,
no digits) are grouped into utterances of up to ~15 s and spoken by espeak-ng and flite voices
at 16 kHz mono (cached under benchmarks/out/dictation/).  The systems run on the same clips in
the same process and the same run:

* baseline: plain faster-whisper, the same Whisper base model (int8, 2 threads, its own
  default beam of 5 whatever --beam-size says), no prompt, no VAD segmentation, no correction
  or formatting;
* prompt: the same with one static chest-radiograph prompt (the template's passage), the
  issue's second reference point; with the baseline, it shows how hard a clip set is next to
  the issue's reference clips (printed beside them);
* ours (``--systems``, default all three): the dictation path (VAD utterance segmenter,
  vocabulary prompt for the chest template, word timestamps and guards, vocabulary
  correction, formatting) as ``single`` (one decode per utterance), ``reporting`` (the
  default set-up: a quick first decode, the bundled phrasebook's sentences most like it
  recalled into the prompt of a second decode) and ``site`` (recalling site phrases too,
  learned as ``reporting phrases learn`` would from the Open-i dev reports, less every
  sentence of every clip set); each then listens once more for a voice command in a short
  last sentence (``reporting.asr.command_tail``), as ``reporting dictate`` does.

Five clip sets (``--set``), of different sentences: ``main`` (a quarter spoken by the TUNE
voices, the corrections' tuning material; the rest by the HELD-OUT voices the targets are
judged on), ``dev`` (tune voices only; what recall's settings were chosen on), ``fresh``
(held-out voices only; the sides it lost shaped the side rules), ``final`` (held-out
voices only, run only for the final figures) and ``reference`` (only the held-out voices
nearest the issue's reference clips, REFERENCE_VOICES).  Metrics: WER (lower case, punctuation removed),
radiology-term recall (terms of the chest template's topics and the anatomy lexicon, per
occurrence; one term whether its compound is written open, hyphenated or closed),
left/right (over clips whose reference or output names a side, the sequence of
side words matches; "or flagged" also counts a clip whose wrong side words are all flagged and
whose lost side left a side flag), real-time factor, total time relative to the
baseline, and end-of-utterance latency (VAD hang-over + final decode + text processing; p95
over utterances up to 15 s).

Whisper base on these voices is sensitive to frame alignment: the same clip 10 ms later can
lose or gain a word, which moves held-out WER by about 0.01.  Each clip is therefore scored at
several small delays (``--shifts-ms``, default 0, 10 and 21 ms) and the counts pooled.  The
real-time replay also measures the live path's revisions (``--latency-revise on,whole,off``).

    .venv/bin/python benchmarks/dictation_eval.py [--set fresh] [--systems reporting] [--errors]
    .venv/bin/python benchmarks/dictation_eval.py --latency-only --latency-clips 12 \
        --latency-windows 30,20      # old and new encoder window, clip by clip, same run
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import inspect
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


import numpy as np  # noqa: E402

from reporting.asr import TranscriberOptions, build_pipeline, load_transcriber  # noqa: E402
from reporting.asr.command_tail import dictation_transcriber  # noqa: E402
from reporting.asr.engine import OFFLINE_WORKERS  # noqa: E402
from reporting.asr.phrases import Phrasebook, bundled_phrases, learn_sentences  # noqa: E402
from reporting.audio import (  # noqa: E402
    ArraySource,
    Final,
    LiveRecognizer,
    Revision,
    SegmenterOptions,
    UtteranceSegmenter,
    load_audio,
)
from reporting.dictation import recognise  # noqa: E402
from reporting.templating import load_template  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "iu-cxr-dev.jsonl"
OUT = REPO / "benchmarks" / "out" / "dictation"
TUNE_VOICES = [("espeak", "en-us", 165), ("flite", "kal", 1.0)]
HELD_OUT_VOICES = [
    ("espeak", "en-gb", 150),
    ("espeak", "en+m3", 175),
    ("espeak", "en+f2", 160),
    ("espeak", "en-us", 190),
    ("flite", "slt", 1.0),
    ("flite", "awb", 1.1),
    ("flite", "rms", 0.95),
]
#: the held-out voices nearest the issue's reference clips for plain faster-whisper (no prompt:
#: WER 0.178, term recall 0.687; one static prompt: 0.094, 0.907): `voice_difficulty.py` on 24
#: clips of unused sentences measured every voice of both lists, and these three were the only
#: ones within 0.03 WER of it (flite slt 0.191 / 0.745, rms 0.95 0.196 / 0.706, awb 1.1 0.205 /
#: 0.627); every espeak voice scored 0.31-0.50 / 0.42-0.59, about twice the reference's errors.
#: They speak the ``reference`` set, chosen on the baselines alone, before any of ours ran on it.
REFERENCE_VOICES = [("flite", "slt", 1.0), ("flite", "rms", 0.95), ("flite", "awb", 1.1)]
#: the issue's reference points on its held-back clips (Whisper base, int8, 2 cores)
REFERENCE = {
    "baseline": {"wer": 0.178, "term_recall": 0.687, "left_right": 0.886},
    "prompt": {"wer": 0.094, "term_recall": 0.907, "left_right": 0.909},
}
TARGETS = {"wer": 0.06, "term_recall": 0.97, "time_ratio": 1.3, "latency_p95": 1.5}
SIDE = re.compile(r"\b(left|right)\b")


@dataclass(frozen=True)
class Clip:
    key: str
    text: str
    engine: str
    voice: str
    speed: float
    split: str  # "tune" | "held_out"


def report_sentences(path: Path) -> list[str]:
    """Every sentence of the FINDINGS and IMPRESSION of the reports in ``path`` (JSONL)."""
    found: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        for name in ("FINDINGS", "IMPRESSION"):
            m = re.search(rf"{name}:\s*(.*?)(?:\n[A-Z ]+:|\Z)", text, re.S)
            if m:
                body = " ".join(m.group(1).split())
                found.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", body) if s.strip())
    return found


def sentences_from_reports(path: Path) -> list[str]:
    """The sentences worth speaking: no redactions, no digits, three words or more."""
    return [
        s
        for s in report_sentences(path)
        if "XXXX" not in s and not re.search(r"\d", s) and len(s.split()) >= 3
    ]


def sentence_keys(text: str) -> list[str]:
    """The normalised words of each sentence of ``text`` (how clip and phrase sentences are
    compared)."""
    return [" ".join(words(s)) for s in re.split(r"(?<=[.!?])\s+", text) if words(s)]


def build_set(
    n_clips: int,
    seed: int = 7,
    *,
    exclude: frozenset[str] = frozenset(),
    tune_share: float = 0.25,
    prefix: str = "",
    voices: list[tuple[str, str, float]] = HELD_OUT_VOICES,
) -> list[Clip]:
    """``n_clips`` clips of report sentences (``exclude``: sentence keys not to use); the
    first ``tune_share`` of them spoken by the tune voices, the rest by ``voices`` (default:
    the held-out voices); keys (and audio file names) start with ``prefix``."""
    rng = random.Random(seed)
    sentences = sorted(
        s for s in set(sentences_from_reports(DATA)) if " ".join(words(s)) not in exclude
    )
    rng.shuffle(sentences)
    sided = [s for s in sentences if SIDE.search(s.lower())]
    plain = [s for s in sentences if not SIDE.search(s.lower())]
    texts: list[str] = []
    while len(texts) < n_clips and (sided or plain):
        pool = sided if (len(texts) % 2 == 0 and sided) else plain or sided
        group = [pool.pop()]
        while rng.random() < 0.5 and plain and len(" ".join(group).split()) < 22:
            group.append(plain.pop())
        if len(" ".join(group).split()) <= 34:
            texts.append(" ".join(group))
    n_tune = round(n_clips * tune_share)
    clips: list[Clip] = []
    for i, text in enumerate(texts):
        split = "tune" if i < n_tune else "held_out"
        engine, voice, speed = rng.choice(TUNE_VOICES if split == "tune" else voices)
        key = f"{prefix}{i:03d}-{engine}-{voice.replace('+', '_')}-{speed}"
        clips.append(Clip(key, text, engine, voice, speed, split))
    return clips


#: the clip sets, in the order they are built: each of sentences none of the earlier ones holds
#: (``calibration``: 24 clips of sentences that `voice_difficulty.py` has every voice speak)
SETS = ("main", "fresh", "dev", "final", "reference")
CALIBRATION_CLIPS = 24
#: clips per set (``--clips``); the sets are built in turn, so each one's sentences depend on it
DEFAULT_CLIPS = 72


def clip_sets(n_clips: int) -> tuple[dict[str, list[Clip]], frozenset[str]]:
    """Every clip set of ``n_clips`` clips by name (and the ``calibration`` set), and the
    sentence keys of them all (which the site phrases, and any other set, must not hold)."""
    sets: dict[str, list[Clip]] = {}
    used: frozenset[str] = frozenset()
    recipes: dict[str, dict[str, Any]] = {
        "main": {},
        "fresh": {"seed": 8, "tune_share": 0, "prefix": "fresh-"},
        "dev": {"seed": 9, "tune_share": 1, "prefix": "dev-"},
        "final": {"seed": 10, "tune_share": 0, "prefix": "final-"},
        "calibration": {"seed": 31, "tune_share": 0, "prefix": "cal-"},
        "reference": {
            "seed": 11,
            "tune_share": 0,
            "prefix": "ref-",
            "voices": REFERENCE_VOICES,
        },
    }
    for name, recipe in recipes.items():
        size = CALIBRATION_CLIPS if name == "calibration" else n_clips
        sets[name] = build_set(size, exclude=used, **recipe)
        used = used | {k for c in sets[name] for k in sentence_keys(c.text)}
    return sets, used


def missing_requirement() -> str:
    """What the clip sets need and this machine lacks (the Open-i reports, a synthesiser,
    sox), or an empty string."""
    if not DATA.exists():
        return f"{DATA} is not available"
    for tool in ("espeak-ng", "flite", "sox"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return ""


def plain_decode(model: Any, audio: np.ndarray, prompt: str | None = None) -> tuple[str, float]:
    """Plain faster-whisper's text of ``audio`` (``prompt``: its one initial prompt; no VAD,
    no correction) and the seconds the decode took."""
    started = time.perf_counter()
    segments, _ = model.transcribe(audio, language="en", initial_prompt=prompt)
    text = " ".join(s.text.strip() for s in segments)
    return text, time.perf_counter() - started


def synthesise(clip: Clip) -> Path:
    """The clip's audio, spoken once and cached; the text spoken is kept beside it, so a clip
    whose key now names other words is spoken again rather than scored against old audio."""
    wav = OUT / "audio" / f"{clip.key}.wav"
    said = wav.with_suffix(".txt")
    if wav.exists() and said.exists() and said.read_text(encoding="utf-8") == clip.text:
        return wav
    wav.parent.mkdir(parents=True, exist_ok=True)
    raw = wav.with_suffix(".raw.wav")
    if clip.engine == "espeak":
        subprocess.run(
            ["espeak-ng", "-v", clip.voice, "-s", str(int(clip.speed)), "-w", str(raw), clip.text],
            check=True,
        )
    else:
        subprocess.run(
            [
                "flite",
                "-voice",
                clip.voice,
                "--setf",
                f"duration_stretch={clip.speed}",
                "-t",
                clip.text,
                "-o",
                str(raw),
            ],
            check=True,
        )
    # a little silence either side, as a microphone would record
    subprocess.run(
        ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav), "pad", "0.3", "0.3"],
        check=True,
    )
    raw.unlink()
    said.write_text(clip.text, encoding="utf-8")
    return wav


def voice_label(clip: Clip) -> str:
    """'espeak en-us 165', 'flite kal 1' ...: the synthesiser, its voice and its speed."""
    return f"{clip.engine} {clip.voice} {clip.speed:g}"


def words(text: str) -> list[str]:
    text = text.lower().replace("-", " ")
    return re.findall(r"[a-z0-9.%]+(?:'[a-z]+)?", re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text))


def wer_counts(ref: str, hyp: str) -> tuple[int, int]:
    from rapidfuzz.distance import Levenshtein

    r, h = words(ref), words(hyp)
    return Levenshtein.distance(r, h), len(r)


#: the processed text of each piece of a clip, with its flags' (start, end, reason)
Pieces = list[tuple[str, list[tuple[int, int, str]]]]


def flagged_words(pieces: Pieces) -> tuple[list[str], list[str | None]]:
    """The normalised words written in ``pieces`` and, for each, the reason of a flag over it
    (None when none is)."""
    hyp: list[str] = []
    reasons: list[str | None] = []
    for text, spans in pieces:
        for m in re.finditer(r"\S+", text):
            over = [r for a, b, r in spans if a < m.end() and m.start() < b]
            for w in words(m.group(0)):
                hyp.append(w)
                reasons.append(over[0] if over else None)
    return hyp, reasons


def wrong_written(ref: str, hyp: list[str]) -> list[bool]:
    """For each normalised written word of ``hyp``, whether the word alignment with ``ref``
    substitutes or inserts it."""
    from rapidfuzz.distance import Levenshtein

    bad = [False] * len(hyp)
    for op in Levenshtein.editops(words(ref), hyp):
        if op.tag in ("replace", "insert"):
            bad[op.dest_pos] = True
    return bad


def load_terms() -> list[str]:
    spec = load_template("chest_xr")
    terms = {t.lower() for topic in spec.required_topics for t in topic.terms}
    anatomy = json.loads((REPO / "lexicons" / "anatomy.json").read_text())
    for concept in anatomy.get("concepts", {}).values():
        terms.update(t.lower() for t in concept.get("terms", []))
    return sorted((t for t in terms if len(t) >= 4), key=len, reverse=True)


@functools.cache
def term_patterns(terms: tuple[str, ...]) -> list[re.Pattern[str]]:
    """One pattern per term, longest first, matching it written open, hyphenated or closed
    ("air space", "air-space", "airspace": the same term, and both spellings are in the Open-i
    reports); spellings of one term that differ only so count once."""
    spelled: dict[str, list[str]] = {}
    for term in terms:
        spelled.setdefault("".join(words(term)), []).append(term)
    patterns = []
    for variants in spelled.values():
        parts = max((words(t) for t in variants), key=len)
        patterns.append(re.compile(r"\b" + " ?".join(re.escape(p) for p in parts) + r"\b"))
    return patterns


def term_hits(terms: list[str], ref: str, hyp: str) -> tuple[int, int]:
    """(occurrences of ``terms`` in ``ref`` that ``hyp`` also holds, occurrences in ``ref``)."""
    r, h = " ".join(words(ref)), " ".join(words(hyp))
    total = found = 0
    for pat in term_patterns(tuple(terms)):
        n_ref = len(pat.findall(r))
        if n_ref:
            total += n_ref
            found += min(n_ref, len(pat.findall(h)))
    return found, total


def finding_states(text: str) -> Counter[tuple[str, bool]]:
    """The findings and devices our NLP reads in ``text``, each with whether it is negated."""
    from reporting.nlp import cached_analysis

    mentions = cached_analysis(text).mentions
    return Counter((m.concept, m.negated) for m in mentions if m.kind != "anatomy")


def finding_counts(ref: str, hyp: str) -> tuple[int, int, int]:
    """(findings said, of them read in ``hyp`` as said, of them read with the opposite
    negation): what a reader of the report, or our QA checks, would take from the text.  A
    finding read negated where it was said present (or the reverse) is the error that harms a
    patient; word error rate weighs it like any other word and ignores the full stop that
    causes it ("No focal consolidation. Large pleural effusion or pneumothorax.")."""
    said, heard = finding_states(ref), finding_states(hyp)
    total = same = flipped = 0
    for (concept, negated), n in said.items():
        kept = min(n, heard[(concept, negated)])
        extra = heard[(concept, not negated)] - said[(concept, not negated)]
        total, same, flipped = total + n, same + kept, flipped + min(n - kept, max(0, extra))
    return total, same, flipped


@dataclass
class Score:
    edits: int = 0
    ref_words: int = 0
    terms_found: int = 0
    terms_total: int = 0
    side_clips: int = 0
    side_correct: int = 0
    side_flagged: int = 0
    #: findings said, read as said, read with the opposite negation (:func:`finding_counts`)
    findings: int = 0
    findings_same: int = 0
    findings_flipped: int = 0
    seconds: float = 0.0
    audio: float = 0.0
    latencies: list[float] = field(default_factory=list)
    # doubtful-word flags: words written, words wrong, flagged words by (reason, wrong)
    hyp_words: int = 0
    wrong: int = 0
    reasons: Counter[tuple[str, bool]] = field(default_factory=Counter)

    def add_flags(self, ref: str, pieces: Pieces) -> None:
        """Count the doubtful-word flags of the processed text of each piece (with its flag
        spans) against ``ref``.  A written word is wrong when the word alignment with the
        reference substitutes or inserts it; words the recogniser dropped cannot be flagged
        and are not counted."""
        hyp, reasons = flagged_words(pieces)
        bad = wrong_written(ref, hyp)
        self.hyp_words += len(hyp)
        self.wrong += sum(bad)
        self.reasons.update((r, b) for r, b in zip(reasons, bad, strict=True) if r is not None)

    @property
    def flagged(self) -> int:
        return sum(self.reasons.values())

    @property
    def flagged_wrong(self) -> int:
        return sum(n for (_, wrong), n in self.reasons.items() if wrong)

    def flag_row(self) -> dict[str, float]:
        return {
            "flags_per_100_words": 100 * self.flagged / max(1, self.hyp_words),
            "flag_precision": self.flagged_wrong / max(1, self.flagged),
            "wrong_words_flagged": self.flagged_wrong / max(1, self.wrong),
        }

    def row(self) -> dict[str, float]:
        lat = sorted(self.latencies)
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))] if lat else float("nan")
        return {
            "wer": self.edits / max(1, self.ref_words),
            "term_recall": self.terms_found / max(1, self.terms_total),
            "left_right": self.side_correct / max(1, self.side_clips),
            "left_right_or_flagged": (self.side_correct + self.side_flagged)
            / max(1, self.side_clips),
            "findings_as_said": self.findings_same / max(1, self.findings),
            "negation_flips": self.findings_flipped,
            "rtf": self.seconds / max(1e-9, self.audio),
            "seconds": self.seconds,
            "latency_p95": p95,
        }


@dataclass
class Replay:
    """End-of-utterance latencies and live text errors of one real-time replay set-up."""

    latencies: list[float] = field(default_factory=list)
    speculative: int = 0
    edits: int = 0
    words: int = 0
    #: the live text once the revisions (whole-utterance re-decodes) have replaced the finals
    revised_edits: int = 0
    revisions: int = 0
    #: seconds from the end of speech to each revision
    revision_delays: list[float] = field(default_factory=list)

    def pct(self, q: float, values: list[float] | None = None) -> float:
        lat = sorted(self.latencies if values is None else values)
        return lat[min(len(lat) - 1, int(round(q * (len(lat) - 1))))] if lat else float("nan")

    @property
    def wer(self) -> float:
        return self.edits / max(1, self.words)

    @property
    def revised_wer(self) -> float:
        return self.revised_edits / max(1, self.words)


def score_sides(score: Score, ref: str, hyp: str, pieces: Pieces | None) -> bool:
    """Count a clip whose reference or output names a side (a side written where none was
    said is as wrong as a flipped one); True when the sides match.  A wrong side counts as
    flagged (``pieces``: our systems' flags) only when the radiologist is asked about it:
    every side word written in the wrong place is flagged, and a side that was said but not
    written has a side flag somewhere in the clip."""
    from rapidfuzz.distance import Levenshtein

    ref_sides, hyp_sides = SIDE.findall(ref.lower()), SIDE.findall(hyp.lower())
    if not ref_sides and not hyp_sides:
        return True
    score.side_clips += 1
    if hyp_sides == ref_sides:
        score.side_correct += 1
        return True
    if pieces is None:
        return False
    said, (written, reasons) = words(ref), flagged_words(pieces)
    wrong_written = lost = False
    for op in Levenshtein.editops(said, written):
        side_in = op.tag != "insert" and said[op.src_pos] in ("left", "right")
        side_out = op.tag != "delete" and written[op.dest_pos] in ("left", "right")
        if side_out and reasons[op.dest_pos] is None:
            wrong_written = True
        if side_in and not side_out:
            lost = True
    if not wrong_written and (not lost or "side" in reasons):
        score.side_flagged += 1
    return False


#: set-ups of our dictation path the offline run can compare (``--systems``)
SYSTEMS = {
    "single": "one decode per utterance with the template passage as prompt (no recall)",
    "reporting": "the default: a quick first decode, the bundled phrasebook's sentences most "
    "like it recalled into the prompt, a second decode",
    "site": "as reporting, recalling from the bundled phrasebook and site phrases learned "
    "from the Open-i dev reports (never a sentence of any clip set)",
}


def site_phrases(unseen: frozenset[str]) -> Phrasebook:
    """Sentences of the Open-i dev reports' FINDINGS and IMPRESSION as ``reporting phrases
    learn`` would keep them, less every sentence whose key is in ``unseen``."""
    texts = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        for name in ("FINDINGS", "IMPRESSION"):
            m = re.search(rf"{name}:\s*(.*?)(?:\n[A-Z ]+:|\Z)", text, re.S)
            if m:
                texts.append(m.group(1))
    kept = [s for s, _ in learn_sentences(texts) if " ".join(words(s)) not in unseen]
    return Phrasebook(tuple(kept))


@dataclass(frozen=True)
class System:
    """One set-up of our dictation path: its transcriber and text pipeline."""

    name: str
    transcriber: Any
    pipeline: Any

    @classmethod
    def build(cls, name: str, engine: Any, spec: Any, folder: str, site: Phrasebook) -> System:
        if name == "single":
            pipeline = build_pipeline(spec=spec, model_folder=folder, phrases=Phrasebook())
            return cls(name, dictation_transcriber(engine, pipeline), pipeline)
        phrases = bundled_phrases(spec.id) + (site if name == "site" else Phrasebook())
        pipeline = build_pipeline(spec=spec, model_folder=folder, phrases=phrases)
        return cls(name, dictation_transcriber(engine, pipeline), pipeline)


def print_tallies(title: str, tallies: dict[tuple[str, str], list[int]], names: list[str]) -> None:
    """One row per system, one column per group: WER / term recall of ``tallies`` (edits,
    reference words, terms found, terms said per (system, group))."""
    groups = sorted({g for _, g in tallies})
    print(f"{title:26s} " + " ".join(f"{g:>18s}" for g in groups))
    for system in names:
        cells = []
        for g in groups:
            e, n, f, t = tallies.get((system, g), [0, 0, 0, 0])
            cells.append(f"{e / max(1, n):8.3f} / {f / max(1, t):.3f}" if n else " " * 18)
        print(f"{system:26s} " + " ".join(f"{c:>18s}" for c in cells))


def listed(option: str, default: str) -> list[str]:
    """The items of a comma-separated option; ``[default]`` when it names none."""
    return [x.strip() for x in option.split(",") if x.strip()] or [default]


def window_options(options: TranscriberOptions, spec: str) -> TranscriberOptions:
    """``options`` with the encoder windows of ``spec``: ``MAX`` or ``MIN-MAX`` seconds, and
    one decode at a time, as the live path runs."""
    low, _, high = spec.rpartition("-")
    longest = float(high)
    shortest = float(low) if low else min(options.min_window_s, longest)
    return dataclasses.replace(options, window_s=longest, min_window_s=shortest, workers=1)


def pause_options(options: SegmenterOptions, spec: str) -> SegmenterOptions:
    """``options`` with the pauses of ``spec``: ``PAUSE`` or ``PAUSE/BRIEF`` milliseconds."""
    pause, _, brief = spec.partition("/")
    full = int(pause)
    return dataclasses.replace(
        options, pause_ms=full, brief_pause_ms=int(brief) if brief else min(full, 96)
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clips", type=int, default=DEFAULT_CLIPS)
    parser.add_argument(
        "--set",
        choices=SETS,
        default="main",
        help="main: the clip set the corrections were tuned beside (tune voices for tuning, "
        "held-out voices for judging); dev: as many clips of other sentences, all spoken by "
        "the tune voices, for tuning recall; fresh: other sentences again, all held-out "
        "voices (its lost sides shaped the side rules); final: other sentences again, "
        "held-out voices, looked at only for the final figures; reference: other sentences "
        "again, spoken only by the held-out voices nearest the issue's reference clips for "
        "plain faster-whisper (REFERENCE_VOICES)",
    )
    parser.add_argument(
        "--systems",
        default="single,reporting,site",
        help="comma-separated set-ups of ours to run beside the baseline: "
        + "; ".join(f"{k}: {v}" for k, v in SYSTEMS.items()),
    )
    parser.add_argument("--errors", action="store_true", help="print the tune-voice mistakes")
    parser.add_argument(
        "--beam-size",
        type=int,
        default=None,
        help="beam of the dictation path (default: TranscriberOptions' own); the baseline "
        "keeps faster-whisper's default",
    )
    parser.add_argument(
        "--compute-type",
        default=None,
        help="CTranslate2 compute type of the model both systems use (default: "
        "TranscriberOptions' own, int8), e.g. float32",
    )
    parser.add_argument(
        "--shifts-ms",
        default="0,10,21",
        help="comma-separated delays (ms of silence before each clip), e.g. 0,10,21: every "
        "clip is scored at each, pooled.  Moving a clip by 10-20 ms moves held-out WER by about "
        "0.01 (frame alignment), so one alignment cannot tell smaller differences apart",
    )
    parser.add_argument(
        "--latency-clips", type=int, default=12, help="held-out clips replayed in real time"
    )
    parser.add_argument("--latency-only", action="store_true", help="only the real-time replay")
    parser.add_argument(
        "--no-partials", action="store_true", help="replay without partial hypotheses"
    )
    parser.add_argument(
        "--no-commit",
        action="store_true",
        help="replay decoding each utterance whole at its end (no committed pieces)",
    )
    parser.add_argument(
        "--latency-skip", type=int, default=0, help="skip this many held-out clips in the replay"
    )
    parser.add_argument(
        "--window-s",
        type=float,
        default=None,
        help="encoder window in seconds for short audio (default: TranscriberOptions' own)",
    )
    parser.add_argument(
        "--min-window-s",
        type=float,
        default=None,
        help="shortest encoder window in seconds (default: TranscriberOptions' own; equal to "
        "--window-s for one fixed window)",
    )
    parser.add_argument(
        "--pause-ms",
        type=int,
        default=None,
        help="shortest pause at which the live path commits the speech before it "
        "(default: SegmenterOptions' own)",
    )
    parser.add_argument(
        "--latency-pauses",
        default="",
        help="comma-separated pauses to compare in the replay, like --latency-windows: PAUSE or "
        "PAUSE/BRIEF milliseconds (SegmenterOptions.pause_ms and brief_pause_ms)",
    )
    parser.add_argument(
        "--latency-pieces",
        default="",
        help="comma-separated live piece settings to compare in the replay: MIN_CHUNK/LONG_RUN "
        "seconds (LiveRecognizer.min_chunk_s and long_run_s; default: its own)",
    )
    parser.add_argument(
        "--latency-revise",
        default="on",
        help="comma-separated revision set-ups to replay: on (the default: every final "
        "reconsidered with recalled sentences, RecallingTranscriber as LiveRecognizer's "
        "reviser), whole (finals joined from pieces decoded again whole, no recall) and off",
    )
    parser.add_argument(
        "--latency-stream",
        type=int,
        default=1,
        help="replay this many clips in a row as one dictation (default 1: each alone)",
    )
    parser.add_argument(
        "--latency-gap-s",
        type=float,
        default=0.8,
        help="with --latency-stream: seconds of silence between the clips (default 0.8)",
    )
    parser.add_argument(
        "--latency-windows",
        default="",
        help="comma-separated encoder windows to compare in the replay, clip by clip in "
        "alternating order: MAX or MIN-MAX seconds (e.g. 20-20,15-20 compares one fixed 20 s "
        "window with windows fitted from 15 to 20 s); default: only --window-s",
    )
    args = parser.parse_args(argv)
    missing = missing_requirement()
    if missing:
        print(f"skipped: {missing}")
        return 0
    every_set, unseen = clip_sets(args.clips)
    clips = every_set[args.set]
    paths = [synthesise(c) for c in clips]
    terms = load_terms()

    window = {} if args.window_s is None else {"window_s": args.window_s}
    decoding = {} if args.beam_size is None else {"beam_size": args.beam_size}
    if args.compute_type is not None:
        decoding["compute_type"] = args.compute_type
    if args.min_window_s is not None:
        window["min_window_s"] = args.min_window_s
    # the utterances of a clip are decoded as `reporting dictate` decodes them, two at once
    transcriber = load_transcriber(
        TranscriberOptions(cpu_threads=2, workers=OFFLINE_WORKERS, **window, **decoding)
    )
    transcriber.warm_up()
    model = transcriber.model
    spec = load_template("chest_xr")
    folder = transcriber.resolved.location
    pipeline = build_pipeline(spec=spec, model_folder=folder)
    # the site phrases never hold a sentence of any clip set
    site = site_phrases(unseen)
    systems = listed(args.systems, "reporting")
    for name in systems:
        if name not in SYSTEMS:
            parser.error(f"--systems: unknown system {name!r} (known: {', '.join(SYSTEMS)})")
    ours = {name: System.build(name, transcriber, spec, folder, site) for name in systems}
    print(
        f"site phrases: {len(site)} sentences learned from {DATA.name} (none of the "
        f"{len(unseen)} sentences of any clip set)",
        file=sys.stderr,
    )
    seg_opts = SegmenterOptions()
    if args.pause_ms is not None:
        seg_opts = pause_options(seg_opts, str(args.pause_ms))
    hangover = seg_opts.min_silence_ms / 1000

    names = ["baseline", "prompt", *systems]
    scores = {(system, split): Score() for system in names for split in ("tune", "held_out")}
    errors: list[str] = []
    results = []
    shifts = [float(x) for x in listed(args.shifts_ms, "0")]
    # held-out WER of each system at each shift: (edits, reference words)
    by_shift = {(system, sh): [0, 0] for system in names for sh in shifts}
    # WER and term recall of each system for each voice: [edits, reference words, terms found,
    # terms said]; a few voices can carry most of the errors
    by_voice: dict[tuple[str, str], list[int]] = {}
    #: held-out voices of each synthesiser: flite's are nearer the issue's reference clips
    #: (plain faster-whisper about 0.2 WER there) than espeak's (about 0.45)
    by_engine: dict[tuple[str, str], list[int]] = {}
    runs = [(c, p, sh) for c, p in zip(clips, paths, strict=True) for sh in shifts]
    for clip, path, shift in runs:
        if args.latency_only:
            break
        # the whole clip a few ms later: the same speech, differently aligned with the VAD's
        # and the encoder's frames
        audio = np.concatenate([np.zeros(int(16 * shift), np.float32), load_audio(path)])
        duration = audio.size / 16000
        # ---- baseline: plain faster-whisper; and the issue's second reference point, the
        # same with one static prompt (the template's passage)
        base_text, base_s = plain_decode(model, audio)
        prompt_text, prompt_s = plain_decode(model, audio, pipeline.prompt)
        outputs = [("baseline", base_text, base_s, None), ("prompt", prompt_text, prompt_s, None)]
        row = {"clip": clip.key, "split": clip.split, "shift_ms": shift, "ref": clip.text,
               "baseline": base_text, "prompt": prompt_text,
               "duration": round(duration, 2)}  # fmt: skip
        # ---- ours: segmenter + prompt (+ recall) + guards + correction + formatting
        for name, setup in ours.items():
            started = time.perf_counter()
            pieces = recognise(
                audio,
                setup.transcriber,
                prompt=setup.pipeline.prompt,
                segmenter=UtteranceSegmenter(seg_opts),
            )
            texts, lat = [], []
            flag_spans: Pieces = []
            for piece in pieces:
                t0 = time.perf_counter()
                processed = setup.pipeline.process(piece.transcript.text, piece.transcript.words)
                texts.append(processed.text)
                spans = [(f.start, f.end, f.reason) for f in processed.flags]
                flag_spans.append((processed.text, spans))
                lat.append(hangover + piece.seconds + (time.perf_counter() - t0))
            # the pieces as `reporting dictate` and `transcribe` join them
            text = setup.pipeline.join(texts, [p.transcript.text for p in pieces])
            outputs.append((name, text, time.perf_counter() - started, (lat, flag_spans, pieces)))
            row[name] = text
            # what the radiologist is asked to confirm: [word, reason] of each flag
            row[f"{name}_flags"] = [[t[a:b], r] for t, spans in flag_spans for a, b, r in spans]
        for system, hyp, secs, extra in outputs:
            sc = scores[(system, clip.split)]
            e, n = wer_counts(clip.text, hyp)
            sc.edits += e
            sc.ref_words += n
            if clip.split == "held_out":
                by_shift[(system, shift)][0] += e
                by_shift[(system, shift)][1] += n
            f, t = term_hits(terms, clip.text, hyp)
            sc.terms_found += f
            sc.terms_total += t
            tallies = [by_voice.setdefault((system, voice_label(clip)), [0, 0, 0, 0])]
            if clip.split == "held_out":
                tallies.append(by_engine.setdefault((system, clip.engine), [0, 0, 0, 0]))
            for tally in tallies:
                for i, x in enumerate((e, n, f, t)):
                    tally[i] += x
            found = finding_counts(clip.text, hyp)
            sc.findings += found[0]
            sc.findings_same += found[1]
            sc.findings_flipped += found[2]
            sc.seconds += secs
            sc.audio += duration
            sides_ok = score_sides(sc, clip.text, hyp, extra[1] if extra else None)
            if extra is not None:
                lat, flag_spans, pieces = extra
                sc.latencies.extend(lat if duration <= 15.5 else [])
                sc.add_flags(clip.text, flag_spans)
                if (e or not sides_ok) and (args.errors and clip.split == "tune"):
                    errors.append(
                        f"[{clip.key} {system}]\n  ref: {clip.text}\n  hyp: {hyp}\n  raw: "
                        f"{' | '.join(p.transcript.text for p in pieces)}"
                    )
        results.append(row)
        print(
            f"  {len(results):3d}/{len(runs)} {clip.key:32s} {duration:5.1f}s",
            file=sys.stderr,
            flush=True,
        )

    # ---- end-of-utterance latency: replay held-out clips in real time through the live path
    # (VAD segmenter, partial hypotheses, committed pieces / speculative final decode); with
    # several encoder windows, each clip is replayed once per window, in alternating order, so
    # machine load falls on all of them alike
    opts = transcriber.options
    windows = listed(args.latency_windows, f"{opts.min_window_s:g}-{opts.window_s:g}")
    engines = {w: load_transcriber(window_options(opts, w)) for w in windows}
    pauses = listed(args.latency_pauses, f"{seg_opts.pause_ms}/{seg_opts.brief_pause_ms}")
    own = inspect.signature(LiveRecognizer).parameters
    own_long_run = own["long_run_s"].default
    live_default = f"{own['min_chunk_s'].default:g}/{own_long_run:g}"
    cuts = listed(args.latency_pieces, live_default)
    revising = listed(args.latency_revise, "on")
    setups = [(w, p, c, r) for w in windows for p in pauses for c in cuts for r in revising]
    replays = {setup: Replay() for setup in setups}
    pad = seg_opts.speech_pad_ms / 1000
    replay = [(c, p) for c, p in zip(clips, paths, strict=True) if c.split == "held_out"][
        args.latency_skip : args.latency_skip + args.latency_clips
    ]
    # what is replayed: each clip alone, or --latency-stream clips in a row with a short pause
    # between them (dictation going on, so a revision's decode may hold up the next final)
    played = [(c, load_audio(p)) for c, p in replay]
    played = [(c, a) for c, a in played if a.size / 16000 <= 15.5]
    gap = np.zeros(int(args.latency_gap_s * 16000), np.float32)
    streams = []
    for first in range(0, len(played), args.latency_stream):
        group = played[first : first + args.latency_stream]
        pieces = [x for _, a in group for x in (a, gap)][:-1]
        # the speaker pauses after the last utterance (the VAD hears the end, as live)
        audio = np.concatenate([*pieces, np.zeros(16000, np.float32)])
        streams.append((" ".join(c.text for c, _ in group), audio))
    for k, (said_text, audio) in enumerate(streams):
        for w, pause, cut, revise in setups if k % 2 == 0 else setups[::-1]:
            engine = engines[w]
            min_chunk, _, long_run = cut.partition("/")
            live = LiveRecognizer(
                engine,
                segmenter=UtteranceSegmenter(pause_options(seg_opts, pause)),
                prompt=pipeline.prompt,
                partials=not args.no_partials,
                partial_transcriber=engine.for_partials(),
                commit=not args.no_commit,
                min_chunk_s=float(min_chunk),
                long_run_s=float(long_run or own_long_run),
                revise=revise in ("on", "whole") and not args.no_commit,
                reviser=dictation_transcriber(engine, pipeline) if revise == "on" else None,
            )
            rep = replays[(w, pause, cut, revise)]
            t0 = time.monotonic()
            said: dict[int, str] = {}
            revised: dict[int, str] = {}
            for event in live.run(ArraySource(audio, realtime=True).blocks()):
                if isinstance(event, (Final, Revision)):
                    index = event.utterance.index
                    text = pipeline.process(event.transcript.text, event.transcript.words).text
                    speech_end = t0 + event.utterance.end - pad
                    revised[index] = text
                if isinstance(event, Final):
                    said[index] = text
                    rep.latencies.append(time.monotonic() - speech_end)
                    rep.speculative += event.speculative
                elif isinstance(event, Revision):
                    rep.revisions += 1
                    rep.revision_delays.append(time.monotonic() - speech_end)
            e, n = wer_counts(said_text, " ".join(said[i] for i in sorted(said)))
            rep.edits += e
            rep.words += n
            rep.revised_edits += wer_counts(
                said_text, " ".join(revised[i] for i in sorted(revised))
            )[0]
    # the headline is the default set-up (the encoder window and pause users get)
    default = (
        f"{opts.min_window_s:g}-{opts.window_s:g}",
        f"{seg_opts.pause_ms}/{seg_opts.brief_pause_ms}",
        live_default,
        "on",
    )
    rep = replays.get(default, replays[setups[0]])
    latencies = rep.latencies
    pct = rep.pct

    def print_replays() -> None:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        for (w, pause, cut, revise), r in replays.items():
            print(
                f"end-of-utterance latency ({w} s encoder window, {pause} ms pauses/brief pauses "
                f"commit, pieces from {cut} s min-chunk/long-run, revisions {revise}), "
                f"real-time replay of {len(played)} held-out clips"
                f"{f' in dictations of {args.latency_stream}' if args.latency_stream > 1 else ''}"
                f" ({len(r.latencies)} utterances, {r.speculative} "
                f"decoded ahead): p50 {r.pct(0.5):.2f} s, p95 {r.pct(0.95):.2f} s, max "
                f"{r.pct(1.0):.2f} s (target p95 <= {TARGETS['latency_p95']} s, VAD hang-over "
                f"{hangover:.2f} s included); WER of the live text {r.wer:.3f}"
            )
            if r.revisions:
                print(
                    f"  {r.revisions} revisions (whole-utterance re-decodes that changed the "
                    f"text), end of speech to revision p50 {r.pct(0.5, r.revision_delays):.2f} s, "
                    f"p95 {r.pct(0.95, r.revision_delays):.2f} s; WER of the live text after "
                    f"revisions {r.revised_wer:.3f}"
                )
        print(f"load average after the replay: {load}")

    if args.latency_only:
        print_replays()
        return 0
    table = {
        f"{system}/{split}": scores[(system, split)].row()
        for system, split in scores
        if scores[(system, split)].ref_words
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(
        json.dumps(
            {
                "table": table,
                "flags": {
                    f"{name}/{split}": scores[(name, split)].flag_row()
                    for name in systems
                    for split in ("tune", "held_out")
                },
                "latencies": latencies,
                "by_voice": {
                    f"{system}/{v}": {"wer": e / max(1, n), "term_recall": f / max(1, t)}
                    for (system, v), (e, n, f, t) in sorted(by_voice.items())
                },
                "by_engine": {
                    f"{system}/{engine}": {"wer": e / max(1, n), "term_recall": f / max(1, t)}
                    for (system, engine), (e, n, f, t) in sorted(by_engine.items())
                },
                "clips": results,
            },
            indent=1,
        )
    )
    print(
        f"dictation_eval: {len(clips)} clips ({sum(c.split == 'tune' for c in clips)} tune voices, "
        f"{sum(c.split == 'held_out' for c in clips)} held-out), beam {transcriber.options.beam_size} "
        f"(baseline 5), 2 threads, each clip at {len(shifts)} shift(s): "
        f"{', '.join(f'{sh:g}' for sh in shifts)} ms"
    )
    head = (
        f"{'system / voices':26s} {'WER':>6s} {'terms':>6s} {'L/R':>6s} {'L/R|flag':>8s} "
        f"{'found':>6s} {'flips':>5s} {'RTF':>6s} {'time s':>7s}"
    )
    print(head)
    for key, row in table.items():
        print(
            f"{key:26s} {row['wer']:6.3f} {row['term_recall']:6.3f} {row['left_right']:6.3f} "
            f"{row['left_right_or_flagged']:8.3f} {row['findings_as_said']:6.3f} "
            f"{row['negation_flips']:5d} {row['rtf']:6.3f} {row['seconds']:7.1f}"
        )
    print(
        "found: findings and devices our NLP reads in the output as they were said, present "
        "or negated; flips: of them, read with the opposite negation"
    )
    if len(shifts) > 1:
        for system in names:
            each = ", ".join(
                f"{sh:g} ms {e / max(1, n):.3f}"
                for (name, sh), (e, n) in by_shift.items()
                if name == system
            )
            print(f"held-out WER of {system} by shift of the clips: {each}")
    print_tallies("WER / term recall by voice", by_voice, names)
    print_tallies("held-out WER / terms by", by_engine, names)
    for system, split in ((n, sp) for n in systems for sp in ("tune", "held_out")):
        sc = scores[(system, split)]
        if not sc.ref_words:
            continue
        flags = sc.flag_row()
        print(
            f"doubtful-word flags, {system}, {split} voices: "
            f"{flags['flags_per_100_words']:.1f} per 100 "
            f"words written; {flags['flag_precision']:.2f} of flagged words were wrong; "
            f"{flags['wrong_words_flagged']:.2f} of wrong words were flagged "
            f"({sc.flagged_wrong}/{sc.wrong})"
        )
        each = sorted({r for r, _ in sc.reasons}, key=lambda r: -sc.reasons[(r, True)])
        print(
            "  by reason (flagged words, of which wrong): "
            + ", ".join(
                f"{r} {sc.reasons[(r, True)] + sc.reasons[(r, False)]} ({sc.reasons[(r, True)]})"
                for r in each
            )
        )
    print_replays()
    held_base = table.get("baseline/held_out", {})  # the dev set has no held-out voices
    for name, ref in REFERENCE.items() if held_base else ():
        held = table[f"{name}/held_out"]
        print(
            f"difficulty of the held-out clips, {name}: WER {held['wer']:.3f}, term recall "
            f"{held['term_recall']:.3f}, L/R {held['left_right']:.3f} (the issue's reference "
            f"clips: {ref['wer']}, {ref['term_recall']}, {ref['left_right']})"
        )
    for system in systems if held_base else ():
        held = table[f"{system}/held_out"]
        ratio = held["seconds"] / max(1e-9, held_base["seconds"])
        print(
            f"held-out targets, {system}: WER {held['wer']:.3f} (<= {TARGETS['wer']}), term "
            f"recall {held['term_recall']:.3f} (>= {TARGETS['term_recall']}), L/R or flagged "
            f"{held['left_right_or_flagged']:.3f} (1.0), findings read as said "
            f"{held['findings_as_said']:.3f} ({held['negation_flips']} with the opposite "
            f"negation), time {ratio:.2f}x baseline "
            f"(<= {TARGETS['time_ratio']}); offline estimate of end-of-utterance latency "
            f"(hang-over + decode) p95 {held['latency_p95']:.2f} s"
        )
    print(f"live latency p95 {pct(0.95):.2f} s (<= {TARGETS['latency_p95']})")
    if errors:
        print("\n".join(errors))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""QA accuracy on real chest radiograph reports with injected errors, lateral-exam cases and
the Radiology Insights sample cases.

    .venv/bin/python benchmarks/qa_eval.py [--limit N] [--per-code N] [--processes N]

What it measures (all built by code from a fixed seed; nothing is edited by hand):

* **Originals** (``../shared/data/iu-cxr-dev.jsonl``) are negatives: a code firing on one counts
  as a false positive (FP rate = reports where the code fires / originals).  Some originals do
  contain real errors (an uncommunicated pneumothorax), so this FP rate is an upper bound.
* **Injected errors**: each injector takes an original and makes one error of one kind (flip
  the sides in one section, swap the patient's sex or add sex-specific anatomy, drop the
  Impression, delete every sentence about a required organ, add an uncommunicated critical
  finding, add a placeholder, change a measurement, add a contradiction, add an incomplete
  follow-up).  Recall = injected reports on which the target code fires.
* **Split halves**: reports are split in two by a hash of their id; rules were tuned on half A.
  Both halves are reported so over-fitting shows.
* **Measurements**: few real reports measure anything, so besides changing a real measurement
  the injector also describes a made-up measured lesion in Findings ("a 12 mm nodule in the
  left upper lobe") and restates it in Impression with another size, sometimes in the other
  unit; recall is printed separately for real and made-up measurements.
* **Tricky negatives**: originals plus a legitimate variant (a critical finding *with* a
  communication statement, a complete follow-up recommendation, a measured lesion restated
  with the same size or the same size in the other unit).
* **Lateral cases**: generated knee, shoulder, hip, wrist, ankle, elbow, breast, kidney, testis,
  foot and hand reports with right and wrong ordered sides, missing sides and legitimate
  other-side mentions (comparisons, contralateral, history, bilateral exams).
* **Radiology Insights cases** (``external/azure-radiology-insights-cases.json``) mapped to our
  codes where they apply.

Precision is TP / (TP + FP) over each code's injected positives and all negatives (originals
and tricky negatives) of the same pool.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

from reporting.qa import CODES, QAOptions, check_many  # noqa: E402
from reporting.records import from_record  # noqa: E402
from reporting.sectioning import split_sections  # noqa: E402

SEED = 20261128
TARGET_RECALL = 0.95
TARGET_FP = 0.03


# ------------------------------------------------------------------------------------ cases
@dataclass
class Case:
    id: str
    record: dict[str, Any]
    group: str  # original | injected | tricky | lateral | azure
    half: str = ""
    expect: frozenset[str] = frozenset()
    forbid: frozenset[str] = frozenset()
    topic: str | None = None  # finding.missing: the topic that must be reported
    note: str = ""
    fired: dict[str, set[str | None]] = field(default_factory=dict)

    def hit(self, code: str) -> bool:
        if code not in self.fired:
            return False
        if code == "finding.missing" and self.topic is not None:
            return self.topic in self.fired[code]
        return True


def half_of(rid: str) -> str:
    return "A" if int(hashlib.sha1(rid.encode()).hexdigest(), 16) % 2 == 0 else "B"


def rng_for(*parts: str) -> random.Random:
    digest = hashlib.sha1("|".join((str(SEED), *parts)).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


# ------------------------------------------------------------------------------- text tools
_SENT = re.compile(r"(?:[^.!?\n]|[.!?](?=[^\s]))+(?:[.!?]+|$)")
_SIDE = re.compile(r"\b(left|right)\b", re.IGNORECASE)


def section_span(text: str, name: str) -> tuple[int, int, int] | None:
    """(heading_start, body_start, body_end) of the first section ``name``."""
    for s in split_sections(text):
        if s.name == name and s.end > s.start:
            return s.heading_start, s.start, s.end
    return None


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    for m in _SENT.finditer(text, start, end):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        if e > s and any(c.isalpha() for c in text[s:e]):
            out.append((s, e))
    return out


def swap_sides(chunk: str) -> str:
    def repl(m: re.Match[str]) -> str:
        word = m.group(0)
        new = "right" if word.lower() == "left" else "left"
        if word.isupper():
            return new.upper()
        if word[0].isupper():
            return new.capitalize()
        return new

    return _SIDE.sub(repl, chunk)


def replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def with_text(rec: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
    out = {k: v for k, v in rec.items() if k != "sections"}
    out["text"] = text
    out.update(extra)
    return out


# ------------------------------------------------------------------------------- injectors
Injector = Callable[[dict[str, Any], random.Random], "tuple[dict[str, Any], str | None] | None"]


_NOT_CONTENT = {
    "and",
    "or",
    "greater",
    "than",
    "to",
    "of",
    "side",
    "sided",
    "more",
    "is",
    "are",
    "the",
}
_BOTH_SIDES = re.compile(r"\b(?:left|right)\b[^.]{0,30}\b(?:left|right)\b", re.IGNORECASE)


def inj_flip_sides(
    rec: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str | None] | None:
    """Flip left/right in one section where Impression and Findings name the same sided thing."""
    text = rec["text"]
    imp, fnd = section_span(text, "impression"), section_span(text, "findings")
    if imp is None or fnd is None:
        return None

    def bigrams(s: int, e: int) -> set[str]:
        return {
            f"{m.group(1).lower()} {m.group(2).lower()}"
            for m in re.finditer(r"\b(left|right)[\s-]+([a-z]+)", text[s:e], re.IGNORECASE)
            if m.group(2).lower() not in _NOT_CONTENT
        }

    shared = bigrams(imp[1], imp[2]) & bigrams(fnd[1], fnd[2])
    # Both sides named together ("left and right", "right greater than left") do not change
    # meaning when swapped: such sections are not used.
    if (
        not shared
        or _BOTH_SIDES.search(text[imp[1] : imp[2]])
        or _BOTH_SIDES.search(text[fnd[1] : fnd[2]])
    ):
        return None
    target = imp if rng.random() < 0.6 else fnd
    new = replace(text, target[1], target[2], swap_sides(text[target[1] : target[2]]))
    return with_text(rec, new), None


_STATED = re.compile(r"\b(female|male|woman|man|lady|gentleman)\b", re.IGNORECASE)
_MALE_ADD = [
    "History of prostate cancer.",
    "Status post radical prostatectomy.",
    "Prior left orchiectomy.",
    "Known benign prostatic hypertrophy.",
]
_FEMALE_ADD = [
    "Status post hysterectomy.",
    "History of ovarian cancer.",
    "History of endometrial carcinoma.",
    "Last menstrual period two weeks ago.",
    "Patient is 12 weeks pregnant.",
]


def inj_sex(rec: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], str | None] | None:
    """Swap the recorded sex where the text states it, or add the other sex's anatomy."""
    sex = rec.get("sex")
    if sex not in ("F", "M"):
        return None
    text = rec["text"]
    if _STATED.search(text) and rng.random() < 0.5:
        return with_text(rec, text, sex="M" if sex == "F" else "F"), None
    phrase = rng.choice(_MALE_ADD if sex == "F" else _FEMALE_ADD)
    hist = section_span(text, "history") or section_span(text, "findings")
    if hist is None:
        return None
    body_end = hist[2]
    sep = "" if text[body_end - 1 : body_end] in (".", "") else "."
    return with_text(rec, text[:body_end] + sep + " " + phrase + text[body_end:]), None


def inj_drop_section(
    rec: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str | None] | None:
    """Delete the Impression (or, sometimes, the Findings) heading and text."""
    text = rec["text"]
    name = "findings" if rng.random() < 0.25 else "impression"
    sec = section_span(text, name)
    if sec is None:
        return None
    end = sec[2]
    while end < len(text) and text[end] == "\n":
        end += 1
    return with_text(rec, text[: sec[0]] + text[end:]), None


# Sentences "about" an organ, by the benchmark's own word lists (whole-chest statements such as
# "no acute cardiopulmonary disease" are about every chest organ).
_CHEST_WIDE = (
    r"cardiopulmonary|chest|thorax|thoracic|intrathoracic|acute (?:disease|process|findings?|changes?|"
    r"abnormalit\w*)|active (?:disease|process)|normal exam\w*|negative exam\w*|unremarkable exam\w*"
)
_ORGAN = {
    "heart_mediastinum": r"heart|cardi\w*|mediastin\w*|silhouettes?|aort\w*|hil(?:a|ar|um)|"
    r"pericardi\w*|atri(?:al|um)|ventric\w*|trache\w*|paratracheal|sternotomy|cabg|svc|"
    + _CHEST_WIDE,
    "pleura": r"pleura\w*|effusions?|pneumothora\w*|hydropneumothorax|costophrenic|hemothorax|"
    r"empyema|\w*diaphragm\w*|sulc(?:us|i)|fissur\w*|blunt\w*|" + _CHEST_WIDE,
    "lungs": r"lungs?|pulmon\w*|parenchym\w*|air ?spaces?|consolidat\w*|opacit\w*|opacifi\w*|"
    r"infiltrat\w*|atelecta\w*|pneumoni\w*|edema|nodul\w*|mass(?:es)?|hyperinfla\w*|"
    r"hyperexpan\w*|emphysem\w*|interstiti\w*|granulom\w*|lob(?:e|es|ar)|lingul\w*|\w*basilar|"
    r"bibasal|basal|bases?|apical|apex|apices|scar\w*|fibro\w*|copd|bronch\w*|densit\w*|"
    r"calcifi\w*|lucen\w*|volumes?|expan\w*|aerat\w*|clear|vascular\w*|vasculature|" + _CHEST_WIDE,
}


def inj_delete_topic(
    rec: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str | None] | None:
    """Delete every Findings/Impression sentence about one required chest organ."""
    text = rec["text"]
    topics = list(_ORGAN)
    rng.shuffle(topics)
    for topic in topics:
        pat = re.compile(rf"\b(?:{_ORGAN[topic]})\b", re.IGNORECASE)
        cut: list[tuple[int, int]] = []
        spans = [s for s in (section_span(text, "findings"), section_span(text, "impression")) if s]
        for _, s, e in spans:
            cut += [(a, b) for a, b in sentences(text, s, e) if pat.search(text[a:b])]
        if not cut:
            continue
        new = text
        for a, b in sorted(cut, reverse=True):
            new = new[:a] + new[b:]
        # A section left empty keeps a neutral sentence so only the topic is missing.
        for name in ("findings", "impression"):
            sec = section_span(new, name)
            heading = re.search(rf"^{name.upper()}:[ \t]*$", new, re.MULTILINE)
            if sec is None and heading is not None:
                new = new[: heading.end()] + " See separate report." + new[heading.end() :]
        return with_text(rec, new), topic
    return None


_COMM = re.compile(
    r"discuss|communicat|call(?:ed)? |notif|telephon|paged|primordial|critical result", re.I
)
_CRITICAL_ADD = [
    ("There is a small {side} apical pneumothorax.", "Small {side} pneumothorax."),
    ("A moderate {side} pneumothorax is present.", "Moderate {side} pneumothorax."),
    ("Free air is seen beneath the {side} hemidiaphragm.", "Pneumoperitoneum."),
    (
        "Large {side} pneumothorax with mediastinal shift to the {other}.",
        "Large {side} tension pneumothorax.",
    ),
    (
        "The endotracheal tube tip is in the right mainstem bronchus.",
        "Endotracheal tube in the right mainstem bronchus.",
    ),
    ("There is a new {side} pneumothorax measuring 2 cm.", "New {side} pneumothorax."),
]
_COMM_ADD = [
    "These findings were discussed with Dr. Lee by telephone at 14:32.",
    "Critical result called to the emergency department physician at 09:05.",
    "Findings communicated to the referring clinician, Dr. Patel, at 3:10 p.m.",
    "The ordering physician was notified in person at 16:40 and acknowledged receipt.",
]


def _add_critical(rec: dict[str, Any], rng: random.Random, comm: bool) -> dict[str, Any] | None:
    text = rec["text"]
    if _COMM.search(text):
        return None
    fnd, imp = section_span(text, "findings"), section_span(text, "impression")
    if fnd is None or imp is None:
        return None
    side = rng.choice(["left", "right"])
    other = "right" if side == "left" else "left"
    f_add, i_add = rng.choice(_CRITICAL_ADD)
    f_add = f_add.format(side=side, other=other)
    i_add = i_add.format(side=side, other=other)
    # Drop sentences that deny the added finding, so the report reads as one story.
    deny = re.compile(
        r"\b(?:no|without|negative for)\b[^.]*\b(?:pneumothora\w*|free\s+(?:intraperitoneal\s+)?air|"
        r"pneumoperitoneum)",
        re.I,
    )
    if comm:
        i_add = i_add + " " + rng.choice(_COMM_ADD)
    new = text[: imp[1]] + i_add + " " + text[imp[1] :]
    fs = sentences(new, fnd[1], fnd[2])
    at = rng.choice([s for s, _ in fs] + [fnd[2]]) if fs else fnd[1]
    new = new[:at] + f_add + " " + new[at:]
    for _ in range(3):
        m = deny.search(new)
        if not m:
            break
        s, e = next(((a, b) for a, b in sentences(new, 0, len(new)) if a <= m.start() < b), (0, 0))
        if e <= s:
            break
        new = new[:s] + new[e:]
    return with_text(rec, new)


def inj_critical(
    rec: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str | None] | None:
    out = _add_critical(rec, rng, comm=False)
    return None if out is None else (out, None)


def neg_critical_communicated(
    rec: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str | None] | None:
    out = _add_critical(rec, rng, comm=True)
    return None if out is None else (out, None)


_PLACEHOLDERS = ["[ ]", "***", "___", "<size>", "[***]", "[measurement]", "{{ side }}", "[  ]"]


def inj_placeholder(
    rec: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str | None] | None:
    """Leave a template placeholder: replace a word, or add a half-filled sentence."""
    text = rec["text"]
    sec = section_span(text, rng.choice(["findings", "impression"]))
    if sec is None:
        return None
    ph = rng.choice(_PLACEHOLDERS)
    words = list(re.finditer(r"\b[a-z]{4,}\b", text[sec[1] : sec[2]]))
    if words and rng.random() < 0.5:
        w = rng.choice(words)
        return with_text(rec, replace(text, sec[1] + w.start(), sec[1] + w.end(), ph)), None
    add = rng.choice(
        [f"There is a {ph} cm nodule.", f"Heart size is {ph}.", f"{ph}", f"Lines and tubes: {ph}."]
    )
    return with_text(rec, text[: sec[2]] + " " + add + text[sec[2] :]), None


_MEAS = re.compile(r"(\d+(?:\.\d+)?)\s*(cm|mm)\b")
_LESION = re.compile(
    r"\b(nodules?|mass(?:es)?|opacit(?:y|ies)|lesions?|densit(?:y|ies)|granulomas?|cysts?|"
    r"pneumothorax|effusions?)\b",
    re.I,
)


def _changed(value: float, rng: random.Random) -> str:
    factor = rng.choice([0.5, 1.5, 2.0, 0.6, 1.8])
    new = round(value * factor, 1)
    if abs(new - value) < 0.3 * value:
        new = round(value + 2.0, 1)
    return str(int(new)) if float(new).is_integer() else str(new)


def inj_measurement(
    rec: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str | None] | None:
    """Make Impression measure a Findings lesion differently."""
    text = rec["text"]
    fnd, imp = section_span(text, "findings"), section_span(text, "impression")
    if fnd is None or imp is None:
        return None
    # 1) the same number appears in both: change the Impression's
    f_vals = {(m.group(1), m.group(2)) for m in _MEAS.finditer(text, fnd[1], fnd[2])}
    for m in _MEAS.finditer(text, imp[1], imp[2]):
        if (m.group(1), m.group(2)) in f_vals:
            new = replace(text, m.start(1), m.end(1), _changed(float(m.group(1)), rng))
            return with_text(rec, new), None
    # 2) a measured lesion in Findings: restate it in Impression with another size
    for s, e in sentences(text, fnd[1], fnd[2]):
        m, lesion = _MEAS.search(text, s, e), _LESION.search(text, s, e)
        if m and lesion:
            noun = lesion.group(1).lower()
            side = _SIDE.search(text, s, e)
            where = f" in the {side.group(1).lower()} lung" if side else ""
            add = f"{_changed(float(m.group(1)), rng)} {m.group(2)} {noun}{where}."
            return with_text(rec, text[: imp[1]] + add.capitalize() + " " + text[imp[1] :]), None
    # 3) few real reports measure anything: describe a measured lesion in Findings and restate
    #    it in Impression with another size (sometimes in the other unit)
    if rng.random() >= 0.2:  # fewer made-up cases than --per-code, so every real one stays
        return None
    out = _add_measured_lesion(rec, rng, consistent=False)
    if out is not None:
        SYNTHETIC.add(rec["id"])
    return out


#: ids of originals whose measurement.mismatch injection is made up (rule 3), for the split
#: between real measurements and made-up ones
SYNTHETIC: set[str] = set()
_WHERE = [
    ("{side} upper lobe", None),
    ("{side} lower lobe", None),
    ("right middle lobe", "right"),
    ("lingula", "left"),
    ("{side} lung apex", None),
    ("{side} lung base", None),
    ("{side} perihilar region", None),
]
_LESIONS = ["nodule", "mass", "nodular opacity", "opacity", "calcified granuloma", "lesion"]
_F_MEAS = [
    "There is a {size} {noun} in the {where}.",
    "A {size} {noun} is seen in the {where}.",
    "{Noun} in the {where} measures {size}.",
    "{Noun} in the {where} measuring {size}, not seen on prior exams.",
    "There is a {size2d} {noun} in the {where}.",
]
_I_MEAS = [
    "{size} {where} {noun}.",
    "{Where} {noun} measuring {size}.",
    "{Noun} in the {where}, {size}.",
    "{size} {noun} in the {where}, recommend CT for further characterization.",
]


def _fmt_num(v: float) -> str:
    v = round(v, 1)
    return str(int(v)) if float(v).is_integer() else str(v)


def _add_measured_lesion(
    rec: dict[str, Any], rng: random.Random, *, consistent: bool
) -> tuple[dict[str, Any], str | None] | None:
    text = rec["text"]
    fnd, imp = section_span(text, "findings"), section_span(text, "impression")
    if fnd is None or imp is None or _MEAS.search(text):
        return None
    side = rng.choice(["left", "right"])
    where_t, fixed = rng.choice(_WHERE)
    where = where_t.format(side=fixed or side)
    noun = rng.choice(_LESIONS)
    unit = rng.choice(["mm", "cm"])
    value = float(rng.randint(4, 30)) if unit == "mm" else rng.randint(5, 60) / 10
    other = round(value * rng.choice([0.5, 0.6, 0.7, 0.8]), 1)
    f_tpl = rng.choice(_F_MEAS)
    f_size = f"{_fmt_num(value)} {unit}"
    size2d = f"{_fmt_num(value)} x {_fmt_num(other)} {unit}"
    f_add = f_tpl.format(size=f_size, size2d=size2d, noun=noun, Noun=noun.capitalize(), where=where)
    # the Impression restates the largest dimension, sometimes in the other unit
    i_value = value if consistent else float(_changed(value, rng))
    if not consistent and abs(i_value - other) <= 0.3 * value:
        i_value = round(value * 1.8, 1)  # not the lesion's other dimension either
    i_unit = unit
    if rng.random() < 0.3:
        i_unit = "cm" if unit == "mm" else "mm"
        i_value = i_value / 10 if unit == "mm" else i_value * 10
    i_size = f"{_fmt_num(i_value)} {i_unit}"
    i_add = rng.choice(_I_MEAS).format(
        size=i_size, noun=noun, Noun=noun.capitalize(), where=where, Where=where.capitalize()
    )
    i_add = i_add[:1].upper() + i_add[1:]
    new = text[: imp[1]] + i_add + " " + text[imp[1] :]
    fs = sentences(new, fnd[1], fnd[2])
    at = rng.choice([s for s, _ in fs] + [fnd[2]]) if fs else fnd[1]
    sep = "" if at < fnd[2] else " "
    new = new[:at] + sep + f_add + ("" if sep else " ") + new[at:]
    return with_text(rec, new), None


def neg_measurement_consistent(
    rec: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str | None] | None:
    """A measured lesion restated with the same size (or the same size in the other unit)."""
    return _add_measured_lesion(rec, rng, consistent=True)


_NEGATED = re.compile(
    r"\b(?:no|without)\s+(?:evidence of\s+|definite\s+|visible\s+)?(pneumothorax|pleural effusions?|"
    r"effusions?|consolidation|pulmonary edema|edema|cardiomegaly|pneumonia|infiltrates?|"
    r"atelectasis)\b",
    re.IGNORECASE,
)
_AFFIRM = [
    "{X} is present.",
    "There is {x}.",
    "Findings consistent with {x}.",
    "Mild {x}.",
    "{X} has developed.",
]


def inj_contradiction(
    rec: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str | None] | None:
    """Affirm in one section a finding the other section negates."""
    text = rec["text"]
    fnd, imp = section_span(text, "findings"), section_span(text, "impression")
    if fnd is None or imp is None:
        return None
    options = []
    for a, b in ((fnd, imp), (imp, fnd)):
        for m in _NEGATED.finditer(text, a[1], a[2]):
            options.append((m.group(1).lower(), b))
    if not options:
        return None
    x, target = rng.choice(options)
    add = rng.choice(_AFFIRM).format(x=x, X=x.capitalize())
    return with_text(rec, text[: target[1]] + add + " " + text[target[1] :]), None


_FOLLOW_BAD = [
    "Recommend follow-up chest radiograph.",
    "Follow-up imaging is recommended.",
    "Recommend repeat imaging to document resolution.",
    "Suggest follow-up in 3 months.",
    "Follow-up is advised to ensure resolution.",
    "Recommend short-term follow-up.",
    "A follow-up CT of the chest is recommended.",
    "Recommend further evaluation.",
    "Repeat radiographs are suggested to confirm resolution.",
]
_FOLLOW_GOOD = [
    "Recommend follow-up chest CT in 3 months.",
    "Follow-up PA and lateral chest radiographs in 6 to 8 weeks are recommended.",
    "Recommend CT of the chest for further characterization.",
    "Repeat chest radiograph after treatment is suggested to document resolution.",
    "Recommend noncontrast chest CT in 12 months per Fleischner guidelines.",
    "Clinical correlation is recommended.",
]


def _add_followup(
    rec: dict[str, Any], rng: random.Random, good: bool
) -> tuple[dict[str, Any], str | None] | None:
    text = rec["text"]
    imp = section_span(text, "impression")
    if imp is None:
        return None
    add = rng.choice(_FOLLOW_GOOD if good else _FOLLOW_BAD)
    sep = "" if text[imp[2] - 1 : imp[2]] == "." else "."
    return with_text(rec, text[: imp[2]] + sep + " " + add + text[imp[2] :]), None


def inj_followup(
    rec: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str | None] | None:
    return _add_followup(rec, rng, good=False)


def neg_followup_complete(
    rec: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str | None] | None:
    return _add_followup(rec, rng, good=True)


INJECTORS: dict[str, Injector] = {
    "laterality.findings_impression": inj_flip_sides,
    "sex.mismatch": inj_sex,
    "section.missing": inj_drop_section,
    "finding.missing": inj_delete_topic,
    "critical.not_communicated": inj_critical,
    "template.unfilled": inj_placeholder,
    "measurement.mismatch": inj_measurement,
    "finding.contradiction": inj_contradiction,
    "followup.incomplete": inj_followup,
}
TRICKY: dict[str, Injector] = {
    "critical.not_communicated": neg_critical_communicated,
    "followup.incomplete": neg_followup_complete,
    "measurement.mismatch": neg_measurement_consistent,
}


def iu_cases(records: list[dict[str, Any]], per_code: int) -> list[Case]:
    cases = [Case(r["id"], r, "original", half_of(r["id"])) for r in records]
    for code, injector in INJECTORS.items():
        made = []
        for r in records:
            out = injector(r, rng_for(code, r["id"]))
            if out is not None:
                rec, topic = out
                made.append(
                    Case(
                        f"{r['id']}+{code}",
                        rec,
                        "injected",
                        half_of(r["id"]),
                        frozenset({code}),
                        topic=topic,
                    )
                )
        rng_for(code, "sample").shuffle(made)
        cases += made[:per_code]
    for code, injector in TRICKY.items():
        made = []
        for r in records:
            out = injector(r, rng_for("tricky", code, r["id"]))
            if out is not None:
                made.append(
                    Case(
                        f"{r['id']}-{code}",
                        out[0],
                        "tricky",
                        half_of(r["id"]),
                        forbid=frozenset({code}),
                    )
                )
        rng_for("tricky", code, "sample").shuffle(made)
        cases += made[:per_code]
    return cases


# --------------------------------------------------------------------------- lateral cases
@dataclass(frozen=True)
class Part:
    name: str
    proc: str  # with {SIDE}
    both: str
    finding: str  # with {side}
    normal: str
    impression: str
    history: str
    sex: str | None = None
    template: str = ""


PARTS = [
    Part(
        "knee",
        "XR KNEE {SIDE} 3 VIEWS",
        "XR BOTH KNEES STANDING",
        "Small {side} knee joint effusion.",
        "No acute fracture or dislocation.",
        "Small {side} knee joint effusion without fracture.",
        "{Side} knee pain after a fall.",
    ),
    Part(
        "shoulder",
        "MRI {SIDE} SHOULDER WO CONTRAST",
        "MRI BILATERAL SHOULDERS",
        "Full-thickness tear of the supraspinatus tendon of the {side} shoulder.",
        "The glenohumeral joint is congruent.",
        "Full-thickness supraspinatus tear of the {side} shoulder.",
        "{Side} shoulder pain.",
    ),
    Part(
        "hip",
        "XR HIP {SIDE} 2 VIEWS",
        "XR BOTH HIPS",
        "Moderate joint space narrowing of the {side} hip.",
        "No fracture of the proximal femur.",
        "Moderate {side} hip osteoarthritis.",
        "{Side} hip pain.",
    ),
    Part(
        "wrist",
        "XR WRIST {SIDE} 3 VIEWS",
        "XR BOTH WRISTS",
        "Nondisplaced fracture of the {side} distal radius.",
        "Carpal alignment is normal.",
        "Nondisplaced {side} distal radius fracture.",
        "Fall on the outstretched {side} hand.",
    ),
    Part(
        "ankle",
        "XR ANKLE {SIDE} 3 VIEWS",
        "XR BOTH ANKLES",
        "Soft tissue swelling over the {side} lateral malleolus.",
        "The ankle mortise is intact.",
        "{Side} ankle soft tissue swelling without fracture.",
        "{Side} ankle inversion injury.",
    ),
    Part(
        "elbow",
        "XR ELBOW {SIDE} 2 VIEWS",
        "XR BOTH ELBOWS",
        "Elevated posterior fat pad in the {side} elbow.",
        "No displaced fracture is seen.",
        "{Side} elbow joint effusion; occult fracture is possible.",
        "{Side} elbow pain.",
    ),
    Part(
        "breast",
        "US BREAST {SIDE} LIMITED",
        "US BREAST BILATERAL",
        "At 10 o'clock in the {side} breast, 4 cm from the nipple, there is a 6 mm simple cyst.",
        "No solid mass is seen.",
        "Simple cyst in the {side} breast. BI-RADS 2.",
        "Palpable lump in the {side} breast.",
        sex="F",
    ),
    Part(
        "kidney",
        "US KIDNEY {SIDE}",
        "US KIDNEYS BILATERAL",
        "The {side} kidney measures 11.2 cm and shows mild hydronephrosis.",
        "No renal calculus is seen.",
        "Mild {side} hydronephrosis.",
        "{Side} flank pain.",
    ),
    Part(
        "testis",
        "US TESTICLE {SIDE}",
        "US SCROTUM BILATERAL",
        "Small {side} hydrocele. The {side} testis is normal in size and echotexture.",
        "Flow is symmetric on color Doppler.",
        "Small {side} hydrocele.",
        "{Side} scrotal swelling.",
        sex="M",
    ),
    Part(
        "foot",
        "XR FOOT {SIDE} 3 VIEWS",
        "XR BOTH FEET",
        "Fracture of the base of the {side} fifth metatarsal.",
        "Alignment is otherwise normal.",
        "{Side} fifth metatarsal base fracture.",
        "{Side} foot injury.",
    ),
    Part(
        "hand",
        "XR HAND {SIDE} 3 VIEWS",
        "XR BOTH HANDS",
        "Erosions at the {side} second metacarpophalangeal joint.",
        "Bone mineralization is normal.",
        "Erosive arthropathy of the {side} hand.",
        "{Side} hand swelling.",
    ),
    Part(
        "knee MRI",
        "MRI KNEE {SIDE} WO CONTRAST",
        "MRI BOTH KNEES",
        "Horizontal tear of the posterior horn of the medial meniscus of the {side} knee.",
        "The cruciate and collateral ligaments are intact.",
        "Medial meniscus tear of the {side} knee.",
        "{Side} knee locking.",
    ),
]
_WRITTEN = {"left": ["LEFT", "LT", "Left", "L"], "right": ["RIGHT", "RT", "Right", "R"]}
_LEGIT = [
    "The {other} {part} was imaged for comparison and is normal.",
    "Compared with the {other} side, the joint space is narrower.",
    "Similar appearance of the contralateral {part}.",
    "No change from the prior study of the {other} {part}.",
]


def _fmt(s: str, side: str) -> str:
    return s.format(side=side, Side=side.capitalize())


def _report(proc_line: str, history: str, findings: list[str], impression: str) -> str:
    return (
        f"EXAMINATION: {proc_line}\nINDICATION: {history}\nCOMPARISON: None.\n"
        f"FINDINGS: {' '.join(findings)}\nIMPRESSION: {impression}\n"
    )


def lateral_cases() -> list[Case]:
    cases: list[Case] = []
    lat = frozenset(
        {"laterality.order_mismatch", "laterality.missing", "laterality.findings_impression"}
    )
    for i, p in enumerate(PARTS):
        rng = rng_for("lateral", p.name)
        side = "left" if i % 2 == 0 else "right"
        other = "right" if side == "left" else "left"
        written = rng.choice(_WRITTEN[side])
        proc = p.proc.format(SIDE=written)
        base = {"modality": "", "procedure": proc}
        if p.sex:
            base["sex"] = p.sex
        part = p.name.split()[0]

        def add(
            tag: str,
            text: str,
            expect: Iterable[str] = (),
            forbid: Iterable[str] = (),
            _name: str = p.name,
            _base: dict[str, Any] = base,
            **extra: Any,
        ) -> None:
            rec = {"id": f"lat-{_name.replace(' ', '-')}-{tag}", "text": text, **_base, **extra}
            cases.append(
                Case(rec["id"], rec, "lateral", expect=frozenset(expect), forbid=frozenset(forbid))
            )

        ok_find = [_fmt(p.finding, side), p.normal]
        add(
            "correct",
            _report(proc, _fmt(p.history, side), ok_find, _fmt(p.impression, side)),
            forbid=lat,
        )
        add(
            "wrong-findings",
            _report(
                proc,
                _fmt(p.history, side),
                [_fmt(p.finding, other), p.normal],
                _fmt(p.impression, side),
            ),
            expect={"laterality.order_mismatch"},
        )
        add(
            "wrong-impression",
            _report(proc, _fmt(p.history, side), ok_find, _fmt(p.impression, other)),
            expect={"laterality.order_mismatch"},
        )
        add(
            "wrong-history",
            _report(proc, _fmt(p.history, other), ok_find, _fmt(p.impression, side)),
            expect={"laterality.order_mismatch"},
        )
        add(
            "wrong-everywhere",
            _report(
                p.proc.format(SIDE=""),
                _fmt(p.history, other),
                [_fmt(p.finding, other), p.normal],
                _fmt(p.impression, other),
            ),
            expect={"laterality.order_mismatch"},
        )

        def unsided(s: str) -> str:
            out = re.sub(r"\b(?:left|right|Left|Right) ", "", s)
            return out[:1].upper() + out[1:]

        no_side = [unsided(s) for s in ok_find]
        add(
            "side-missing",
            _report(
                p.proc.format(SIDE="").replace("  ", " "),
                unsided(_fmt(p.history, side)),
                no_side,
                unsided(_fmt(p.impression, side)),
            ),
            expect={"laterality.missing"},
            forbid={"laterality.order_mismatch"},
        )
        legit = rng.choice(_LEGIT).format(other=other, part=part)
        add(
            "compared-other-side",
            _report(proc, _fmt(p.history, side), [*ok_find, legit], _fmt(p.impression, side)),
            forbid=lat,
        )
        add(
            "history-other-side",
            _report(
                proc,
                _fmt(p.history, side) + f" Status post {other} {part} surgery.",
                ok_find,
                _fmt(p.impression, side),
            ),
            forbid=lat,
        )
        add(
            "contralateral",
            _report(
                proc,
                _fmt(p.history, side),
                [*ok_find, f"The contralateral {part} is unremarkable."],
                _fmt(p.impression, side),
            ),
            forbid=lat,
        )
        both = {**base, "procedure": p.both}
        cases.append(
            Case(
                f"lat-{p.name.replace(' ', '-')}-bilateral",
                {
                    "id": f"lat-{p.name.replace(' ', '-')}-bilateral",
                    "text": _report(
                        p.both,
                        f"Bilateral {part} pain.",
                        [_fmt(p.finding, side), f"The {other} {part} is normal.", p.normal],
                        _fmt(p.impression, side),
                    ),
                    **both,
                },
                "lateral",
                forbid=lat,
            )
        )
        cases.append(
            Case(
                f"lat-{p.name.replace(' ', '-')}-bilateral-flip",
                {
                    "id": f"lat-{p.name.replace(' ', '-')}-bilateral-flip",
                    "text": _report(
                        p.both,
                        f"Bilateral {part} pain.",
                        [_fmt(p.finding, side), f"The {other} {part} is normal.", p.normal],
                        _fmt(p.impression, other),
                    ),
                    **both,
                },
                "lateral",
                expect={"laterality.findings_impression"},
                forbid={"laterality.order_mismatch"},
            )
        )
        rec = {
            "id": f"lat-{p.name.replace(' ', '-')}-record-side",
            "procedure": p.proc.format(SIDE="").strip(),
            "laterality": side,
            "text": _report(
                p.proc.format(SIDE="").strip(),
                _fmt(p.history, side),
                [_fmt(p.finding, other), p.normal],
                _fmt(p.impression, other),
            ),
        }
        if p.sex:
            rec["sex"] = p.sex
        cases.append(Case(rec["id"], rec, "lateral", expect={"laterality.order_mismatch"}))
    # sex-specific lateral exams
    cases.append(
        Case(
            "lat-breast-male-gynecomastia",
            {
                "id": "lat-breast-male-gynecomastia",
                "procedure": "US BREAST LEFT LIMITED",
                "sex": "M",
                "text": _report(
                    "US BREAST LEFT LIMITED",
                    "Tender left breast in a 60-year-old man.",
                    [
                        "Retroareolar glandular tissue in the left breast consistent with gynecomastia."
                    ],
                    "Left gynecomastia. No mass.",
                ),
            },
            "lateral",
            forbid=frozenset({"sex.mismatch", "laterality.order_mismatch"}),
        )
    )
    cases.append(
        Case(
            "lat-testis-female-patient",
            {
                "id": "lat-testis-female-patient",
                "procedure": "US TESTICLE RIGHT",
                "sex": "F",
                "text": _report(
                    "US TESTICLE RIGHT",
                    "Right scrotal swelling.",
                    ["Small right hydrocele. The right testis is normal."],
                    "Small right hydrocele.",
                ),
            },
            "lateral",
            expect=frozenset({"sex.mismatch"}),
        )
    )
    return cases


# --------------------------------------------------------------------- Radiology Insights
AZURE_EXPECT: dict[str, tuple[set[str], set[str], str]] = {
    # the same pelvic ultrasound text, female patient, mentions testicular torsion
    "age_mismatch": (
        {"sex.mismatch"},
        {"critical.not_communicated", "followup.incomplete"},
        "age is not a QA code here; the testicular finding in a female is",
    ),
    "complete_order_discrepancy": (
        {"sex.mismatch"},
        {"critical.not_communicated", "followup.incomplete"},
        "order completeness is not a QA code here",
    ),
    "critical_result": (
        {"sex.mismatch"},
        {"critical.not_communicated"},
        "critical result was communicated (Dr. Jones at 3 PM)",
    ),
    "followup_communication": (
        {"sex.mismatch"},
        {"critical.not_communicated", "followup.incomplete"},
        "communication present",
    ),
    "followup_recommendation": (
        {"sex.mismatch"},
        {"followup.incomplete"},
        "'US pelvis within the next 6 months' is complete",
    ),
    "sex_mismatch": ({"sex.mismatch"}, set(), "testicular torsion in a female patient"),
    "finding": (
        {"measurement.mismatch"},
        {"sex.mismatch", "laterality.order_mismatch", "laterality.missing"},
        "Impression's 4 cm right-lung nodule vs Findings' 4 mm nodule / 5.6 cm mass",
    ),
    "guidance": (
        {"section.missing"},
        {"sex.mismatch", "laterality.order_mismatch"},
        "no Impression; History-vs-Findings side conflict is outside our codes",
    ),
    "laterality_discrepancy": (
        {"laterality.order_mismatch"},
        {"sex.mismatch"},
        "LEFT breast ordered, technique says right breast",
    ),
    "limited_order_discrepancy": (
        {"sex.mismatch"},
        {"laterality.order_mismatch", "followup.incomplete"},
        "text says 49-year-old male, patient recorded female",
    ),
    "quality_measure": (
        set(),
        {"followup.incomplete", "sex.mismatch"},
        "follow-up CT in 3 months is complete",
    ),
    "radiology_procedure": (
        set(),
        {"followup.incomplete", "sex.mismatch"},
        "'new brain CT within nine months' is complete",
    ),
    "scoring_and_assessment": (
        set(),
        {"followup.incomplete", "sex.mismatch"},
        "'does not warrant follow-up' is not a recommendation",
    ),
}


def azure_cases(path: Path) -> list[Case]:
    cases = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        kind = item["expected_inference_type"]
        sex = item["PatientDetails"][0]["sex"].rsplit(".", 1)[-1]
        rec = {
            "id": f"azure-{kind}",
            "text": item["documents"][0],
            "procedure": item["OrderedProcedure"][0]["description"],
            "sex": {"FEMALE": "F", "MALE": "M"}.get(sex, "U"),
        }
        expect, forbid, note = AZURE_EXPECT.get(kind, (set(), set(), "unmapped"))
        cases.append(
            Case(
                rec["id"],
                rec,
                "azure",
                expect=frozenset(expect),
                forbid=frozenset(forbid),
                note=note,
            )
        )
    return cases


# ------------------------------------------------------------------------------ scoring
def run(cases: list[Case], processes: int) -> float:
    reports = [from_record(c.record) for c in cases]
    start = time.perf_counter()
    for case, (_, issues) in zip(
        cases, check_many(reports, options=QAOptions(), processes=processes), strict=True
    ):
        for issue in issues:
            case.fired.setdefault(issue.code, set()).add(issue.topic)
    return time.perf_counter() - start


def table(
    cases: list[Case], title: str, *, info_topics: set[str] = frozenset()
) -> dict[str, dict[str, float]]:
    originals = [c for c in cases if c.group == "original"]
    print(f"\n{title}  (originals: {len(originals)})")
    print(
        f"{'code':34} {'inj':>5} {'recall':>7} {'FP':>5} {'FP rate':>8} {'tricky FP':>10} {'precision':>9}"
    )
    out: dict[str, dict[str, float]] = {}
    for code in CODES:
        if code == "qa.unchecked":
            continue
        pos = [c for c in cases if code in c.expect and c.group == "injected"]
        tp = sum(c.hit(code) for c in pos)
        fp = sum(1 for c in originals if c.hit(code) and not _info_only(c, code, info_topics))
        tricky = [c for c in cases if c.group == "tricky" and code in c.forbid]
        tfp = sum(c.hit(code) for c in tricky)
        recall = tp / len(pos) if pos else float("nan")
        rate = fp / len(originals) if originals else float("nan")
        prec = tp / (tp + fp + tfp) if (tp + fp + tfp) else float("nan")
        ok = (not pos or recall >= TARGET_RECALL) and rate <= TARGET_FP
        tr = f"{tfp}/{len(tricky)}" if tricky else "-"
        print(
            f"{code:34} {len(pos):5} {recall:7.3f} {fp:5} {rate:8.3f} {tr:>10} {prec:9.3f}  {'ok' if ok else 'MISS'}"
        )
        out[code] = {
            "injected": len(pos),
            "recall": recall,
            "fp": fp,
            "fp_rate": rate,
            "precision": prec,
        }
    return out


def _info_only(case: Case, code: str, info_topics: set[str]) -> bool:
    """finding.missing on an original counts only for warning-level topics when asked."""
    return code == "finding.missing" and bool(info_topics) and case.fired[code] <= info_topics


def _omissions(originals: list[Case], info: set[str]) -> None:
    """Split finding.missing on originals by the benchmark's own organ word lists.

    A report where no Findings/Impression sentence matches the topic's words (the same lists
    the deletion injector uses) really does not address that organ: the firing is a true
    omission in the source report, not a false alarm.
    """
    per_topic: dict[str, Counter[str]] = defaultdict(Counter)
    for c in originals:
        for topic in c.fired.get("finding.missing", set()) - info:
            if topic not in _ORGAN:
                continue
            pat = re.compile(rf"\b(?:{_ORGAN[topic]})\b", re.IGNORECASE)
            text = c.record["text"]
            spans = (section_span(text, "findings"), section_span(text, "impression"))
            said = any(s is not None and pat.search(text, s[1], s[2]) for s in spans)
            per_topic[topic]["addressed" if said else "omitted"] += 1
    for topic, n in sorted(per_topic.items()):
        print(
            f"  finding.missing on originals, topic {topic}: {n['omitted']} reports never use "
            f"the benchmark's own {topic} words (true omissions), {n['addressed']} do "
            f"(possible false alarms)"
        )


def _measurement_split(cases: list[Case]) -> None:
    """measurement.mismatch recall on real measurements vs made-up measured lesions."""
    code = "measurement.mismatch"
    parts = []
    for half in ("A", "B"):
        for label, synthetic in (("real", False), ("made-up", True)):
            pos = [
                c
                for c in cases
                if c.group == "injected"
                and code in c.expect
                and c.half == half
                and (c.id.split("+")[0] in SYNTHETIC) == synthetic
            ]
            hit = sum(c.hit(code) for c in pos)
            parts.append(f"{half} {label} {hit}/{len(pos)}")
    print(f"  ({code} recall by kind: {', '.join(parts)})")


def case_table(cases: list[Case], title: str) -> None:
    passed = 0
    print(f"\n{title}")
    per_code: dict[str, Counter[str]] = defaultdict(Counter)
    for c in cases:
        missing = [code for code in c.expect if not c.hit(code)]
        wrong = [code for code in c.forbid if c.hit(code)]
        for code in c.expect:
            per_code[code]["pos"] += 1
            per_code[code]["tp"] += c.hit(code)
        for code in c.forbid:
            per_code[code]["neg"] += 1
            per_code[code]["fp"] += c.hit(code)
        ok = not missing and not wrong
        passed += ok
        if not ok or c.group == "azure":
            fired = ", ".join(sorted(c.fired)) or "-"
            status = "ok  " if ok else "FAIL"
            extra = f"  [{c.note}]" if c.note else ""
            print(f"  {status} {c.id:42} fired: {fired}{extra}")
            if missing:
                print(f"       missing: {', '.join(missing)}")
            if wrong:
                print(f"       should not fire: {', '.join(wrong)}")
    print(f"  {passed}/{len(cases)} cases pass")
    for code, n in sorted(per_code.items()):
        rec = f"recall {n['tp']}/{n['pos']}" if n["pos"] else ""
        fp = f"false alarms {n['fp']}/{n['neg']}" if n["neg"] else ""
        print(f"    {code:34} {rec:18} {fp}")


def show(cases: list[Case], code: str, limit: int = 25) -> None:
    missed = [c for c in cases if code in c.expect and not c.hit(code)]
    false = [c for c in cases if c.group in ("original", "tricky") and c.hit(code)]
    if code == "finding.missing":
        false = [c for c in false if c.fired[code] - {"bones"}]
    print(f"\n{code}: {len(missed)} missed, {len(false)} false positives")
    for c in missed[:limit]:
        print(f"--- MISSED {c.id} topic={c.topic} fired={sorted(c.fired)}\n{c.record['text']}")
    for c in false[:limit]:
        print(f"--- FALSE {c.id} {sorted(c.fired.get(code, ()), key=str)}\n{c.record['text']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="use only the first N originals")
    ap.add_argument("--per-code", type=int, default=400, help="injected reports per code (sampled)")
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument(
        "--show",
        action="append",
        default=[],
        metavar="CODE",
        help="print missed injections and false positives of CODE",
    )
    args = ap.parse_args(argv)

    iu = SHARED / "iu-cxr-dev.jsonl"
    if not iu.exists():
        print(f"skipped: {iu} is not available")
        return 0
    records = [
        json.loads(line) for line in iu.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    if args.limit:
        records = records[: args.limit]
    cases = iu_cases(records, args.per_code)
    lat = lateral_cases()
    az_path = SHARED / "external" / "azure-radiology-insights-cases.json"
    az = azure_cases(az_path) if az_path.exists() else []
    elapsed = run(cases + lat + az, args.processes)
    n = len(cases) + len(lat) + len(az)
    print(
        f"QA accuracy: {len(records)} originals, {n} reports checked in {elapsed:.1f} s "
        f"({n / elapsed:.0f} reports/s, {args.processes} process(es), seed {SEED})"
    )
    print(
        f"targets: recall >= {TARGET_RECALL} on injected errors, FP rate <= {TARGET_FP} on originals"
    )
    figures: dict[str, Any] = {}
    info = {"bones"}
    for half in ("A", "B"):
        part = [c for c in cases if c.half == half]
        figures[f"half_{half}"] = table(
            part,
            f"IU chest radiographs, half {half}"
            + (" (rules tuned here)" if half == "A" else " (held out)"),
            info_topics=info,
        )
    figures["all"] = table(cases, "IU chest radiographs, both halves", info_topics=info)
    originals = [c for c in cases if c.group == "original"]
    info_rate = sum(1 for c in originals if c.fired.get("finding.missing", set()) & info) / max(
        1, len(originals)
    )
    print(
        f"  (finding.missing FP counts warning-level topics; info-level 'bones' fires on "
        f"{info_rate:.1%} of originals and is advisory)"
    )
    _omissions(originals, info)
    _measurement_split(cases)
    case_table(lat, f"Lateral-exam cases ({len(lat)})")
    if az:
        case_table(az, f"Radiology Insights sample cases ({len(az)})")
    for code in args.show:
        show(cases + lat, code)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

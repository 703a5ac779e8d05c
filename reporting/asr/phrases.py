"""Report sentences recalled into the speech model's prompt: contextual biasing by retrieval.

Whisper treats its prompt as the text said just before the audio, and copies the words and
phrasing it finds there.  A static passage per template teaches it the report's style and
commonest terms; this module adds the sentences most like what the first decode of an
utterance heard, so the second decode (see :mod:`reporting.asr.recall`) can find the words the
first one missed ("aeronometric tossing" -> a recalled "... areas of atelectasis." ->
"areas of atelectasis").

Two sources, used together:

* the bundled phrasebook, ``lexicons/asr_phrases.json``: sentences in our own wording, one list
  per template id plus ``common`` (see ``lexicons/README.md``);
* site phrases: sentences learned from a department's own prior reports
  (``reporting phrases learn``; :func:`learn_sentences`, :func:`write_phrases`), kept in a
  private file (mode 0600) because they are report text.

Similarity is rapidfuzz's normalised Levenshtein ratio between each clause of what was heard
and each sentence, on lower-case letters and digits.  A clause like a sentence in letters may
still miss the one word that was mis-heard ("peritular" for "perihilar"), so with a sound-alike
key (the corrector's phonetic rules) each heard word also brings the sentence, most like its
clause, holding a phrasebook word that sounds like it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from reporting.errors import ConfigError, LexiconError
from reporting.lexicons import check_keys, expect_object, expect_str_list, load_lexicon

__all__ = [
    "Phrasebook",
    "bundled_phrases",
    "default_phrases_path",
    "field_phrases",
    "learn_sentences",
    "phrasebook_for",
    "read_phrases",
    "recall_prompt",
    "site_phrasebook",
    "write_phrases",
]

#: what a site phrase file says it is (``"format"``), and its version
_FORMAT = "reporting-phrases"
_VERSION = 1
#: the speech model keeps the last ~223 prompt tokens: the base passage is cut from its front
#: so that the recalled sentences, nearest the audio, always fit
PROMPT_MAX_WORDS = 190
_MIN_WORDS, _MAX_WORDS = 3, 40
_WORDS = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _clauses(heard: str) -> list[str]:
    """The sentences and comma-separated clauses of ``heard`` worth looking up (two words or
    more; the whole text when none is)."""
    parts = [p for p in re.split(r"(?<=[.!?;:,])\s+", heard.strip()) if len(p.split()) >= 2]
    return parts or ([heard.strip()] if heard.strip() else [])


@dataclass(frozen=True)
class _SoundIndex:
    words: tuple[str, ...]
    keys: tuple[str, ...]
    where: dict[str, list[int]]


@dataclass(frozen=True)
class Phrasebook:
    """Sentences to recall from, in order of preference (earlier ones win ties)."""

    sentences: tuple[str, ...] = ()
    _keys: tuple[str, ...] = field(init=False, repr=False, compare=False)
    #: per sound-alike key function: the phrasebook's words, their keys, and for each word the
    #: sentences holding it (built on first use)
    _sounds: dict[Callable[[str], str], _SoundIndex] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", tuple(_key(s) for s in self.sentences))
        object.__setattr__(self, "_sounds", {})

    def __len__(self) -> int:
        return len(self.sentences)

    def __add__(self, other: Phrasebook) -> Phrasebook:
        seen = set(self._keys)
        extra: list[str] = []
        for sentence, key in zip(other.sentences, other._keys, strict=True):
            if key not in seen:
                seen.add(key)
                extra.append(sentence)
        return Phrasebook(self.sentences + tuple(extra))

    def words(self) -> frozenset[str]:
        """The words of the phrasebook's sentences, lower case (hyphenated ones whole)."""
        return frozenset(w.lower() for s in self.sentences for w in _WORDS.findall(s))

    def recall(
        self,
        heard: str,
        *,
        per_clause: int = 3,
        max_words: int = 120,
        sound: Callable[[str], str] | None = None,
        per_word: int = 1,
        word_score: float = 70.0,
        word_words: int = 40,
    ) -> list[str]:
        """The sentences most like each clause of ``heard`` (``per_clause`` each, clause by
        clause, no repeats), at most ``max_words`` words in all.

        With ``sound`` (a sound-alike key of a word), each heard word of four letters or more
        that those sentences do not hold then adds, for each of the ``per_word`` phrasebook
        words sounding most like it (key ratio ``word_score`` or more) that none holds yet, the
        sentence holding that word most like its clause: up to ``word_words`` words more."""
        from rapidfuzz import fuzz, process

        if not self.sentences:
            return []
        found: list[int] = []
        words = 0

        def add(index: int, limit: int) -> bool:
            """Recall sentence ``index`` if it is new and fits within ``limit`` words."""
            nonlocal words
            size = len(self.sentences[index].split())
            if index in found or words + size > limit:
                return False
            found.append(index)
            words += size
            return True

        clauses = [q for q in (_key(c) for c in _clauses(heard)) if q]
        for query in clauses:
            for _, _, index in process.extract(
                query, self._keys, scorer=fuzz.ratio, limit=per_clause
            ):
                add(index, max_words)
        if sound is not None:
            index_ = self._sound_index(sound)
            held = {w for i in found for w in self._keys[i].split()}
            for query in clauses:
                for token in query.split():
                    if len(token) < 4 or token in held:
                        continue
                    near = process.extract(sound(token), index_.keys, scorer=fuzz.ratio,
                                           limit=per_word, score_cutoff=word_score)  # fmt: skip
                    for _, _, k in near:
                        word = index_.words[k]
                        if word in held:
                            continue
                        best = max(
                            index_.where[word], key=lambda i: fuzz.ratio(query, self._keys[i])
                        )
                        if add(best, max_words + word_words):
                            held.update(self._keys[best].split())
        return [self.sentences[i] for i in found]

    def _sound_index(self, sound: Callable[[str], str]) -> _SoundIndex:
        index = self._sounds.get(sound)
        if index is None:
            where: dict[str, list[int]] = {}
            for i, key in enumerate(self._keys):
                for word in dict.fromkeys(key.split()):
                    if len(word) >= 4:
                        where.setdefault(word, []).append(i)
            words = tuple(sorted(where))
            index = _SoundIndex(words, tuple(sound(w) for w in words), where)
            self._sounds[sound] = index
        return index


def recall_prompt(base: str, recalled: Sequence[str], *, max_words: int = PROMPT_MAX_WORDS) -> str:
    """``base`` (a template passage ending with the spoken word "period") followed by the
    ``recalled`` sentences, ending with a spoken "period" in turn; the front of the passage is
    cut to keep ``max_words`` words."""
    if not recalled:
        return base
    head = re.sub(r"\s*\bperiod\W*$", "", base.strip()).rstrip()
    if head and not head.endswith((".", "?", "!")):
        head += "."
    tail = " ".join(s.strip() for s in recalled).rstrip(" .")
    words = f"{head} {tail}".split()[-max_words:]
    return " ".join(words) + " period"


def _phrases_from(path: Path, data: Any) -> dict[str, tuple[str, ...]]:
    check_keys(path, "the file", data, required=("description", "phrases"))
    lists = expect_object(path, "phrases", data["phrases"])
    out: dict[str, tuple[str, ...]] = {}
    for name, items in lists.items():
        sentences = expect_str_list(path, f"phrases.{name}", items)
        for i, sentence in enumerate(sentences):
            size = len(sentence.split())
            if not _MIN_WORDS <= size <= _MAX_WORDS:
                raise LexiconError(
                    f"{path}: phrases.{name}[{i}] has {size} words; a phrase is one sentence of "
                    f"{_MIN_WORDS} to {_MAX_WORDS} words"
                )
        out[str(name)] = tuple(" ".join(s.split()) for s in sentences)
    if "common" not in out:
        raise LexiconError(f"{path}: phrases must have a 'common' list")
    return out


@cache
def _bundled() -> dict[str, tuple[str, ...]]:
    lex = load_lexicon("asr_phrases.json", required=("phrases",))
    return _phrases_from(lex.path, {"description": lex.description, **lex.data})


@cache
def bundled_phrases(template: str = "") -> Phrasebook:
    """The bundled phrasebook for ``template``: its own list, then ``common`` (every list but
    ``common`` when the template has none of its own, e.g. an imported MRRT template)."""
    lists = _bundled()
    own = [lists[template]] if template in lists else [v for k, v in lists.items() if k != "common"]
    book = Phrasebook()
    for sentences in (*own, lists["common"]):
        book = book + Phrasebook(sentences)
    return book


def field_phrases(spec: Any) -> Phrasebook:
    """Sentences of template ``spec``'s fields as a radiologist dictates them, by the name that
    moves dictation to each: "Uterine length measured in cm." for a measured field, one
    sentence per choice for a choice field ("Free fluid trace, physiologic.", "Birads 4,
    suspicious."), and the name alone for the rest ("Right ovary.").  No phrasebook sentence
    may hold a field's name ("uterine length" is in no report written out), so without these
    the second decode has nothing to recall for it: "Uterine length 9.8 cm" came out as
    "U-RADS 9.8 cm" after a recalled "O-RADS 4".  A measured field's sentence holds no
    number: the speech model copies one ("Post void 4 mL." made a said "forty" 4 mL)."""
    from reporting.asr.fields import ENUMERATED

    sentences: list[str] = []
    for sec in getattr(spec, "sections", ()):
        for fld in getattr(sec, "fields", ()) or ():
            name = " ".join(str(getattr(fld, "trigger", "") or "").split())
            if not name:
                continue
            name = name[0].upper() + name[1:]
            kind, unit = getattr(fld, "type", ""), getattr(fld, "unit", None)
            if kind == "number" and unit:
                sentences.append(f"{name} measured in {unit}.")
            elif kind == "choice" and getattr(fld, "choices", ()):
                for choice in fld.choices:
                    m = ENUMERATED.match(str(choice))
                    said = f"{m.group('key')}, {m.group('rest')}" if m else str(choice)
                    sentences.append(f"{name} {said.rstrip('.')}.")
            else:
                sentences.append(f"{name}.")
    return Phrasebook(tuple(sentences))


# ------------------------------------------------------------------ site phrases

#: sentences that would carry names, dates or times out of a report are not learned
_PRIVATE = re.compile(
    r"\b(?:dr|mr|mrs|ms|prof|doctor|nurse)\b\.?\s+(?-i:[A-Z])|"
    r"\d{1,4}[/-]\d{1,2}[/-]\d{1,4}|\b\d{1,2}:\d{2}\b|\b(?:am|pm|a\.m\.|p\.m\.)\b|"
    r"\b(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d|"
    r"\b(?:19|20)\d{2}\b|XXXX|_{3,}|\*{3,}|\[\w*\]",
    re.IGNORECASE,
)
#: a sentence ends at . ! or ? before a capital, but not after a title ("Dr. Jones")
_SENTENCE_END = re.compile(
    r"(?<=[a-z0-9)%][.!?])(?<!\bdr\.)(?<!\bmr\.)(?<!\bms\.)(?<!\bmrs\.)(?<!\bprof\.)"
    r"\s+(?=(?-i:[A-Z0-9(]))",
    re.IGNORECASE,
)

#: a numbered list in a report ("1. Cardiomegaly 2. Small effusions"): its first item, and
#: where each next item starts (the sentence before it need not end with a full stop)
_LIST_START = re.compile(r"(?:^|\s)1[.)]\s+(?=[A-Z])")
_LIST_ITEM = re.compile(r"(?<=[A-Za-z0-9)%])\.*\s+\d{1,2}[.)]\s+(?=[A-Z])")


def learn_sentences(texts: Iterable[str]) -> list[tuple[str, int]]:
    """The sentences of report ``texts`` (findings and impressions, say) worth recalling, with
    how often each was written, commonest first.  Sentences of 3 to 40 words are kept; ones
    that look like they hold a name, a date, a time or a redaction are not."""
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for text in texts:
        flat = " ".join(text.split())
        if _LIST_START.search(flat):  # the next item's number is not the end of a sentence
            flat = _LIST_ITEM.sub(". ", flat)
        for sentence in _SENTENCE_END.split(flat):
            sentence = re.sub(r"^[\s\-*\u2022\d.)]+(?=[A-Za-z])", "", sentence).strip()
            if not _MIN_WORDS <= len(sentence.split()) <= _MAX_WORDS or _PRIVATE.search(sentence):
                continue
            if not sentence[0].isalpha():
                continue
            key = _key(sentence)
            counts[key] += 1
            shown.setdefault(key, sentence if sentence[-1] in ".!?" else sentence + ".")
    return [(shown[k], n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def write_phrases(
    path: str | Path, learned: Sequence[tuple[str, int]], *, source: str = ""
) -> Path:
    """Write a site phrase file (atomically, private to the user: mode 0600)."""
    import json

    from reporting.resources import atomic_write_text

    data = {
        "format": _FORMAT,
        "version": _VERSION,
        "description": "Sentences learned from prior reports for dictation (reporting phrases "
        "learn); report text: keep private." + (f" Source: {source}." if source else ""),
        "sentences": [{"text": s, "count": n} for s, n in learned],
    }
    return atomic_write_text(
        path, json.dumps(data, ensure_ascii=False, indent=0) + "\n", mode=0o600
    )


def read_phrases(path: str | Path) -> Phrasebook:
    """A site phrase file written by :func:`write_phrases`, validated; errors name the file."""
    from reporting.resources import read_json

    where = Path(path)
    data = read_json(where, error=LexiconError)
    check_keys(where, "the file", data, required=("format", "version", "sentences"),
               optional=("description",))  # fmt: skip
    if data["format"] != _FORMAT or data["version"] != _VERSION:
        raise LexiconError(
            f"{where}: not a phrase file of this version (format {_FORMAT!r}, version "
            f"{_VERSION}); make it with 'reporting phrases learn'"
        )
    items = data["sentences"]
    if not isinstance(items, list):
        raise LexiconError(f"{where}: 'sentences' must be a list")
    sentences: list[str] = []
    for i, item in enumerate(items):
        entry = check_keys(where, f"sentences[{i}]", item, required=("text",), optional=("count",))
        text = entry["text"]
        if not isinstance(text, str) or not text.strip():
            raise LexiconError(f"{where}: sentences[{i}].text must be a non-empty string")
        sentences.append(" ".join(text.split()))
    return Phrasebook(tuple(sentences))


def default_phrases_path() -> Path:
    """Where ``reporting phrases learn`` writes site phrases unless told otherwise."""
    from reporting.resources import user_data_dir

    return user_data_dir() / "phrases.json"


def site_phrasebook(paths: Sequence[str | Path] = ()) -> Phrasebook:
    """Site phrases from ``paths``; without any, from ``asr.phrases`` in config.toml (a path or
    a list of paths), else from :func:`default_phrases_path` when that file exists."""
    from reporting.asr.engine import asr_config

    chosen = [Path(p).expanduser() for p in paths]
    if not chosen:
        config, table = asr_config()
        named = table.get("phrases")
        if isinstance(named, list):
            if not all(isinstance(p, str) for p in named):
                raise ConfigError(f"{config}: asr.phrases must be a path or a list of paths")
            chosen = [Path(p).expanduser() for p in named]
        elif isinstance(named, str):
            chosen = [Path(named).expanduser()]
        elif default_phrases_path().is_file():
            chosen = [default_phrases_path()]
    book = Phrasebook()
    for path in chosen:
        book = book + read_phrases(path)
    return book


def phrasebook_for(
    template: str = "", *, site: Sequence[str | Path] = (), recall: bool | None = None
) -> Phrasebook:
    """What dictation into ``template`` recalls from: the bundled phrasebook plus the site
    phrases (see :func:`site_phrasebook`); an empty phrasebook when ``recall`` is False, or
    None and ``asr.recall = false`` in config.toml."""
    from reporting.asr.engine import asr_config

    if recall is None:
        recall = bool(asr_config()[1].get("recall", True))
    if not recall:
        return Phrasebook()
    return bundled_phrases(template) + site_phrasebook(site)

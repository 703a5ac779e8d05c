"""Negated lists the recogniser cut at a pause, joined back together.

A speaker pauses at the commas of a list, and Whisper sometimes writes such a pause as a full
stop.  "No gross consolidation, atelectasis or infiltrate." then comes out as "No gross
consolidation. Atelectasis or infiltrate.", and the last two findings read as present: the
opposite of what was said.  :func:`join_negated_lists` puts the comma back when the sentence
before names one finding after a negation ("No fractures.") and the fragment after it is a
short verbless list ("Dislocations or bone destruction.").  When the list's last item was cut
off as well ("No pleural effusion. Focal airspace opacities. Or pneumothorax."), both full stops
become commas: a sentence that starts with "or" ends the list.  The rules are data
(``lexicons/asr_lists.json``); the join keeps the text's length, so spans found before it stay
valid::

    rules = load_list_rules()
    text, joined = join_negated_lists("No fractures. Dislocations or bone destruction.", rules)
    # "No fractures, dislocations or bone destruction.", ((14, 46),)
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reporting.errors import LexiconError
from reporting.lexicons import expect_int, expect_str_list, load_lexicon

__all__ = ["ListRules", "load_list_rules", "join_negated_lists"]

#: a written full stop that ends a sentence: followed by space and a capital letter
_STOP = re.compile(r"\.[ \t]+(?=[A-Z])")
#: where a sentence or a line ends
_END = re.compile(r"[.?!](?=\s)|\n")
_WORD = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*")


@dataclass(frozen=True)
class ListRules:
    """The validated contents of ``asr_lists.json`` (see its description)."""

    lead_words: frozenset[str]
    #: negation cues, each as a tuple of words, longest first
    negation_starts: tuple[tuple[str, ...], ...]
    general_words: frozenset[str]
    list_words: frozenset[str]
    clause_words: frozenset[str]
    max_fragment_words: int

    def negation_length(self, words: list[str]) -> int:
        """How many of ``words`` (lower case) the longest negation cue at their start covers;
        0 when none starts them."""
        for cue in self.negation_starts:
            if tuple(words[: len(cue)]) == cue:
                return len(cue)
        return 0


@cache
def load_list_rules(name: str | Path = "asr_lists.json") -> ListRules:
    """The bundled rules (or the lexicon file ``name``), validated."""
    lex = load_lexicon(
        name,
        required=(
            "lead_words",
            "negation_starts",
            "general_words",
            "list_words",
            "clause_words",
            "max_fragment_words",
        ),
    )
    path = lex.path

    def phrases(key: str) -> list[str]:
        values = [" ".join(p.split()) for p in expect_str_list(path, key, lex[key])]
        for i, value in enumerate(values):
            if not value or value != value.lower():
                raise LexiconError(f"{path}: {key}[{i}] must be a non-empty lower-case phrase")
        if not values:
            raise LexiconError(f"{path}: {key} must not be empty")
        return values

    def words(key: str) -> frozenset[str]:
        values = phrases(key)
        for i, value in enumerate(values):
            if " " in value:
                raise LexiconError(f"{path}: {key}[{i}] must be a single word")
        return frozenset(values)

    cues = sorted({tuple(p.split()) for p in phrases("negation_starts")}, key=len, reverse=True)
    most = expect_int(path, "max_fragment_words", lex["max_fragment_words"], minimum=2)
    return ListRules(
        lead_words=words("lead_words"),
        negation_starts=tuple(cues),
        general_words=words("general_words"),
        list_words=words("list_words"),
        clause_words=words("clause_words"),
        max_fragment_words=most,
    )


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _one_negated_finding(sentence: str, rules: ListRules) -> bool:
    """Whether ``sentence`` (its full stop left out) is a negation of one finding: "No
    fractures", "Otherwise, no focal consolidation"."""
    words = _words(sentence)
    lead = 1 if words and words[0] in rules.lead_words else 0
    cue = rules.negation_length(words[lead:])
    item = words[lead + cue :]
    if not cue or not item:
        return False
    # the comma after a lead word ("Otherwise, no ...") is not a list's
    after_lead = sentence.split(",", 1)[1] if lead and "," in sentence else sentence
    if "," in after_lead or ";" in sentence:
        return False
    banned = rules.list_words | rules.clause_words | {"and"}
    return item[-1] not in rules.general_words and not any(w in banned for w in item)


def _bare_list(fragment: str, rules: ListRules) -> bool:
    """Whether ``fragment`` (its full stop left out) is a short verbless list of findings:
    "Atelectasis or infiltrate", "Large pleural effusion or pneumothorax"."""
    words = _words(fragment)
    # "Or pneumothorax": the list's last item cut off on its own
    shortest = 2 if words and words[0] in rules.list_words else 3
    if not shortest <= len(words) <= rules.max_fragment_words:
        return False
    if re.search(r"[\d;:?!()/]", fragment):
        return False
    if rules.negation_length(words) or words[0] in ("not", "none", "neither"):
        return False
    listed = shortest == 2 or any(w in rules.list_words for w in words[1:-1])
    return listed and not any(w in rules.clause_words for w in words)


def join_negated_lists(
    text: str, rules: ListRules, *, at: int | None = None
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """``text`` with each full stop that cut a negated list turned back into a comma (and the
    list's first letter into lower case), and the (start, end) of each list part joined.  The
    text keeps its length.  Only written full stops followed by a capital are looked at; a
    line break ends a sentence for good.  ``at``: join only a list part that starts there
    (where one utterance's text follows the one before it)."""
    out = list(text)
    joined: list[tuple[int, int]] = []
    stops = list(_STOP.finditer(text))
    # where each sentence or line ends, to find the sentence before a full stop by bisection
    ends = [m.start() for m in _END.finditer(text)]
    for i, stop in enumerate(stops):
        begin = stop.end()
        if at is not None and begin != at:
            continue
        before = bisect_left(ends, stop.start()) - 1
        start = (ends[before] if before >= 0 else -1) + 1
        if not _one_negated_finding(text[start : stop.start()], rules):
            continue
        parts = [_fragment(text, begin, stops[i + 1 :])]
        cut_too = i + 1 < len(stops) and "\n" not in text[begin : stops[i + 1].start()]
        if cut_too and not _bare_list(parts[0], rules):
            # "No pleural effusion. Focal airspace opacities. Or pneumothorax.": the list's
            # last item was cut off too
            after = _fragment(text, stops[i + 1].end(), stops[i + 2 :])
            if _starts_list(after, rules) and _bare_list(f"{parts[0]} {after}", rules):
                parts.append(after)
        if not _bare_list(" ".join(parts), rules):
            continue
        for cut, part in zip((stop, *stops[i + 1 :]), parts, strict=False):
            out[cut.start()] = ","
            _lower_first(out, cut.end(), part)
            joined.append((cut.end(), cut.end() + len(part)))
    return "".join(out), tuple(joined)


def _fragment(text: str, begin: int, later: list[re.Match[str]]) -> str:
    """The sentence that starts at ``begin``, without its full stop, up to the next of the
    ``later`` full stops or the end of its line."""
    end = later[0].start() if later else len(text)
    return text[begin:end].split("\n", 1)[0].rstrip().removesuffix(".").rstrip()


def _starts_list(fragment: str, rules: ListRules) -> bool:
    words = _words(fragment)
    return bool(words) and words[0] in rules.list_words


def _lower_first(out: list[str], begin: int, part: str) -> None:
    """Write the first letter of ``part`` (at ``begin`` of ``out``) in lower case, unless its
    word is an abbreviation ("CT")."""
    first = _WORD.match(part)
    if first is None:
        return
    word = first.group(0)
    if word[0].isupper() and (len(word) == 1 or not word[1:2].isupper()):
        out[begin] = word[0].lower()

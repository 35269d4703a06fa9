"""The short answer: the one token or phrase of the best citation that is the thing asked for (a command, a
path, a number with its unit), with its offsets in that citation; nothing when no such span is there."""

from __future__ import annotations

import re

from qa import kinds, sequence
from qa.asking import scene
from qa.meaning import WORD, classes_of, excluded, frame_terms, frame_words
from qa.sparse import STOPWORDS, terms
from qa.types import Citation, ShortAnswer

MAX_SHARE = 0.6  # of the citation's text: a longer span is the passage itself, not a short answer
MAX_CHARS = 120
DEFAULT_BEFORE = re.compile(
    r"\bdefaults? (?:value )?(?:is|to|of|:|=)\s*(?:the |a |an )?[\"'“‘`(]?$|\bdefault [a-z]+ [\"'“‘`]$", re.I
)  # "the default is 100", "The default name "lost_and_found""
DEFAULT_VALUE = re.compile(  # "The default limit is 100.", "the default value is 'fast'"
    r"\bdefault(?: [a-z]+)? (?:is|was|:|=) ?([^\s.;,()][^.;,()\n]{0,40}?)(?=[.;,)]?(?:\s|$))", re.I
)
MAX_DEFAULT_WORDS = 4
NOT_A_VALUE = frozenset("to that the a an in on for when if used set".split())  # "the default is to report ..."
EXTREME = re.compile(
    r"\b(?:(highest|largest|biggest|greatest|maximum|longest)|lowest|smallest|minimum|fewest|shortest)\b",
    re.I,
)  # group 1: the top of a range is asked for


def short_answer(question: str, citation: Citation, best: tuple[int, int] | None = None) -> ShortAnswer | None:
    """The span of `citation` of the kind `question` asks for that it does not already say, nearest to the
    question's own words there, in its `best` part first (the offsets of the best sentence's unit, where the
    citation joins others to it); None when the question asks for no kind or the citation holds none."""
    kind = kinds.asked(question)
    text = citation.text
    if kind is None and kinds.default_asked(question):
        return _default_given(text, citation.id, best)
    candidates = [
        (a, b)
        for a, b in kinds.new_spans(question, kind, text)
        if b - a <= MAX_CHARS and (b - a <= MAX_SHARE * len(text) or len(text) <= 40) and _plausible(kind, text[a:b])
    ]
    if not candidates:
        return None
    aside = excluded(question)
    candidates = [(a, b) for a, b in candidates if not set(terms(text[a:b])) & aside] or candidates
    wanted = set(terms(question)) - frame_terms()
    values = set(VALUE.findall(question))
    anchors = _anchors(wanted, text)
    named = _named(kind, text)
    order = sequence.asked(question)
    noun = asked_noun(question)
    range_asked = bool(RANGE_ASKED.search(question))
    extreme = EXTREME.search(kinds.asking_part(question))
    default_asked = "default" in kinds.states_asked(question)
    exception_asked = kind == "identifier" and EXCEPTION_ASKED.search(kinds.asking_part(question)) is not None
    done = _done_until(question, kind, text)
    a, b = min(
        candidates,
        key=lambda span: (
            best is not None and not (best[0] <= span[0] and span[1] <= best[1]),
            not (order is not None and sequence.next_to(order, text, *span)),
            -_cell_named(question, text, span),
            not _field_named(question, text, span),
            -_names_in_clause(question, text, span),
            not _of_class(noun, text, span),
            exception_asked and not EXCEPTION.search(text[span[0] : span[1]]),
            range_asked and not RANGE.search(text[span[0] : span[1]]),
            _after(done, span),
            span not in named,
            -_values_said(values, kind, text[span[0] : span[1]]),
            -_spelt_in(wanted, kind, text[span[0] : span[1]]),
            kind == "command" and not _own_line(text, span),
            -_line_share(wanted, text, span),
            _extreme(extreme, kind, text[span[0] : span[1]]),
            default_asked and not DEFAULT_BEFORE.search(text[max(0, span[0] - 30) : span[0]]),
            _distance(span, anchors),
            -_weight(kind, text[span[0] : span[1]]),
        ),
    )
    return ShortAnswer(text[a:b], citation.id, a, b)


def _done_until(question: str, kind: str | None, text: str) -> int | None:
    """Where the last command line ends that the asker says was run already ("I ran dquilt new, then dquilt add"),
    None when the question says none: the next step comes after it."""
    ran = scene(question)
    if kind != "command" or not ran:
        return None
    return max((m.end() for m in re.finditer(r"[^\n]+", text) if kinds.ran_already(ran, m.group())), default=None)


def _after(done: int | None, span: tuple[int, int]) -> tuple[bool, int]:
    """Among commands, the first one after those already run (`done`), as a key that sorts it first."""
    if done is None:
        return (False, 0)
    return (span[0] < done, span[0] - done if span[0] >= done else 0)


EXCEPTION = re.compile(r"[a-z](?:Error|Exception|Warning)$")
EXCEPTION_ASKED = re.compile(r"\b(?:exception|error)s?\b", re.I)  # "which exception": AddressValueError
CODE_KINDS = frozenset({"command", "identifier", "option", "field"})


VALUE = re.compile(r"(?<![\w.-])\d+(?:\.\d+)?(?![\w.])")  # "accept only 0, 1 or 2"


def _values_said(values: set[str], kind: str | None, piece: str) -> int:
    """How many of the question's own values a setting in code gives: "choices=[0, 1, 2]" for "accept only 0, 1 or
    2", not "type=int"."""
    if kind not in CODE_KINDS or not values:
        return 0
    return len(values & set(VALUE.findall(piece)))


def _spelt_in(wanted: set[str], kind: str | None, piece: str) -> int:
    """How many of the question's words a name in code spells inside it: "socket.setdefaulttimeout" for "how do I set
    a timeout", not "import urllib.request"."""
    if kind not in CODE_KINDS:
        return 0
    joined = re.sub(r"[\W_]+", "", piece.lower())
    return sum(1 for t in wanted if len(t) >= 4 and t in joined)


def _default_given(text: str, number: int, best: tuple[int, int] | None) -> ShortAnswer | None:
    """The value a citation gives as the default, for a question that asks for one and no kind of thing: "100" of
    "The default limit is 100.", in the best part first; None where the default is a phrase ("The default is to
    report only serious problems")."""
    found = [
        m.span(1)
        for m in DEFAULT_VALUE.finditer(text)
        if len(m.group(1).split()) <= MAX_DEFAULT_WORDS and m.group(1).split()[0].lower() not in NOT_A_VALUE
    ]
    if not found:
        return None
    a, b = min(found, key=lambda span: best is not None and not (best[0] <= span[0] and span[1] <= best[1]))
    return ShortAnswer(text[a:b], number, a, b)


def _cell_named(question: str, text: str, span: tuple[int, int]) -> int:
    """In a table (a header row, then rows), how well the question names the span's cell: the words of its
    column's header it says ("amd64 multiarch path"), and one more when it says the row's first cell ("/usr/lib/");
    0 outside a table."""
    lines = text.split("\n")
    if len(lines) < 2 or not all(" | " in line for line in lines):
        return 0
    start = text.rfind("\n", 0, span[0]) + 1
    row = text[start:].split("\n")[0]
    column = row[: span[0] - start].count(" | ")
    header = lines[0].split(" | ")
    asked = set(terms(question)) - frame_terms()
    by_column = len(set(terms(header[column])) & asked) if column < len(header) else 0
    said = {w.strip(".,;:?!()\"'").lower() for w in question.split()}
    by_row = start > 0 and row.split(" | ")[0].strip().lower() in said
    return by_column + int(by_row)


FIELD = re.compile(r"([A-Z][A-Za-z-]{2,30}): \S")  # a field of a record: "Maintainer: Santiago Vila"


def _field_named(question: str, text: str, span: tuple[int, int]) -> bool:
    """The span is the value of a record's field that the question names ("who is listed as the maintainer")."""
    start = text.rfind("\n", 0, span[0]) + 1
    field = FIELD.match(text, start)
    return field is not None and field.end() - 1 <= span[0] and set(terms(field.group(1))) <= set(terms(question))


def _names_in_clause(question: str, text: str, span: tuple[int, int]) -> int:
    """How many of the question's names the span's clause says: "Z3" picks "Z3 prover version at least 4.4.0"
    out of "CVC4 ... at least 1.5, and Z3 ... at least 4.4.0"."""
    names = {t for w in question.split() if kinds.is_name(w.strip("?,.;:!'\""), question) for t in terms(w)}
    return len(names & set(terms(kinds.clause_around(text, *span)))) if names else 0


RANGE_ASKED = re.compile(r"\brange\b", re.I)
RANGE = re.compile(r"\d\s?[-–]\s?\d")  # "49152-50175"
ASKED_NOUN = re.compile(r"\b(?:what|which)((?:\s+[\w.+-]+){1,3})", re.I)


def asked_noun(question: str) -> str | None:
    """The noun that ends "which ...": "port" in "which USB port will ...", "license" in "under which license is"."""
    match = ASKED_NOUN.search(question)
    if match is None:
        return None
    noun = None
    for word in match.group(1).split():
        if word.lower() in STOPWORDS or word.lower() in frame_words():
            break
        if noun and "v" in classes_of(word) and word.lower().endswith("s"):
            break  # "which file holds"
        if "n" in classes_of(word) or word[:1].isupper():
            noun = word
        else:
            break
    return noun if noun and "n" in classes_of(noun) and not noun[:1].isupper() else None


def _of_class(noun: str | None, text: str, span: tuple[int, int]) -> bool:
    """The span names a thing of the asked-for class by that class's name: "GNU Affero General Public License" for
    "which license", "USB 3.0 port" for "which USB port"."""
    if noun is None:
        return False
    stems = set(terms(noun))
    following = WORD.findall(text[span[1] : span[1] + 40])[:1]
    return bool(stems & set(terms(text[span[0] : span[1]])) or (following and stems & set(terms(following[0]))))


def _named(kind: str | None, text: str) -> set[tuple[int, int]]:
    """The spans the text gives as a thing's name ("these scripts are called britney"; for a tool, "you can use
    msguntypot"): what a question for a name or a tool asks for, before any other word of that shape."""
    if kind not in ("term", "package", "command"):
        return set()
    patterns = {
        "package": (kinds.CALLED, kinds.USED, kinds.USED_FR),
        "command": (kinds.USED_FR,),  # "signés en utilisant la commande debsign"
        "term": (kinds.CALLED,),
    }[kind]
    return {kinds.trimmed(text, *m.span(1)) for pattern in patterns for m in pattern.finditer(text)}


def _own_line(text: str, span: tuple[int, int]) -> bool:
    """The span is a command line of its own, a shell prompt aside: a command shown with its arguments, not a word of
    the sentence over it (a macro alone on its line is a term that the next line describes)."""
    if len(text[span[0] : span[1]].split()) < 2:
        return False
    start = text.rfind("\n", 0, span[0]) + 1
    end = text.find("\n", span[1])
    line = text[start : end if end >= 0 else len(text)]
    return kinds.PROMPTED.sub("", line, count=1).strip() == text[span[0] : span[1]].strip()


def _line_share(wanted: set[str], text: str, span: tuple[int, int]) -> int:
    """How many of the question's content terms (`wanted`) the span's own line holds: in a list of tools each with
    what it does, the line that says what the question asks about."""
    start = text.rfind("\n", 0, span[0]) + 1
    end = text.find("\n", span[1])
    return len(wanted & set(terms(text[start : end if end >= 0 else len(text)])))


def _extreme(asked: re.Match[str] | None, kind: str | None, piece: str) -> float:
    """Among numbers, the one at the end of the range the question asks for ("the highest level N": 22 of "N=1 to
    N=22"), as a key that sorts it first; 0 where no end is asked."""
    digits = re.search(r"\d[\d,]*(?:\.\d+)?", piece)
    if asked is None or kind != "number" or digits is None:
        return 0.0
    value = float(digits.group().replace(",", ""))
    return -value if asked.group(1) else value


def _plausible(kind: str | None, piece: str) -> bool:
    if kind in ("person", "organisation", "place") and not kinds.all_capitalised(piece):
        return False  # "AI-focused" is no name: each part of a person's or a place's name is capitalised
    if kind in ("person", "organisation", "place", "term"):
        return not set(terms(piece)) <= frame_terms()
    return True


def _weight(kind: str | None, piece: str) -> int:
    """Among spans equally near, the more telling: a number with its unit, a whole command line."""
    if kind == "number":
        return int(bool(re.search(r"[^\W\d_]", piece)))
    return len(piece.split())


def _anchors(wanted: set[str], text: str) -> list[int]:
    """Where the question's own content words (`wanted`) are in `text`."""
    return [m.start() for m in WORD.finditer(text) if set(terms(m.group())) & wanted]


def _distance(span: tuple[int, int], anchors: list[int]) -> int:
    if not anchors:
        return span[0]
    return min(0 if span[0] <= x < span[1] else min(abs(x - span[0]), abs(x - span[1])) for x in anchors)

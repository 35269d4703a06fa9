"""Numbers as answers: what a "how many" question counts, and which numbers of a text count it ("31d" counts
days, "20MiB" counts no archives, the "one" of "finds one that is free" counts nothing)."""

from __future__ import annotations

import re

from qa import thesaurus
from qa.meaning import ALONE, classes_of, frame_words
from qa.sparse import STOPWORDS, terms

ONE_AFTER = re.compile(r"\s+(?:of|that|which|who|whose|is|was|will|can|you)\b", re.I)
ONE_BEFORE = re.compile(
    r"\b(?:if|when|unless|finds?|any|no|each|every|this|that|the|a|another|new|only|which|other|same)\s+$", re.I
)
UNIT_FAMILIES = {
    "size": r"[kmgtp]i?b|[kmgtp]i?bytes?|bytes?|bits?|kilobytes?|megabytes?|gigabytes?|terabytes?",
    "time": r"seconds?|minutes?|hours?|days?|weeks?|months?|years?|ms|milliseconds?",
    "length": r"km|kilomet(?:er|re)s?|miles?|metres?|meters?",
    "mass": r"kg|kilograms?",
    "money": r"dollars?|euros?",
}  # units of measure: a number with one measures, and counts only things of its family ("31 days" for "how many days")
UNIT_NAMED = re.compile(
    rf"\b(?:in|as) (?:units of )?(?:{'|'.join(UNIT_FAMILIES.values())})\b", re.I
)  # "how often, in seconds": the question gives the unit, and a bare number answers it
COUNTED = re.compile(r"\bhow many ((?:[\w'-]+ ){0,3}[\w'-]+)", re.I)  # the counted thing and the words after it
HOW_OFTEN = re.compile(r"\bhow often\b|\bhow many times\b", re.I)
FRACTION = re.compile(r"(?:half|quarter|once|twice|dozens?|hundreds|thousands|millions|billions)", re.I)  # no count
NUMBER_OF = re.compile(r"\bnumber of ([^\W\d_][\w'-]*)", re.I)
UNIT_LETTERS = {
    "second": "s|secs?",
    "minut": "m|mins?",
    "hour": "h|hrs?",
    "day": "d",
    "week": "w|wks?",
    "month": "m|mo",
    "year": "y|yrs?",
}  # a time unit's letters right after its number: "31d", "10min", as options and settings write them


MEASURES_ASKED = {  # the family of measure a question asks for by its verbs: "how long does it wait" is a time
    "time": re.compile(
        r"\bhow long\b[^?]*\b(?:wait|waits|take|takes|run|runs|last|lasts|stay|stays|sleep|sleeps|retry|retries|"
        r"expire|expires|timeout|idle|before|until)\b|\bhow (?:soon|quickly)\b",
        re.I,
    ),
    "size": re.compile(r"\bhow (?:much|big|large)\b[^?]*\b(?:disk|space|memory|ram|storage)\b", re.I),
}
MEASURES_ASKED_FR = {  # the same in a French question: "combien de temps dure le gel", "combien d'espace disque"
    "time": re.compile(
        r"\bcombien (?:de |d['’])(?:temps|jours|semaines|mois|ans|années|heures|minutes|secondes)\b"
        r"|\bquel(?:le)? (?:est (?:la |le )?)?(?:durée|délai)\b|\b(?:au bout|pendant) de combien\b",
        re.I,
    ),
    "size": re.compile(
        r"\bcombien (?:de |d['’])(?:espace|place|mémoire|ram|stockage|disque)\b|\bquelle (?:est (?:la )?)?taille\b",
        re.I,
    ),
}
FRENCH_UNITS = {
    "time": r"secondes?|heures?|jours?|semaines?|mois|ans|années?",
    "size": r"[kmgtp]o|(?:kilo|méga|giga|téra)-?octets?|octets?",
}
UNITS_AFTER = {
    family: re.compile(rf"\s?(?:{UNIT_FAMILIES[family]}|{french})\b", re.I) for family, french in FRENCH_UNITS.items()
}  # a unit word after a number, in English or French: "10 jours", "650 Mo"


def measure_asked(question: str) -> str | None:
    """The family of unit (UNIT_FAMILIES) the question's measure is in, where its verbs say: "how long does borg
    wait" asks for a time, "how much disk space" for a size."""
    return next((name for name, pattern in MEASURES_ASKED.items() if pattern.search(question)), None)


def measure_asked_across(question: str) -> str | None:
    """The family of unit a question in another language asks its measure in, where its words say (French)."""
    return next((name for name, pattern in MEASURES_ASKED_FR.items() if pattern.search(question)), None)


def measured_in(family: str, text: str, a: int, b: int) -> bool:
    """The number text[a:b] comes with a unit of `family`, written in it or right after it ("10 jours", "650 Mo")."""
    return measured_as(text[a:b]) == family or UNITS_AFTER[family].match(text, b) is not None


def measured_as(piece: str) -> str | None:
    """The family of the unit the number `piece` ends in, None for a bare number."""
    return _family(piece, ending=True)


def measured_otherwise(counted: str, piece: str) -> bool:
    """The number comes with a unit of measure (bytes, time, length, money) of another family than the counted
    thing's: "20MiB" counts no archives; "2000 km" answers "how many miles"."""
    given = _family(piece, ending=True)
    return given is not None and given != _family(counted)


def _family(text: str, ending: bool = False) -> str | None:
    """The family of the unit that `text` is, or that it ends in after a number (`ending`)."""
    for name, units in UNIT_FAMILIES.items():
        if re.search(rf"\d\s?(?:{units})$", text, re.I) if ending else re.fullmatch(units, text, re.I):
            return name
    return None


def no_count(question: str, piece: str) -> bool:
    """ "half", "dozens": no count, and "once"/"twice" none unless the question asks how many times."""
    return FRACTION.fullmatch(piece) is not None and not (
        HOW_OFTEN.search(question) and piece.lower() in ("once", "twice")
    )


def pronoun(text: str, a: int, b: int) -> bool:
    """The span is the "one" of "one of the major standards" or "until it finds one that is not used": a member of a
    group or a thing, not a quantity."""
    if text[a:b].lower() != "one":
        return False
    return ONE_AFTER.match(text, b) is not None or ONE_BEFORE.search(text[max(0, a - 12) : a]) is not None


def counts_other(word: str, clause: str) -> bool:
    """The clause gives the number of something else ("the number of pages ... is limited to 63")."""
    other = NUMBER_OF.search(clause)
    return other is not None and not counts(word, clause)


def counted_word(question: str) -> str | None:
    """What a "how many" question counts ("how many extra years of support" -> "years"): a count of something
    else ("four decisions" for "how many members") does not answer it."""
    match = COUNTED.search(question)
    if match is None:
        return None
    head = None
    for n, word in enumerate(match.group(1).split()):
        classes = classes_of(word)
        verb = n > 0 and classes and not {"n", "a"} & set(classes)  # "how many redirects": a noun, whatever the
        # word list says of its plural
        if word.lower() in STOPWORDS or word.lower() in frame_words() or verb:
            break
        head = word
    return head if head and terms(head) else None


def abbreviated(word: str, text: str, end: int) -> bool:
    """The number ending at `end` is written with the counted `word`'s unit letters: "31d" for "how many days"."""
    letters = UNIT_LETTERS.get(terms(word)[-1]) if terms(word) else None
    return letters is not None and re.match(rf"(?:{letters})(?![\w-])", text[end:], re.I) is not None


def counts(word: str, sentence: str) -> bool:
    """The sentence says the counted `word`, literally or in other words ("dairy cattle" for "dairy cows")."""
    if terms(word)[-1] in terms(sentence):
        return True
    close = thesaurus.closest([word], re.findall(r"[^\W\d_][\w'-]*", sentence))
    return close is not None and bool(close[0] >= ALONE)

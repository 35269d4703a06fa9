"""Question words matched to a passage by meaning: each word's vector is the mean of its tokens' states in the
model's pass over its own text (as in BERTScore), and a question word counts as said when some word of the
passage comes close enough. "grow" finds "flourish", "deleted" finds "erased"; "population" finds nothing
in an article that never gives one."""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa import thesaurus
from qa.embedding import Embedder
from qa.sparse import CJK_RUN, STOPWORDS, terms

WORD = re.compile(r"[^\W_][\w'’.+/~@$-]*")
FRAME = Path(__file__).with_name("frame_words.txt")
CLASSES = Path(__file__).with_name("word_classes.txt")  # benchmarks/word_classes.py writes it
BEFORE_VERB = frozenset(
    "i you we they he she it to can could should would will must may might do does did don't doesn't didn't "
    "can't won't not never also just ever please".split()
)
SET_ASIDE = re.compile(
    r"\b(?:apart from|aside from|other than|besides|except(?: for)?|beyond|as opposed to|rather than)\s+([^,;:?!.]*)",
    re.I,
)  # "apart from banks, how do firms ...": what the question sets aside is not what it asks about
NOT_THESE = re.compile(r"[,;]\s*not\s+([^;:?!.]*)", re.I)  # "a custom schedule, not hourly, daily or weekly"
IDENTIFIER = re.compile(r"\w_\w|[a-z][A-Z]|[A-Za-z]\d|\d[A-Za-z]")  # a name in code: mmap_size, leftPadding, utf8
DOCUMENTS = re.compile(
    r"\b(?:the|this|these|your|its) ((?:faq|manual|docs?|documentation|guide|handbook|spec|specification|readme"
    r"|man ?page|tutorial|howto|user guide|reference)s?)\b(?! (?:file|folder|directory|package|path|page)s?\b)",
    re.I,
)  # the documents as a question calls them: "what does the FAQ suggest"
OBJECTS = frozenset("me him her it us them".split())  # "but leaves them in the list": a verb before its object
NOUN_BEFORE = frozenset("the a an my your our its their this that these those his her".split())
VERB_BEFORE = frozenset({"to"})  # "to position the city"; "can power the hardware" keeps the sense of "a power cut"
EXAMPLE = re.compile(r"\b(?:like|such as|e\.g\.,?|for example,?)\s+(['\"‘“][^'\"’”\n]{1,60}['\"’”])", re.I)
JOINS = frozenset("and or the a an its their".split())
WH = frozenset("what who that".split())  # "what helps", "who maintains"; "which plans" is a noun
FOREIGN_SHARE = 0.5  # of a question's words, neither English nor in the corpus: another language
THRESHOLD = 0.5  # cosine of two words' token states; chosen on the debian-dev and SQuAD tuning questions
ALONE = 0.6  # cosine of two words read alone (qa.thesaurus) that counts as a paraphrase when ranking sentences


@lru_cache(maxsize=1)
def frame_words(path: Path = FRAME) -> frozenset[str]:
    """The words that only frame a question ("besides", "just", "opposed"): never what it is about."""
    return frozenset(w for line in path.read_text().splitlines() if not line.startswith("#") for w in line.split())


@lru_cache(maxsize=1)
def frame_terms() -> frozenset[str]:
    return frozenset(t for w in frame_words() for t in terms(w))


@lru_cache(maxsize=1)
def word_classes(path: Path = CLASSES) -> dict[str, str]:
    """Each English word form and the classes it can have: n noun, a adjective, v verb, r adverb."""
    pairs = (line.split(" ", 1) for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    return {word: letters for word, letters in pairs}


def classes_of(word: str) -> str:
    table = word_classes()
    return table.get(word) or table.get(word.lower(), "")


def names_a_thing(word: str) -> bool:
    """The word can be a noun or an adjective ("largest", "safer"), or is no English word at all (a name, a
    command, a CJK word): something a question is about. A word that can only be a verb or an adverb ("dealt",
    "vanished", "besides") frames it."""
    classes = classes_of(word)
    return not classes or "n" in classes or "a" in classes


def framing_terms(question: str) -> frozenset[str]:
    """Stems of the question's words that only frame it: frame words, words that cannot name a thing, and
    words used as a verb there ("how do I stop ...", "what could affect ...")."""
    about: set[str] = set()
    framing: set[str] = set()
    words = WORD.findall(question)
    for n, word in enumerate(words):
        previous = words[n - 1].lower() if n else ""
        following = words[n + 1].lower() if n + 1 < len(words) else ""
        verb = previous in BEFORE_VERB or (previous in WH and word.lower().endswith("s")) or following in OBJECTS
        thing = names_a_thing(word) and not (verb and _can_be_verb(word))
        (about if thing else framing).update(terms(word))
    return frozenset(
        (framing - about) | frame_terms() | set_aside(question) | examples(question) | references(question)
    )


def references(question: str) -> set[str]:
    """Stems of the words by which a question points at the documents themselves ("what does the FAQ suggest",
    "according to the manual"): the documents need not name themselves."""
    return {t for m in DOCUMENTS.finditer(question) for t in terms(m.group(1))}


def examples(question: str) -> set[str]:
    """Stems of an example the question gives ("text like '3.14159'", "a time such as '14:30'"): a value to
    picture, not a thing the documents must say."""
    return {t for match in EXAMPLE.finditer(question) for t in terms(match.group(1))}


def nouns_said_as_verbs(question: str, text: str) -> set[str]:
    """Stems of words the question uses as a noun ("Hong Kong's position", "the set") that `text` says only as a
    verb ("to position the city"): the same letters, another word."""
    asked = _pairs(question)
    nouns = {w for previous, w in asked if previous in NOUN_BEFORE or previous.endswith(("'s", "’s"))}
    if not nouns:
        return set()
    as_verb: set[str] = set()
    other: set[str] = set()
    for previous, w in _pairs(text):
        if w in nouns:
            (as_verb if previous in VERB_BEFORE else other).update(terms(w))
    return (as_verb - other) - {t for _, w in asked if w not in nouns for t in terms(w)}


def _pairs(text: str) -> list[tuple[str, str]]:
    """Each lower-cased word of `text` with the word before it ("" for the first)."""
    words = [w.lower() for w in WORD.findall(text)]
    return list(zip(["", *words], words))


def set_aside(question: str) -> set[str]:
    """Stems of what the question excludes ("apart from banks and insurers", "besides technology"): no answer
    need say it."""
    aside: set[str] = set()
    for match in [*SET_ASIDE.finditer(question), *NOT_THESE.finditer(question)]:
        for word in match.group(1).split()[:6]:
            if word.lower() in JOINS:
                continue
            if word.lower() in STOPWORDS:
                break
            aside.update(terms(word))
    return aside


def excluded(question: str) -> set[str]:
    """Stems of what the question sets aside and does not say elsewhere ("a custom schedule, not hourly or daily";
    not "version" in "dates, not version numbers. What version format ...?"): an answer about it is not the one."""
    rest = NOT_THESE.sub(" ", SET_ASIDE.sub(" ", question))
    return set_aside(question) - set(terms(rest))


def _can_be_verb(word: str) -> bool:
    return "v" in classes_of(word)


def foreign(question: str, vocabulary: Container[str]) -> bool:
    """Most of the question's words are neither English nor in the corpus: it is asked in another language."""
    words = [w for w in WORD.findall(question) if len(w) > 2 or CJK_RUN.search(w)]
    strange = [w for w in words if not _english(w) and not set(terms(w)) & _known(terms(w), vocabulary)]
    return len(strange) >= 2 and len(strange) >= FOREIGN_SHARE * len(words)


def _known(stems: Sequence[str], vocabulary: Container[str]) -> set[str]:
    return {t for t in stems if t in vocabulary}


def _english(word: str) -> bool:
    lower = word.lower()
    return not CJK_RUN.search(word) and (bool(classes_of(word)) or lower in STOPWORDS or lower in frame_words())


def word_spans(text: str) -> list[tuple[int, int]]:
    """Where the words of `text` are: what a question's word vectors are taken over."""
    return [(m.start(), m.end()) for m in WORD.finditer(text)]


def closeness(
    embedder: Embedder, question: str, passage: str, wanted: Sequence[str], words: np.ndarray | None = None
) -> dict[str, float]:
    """For each term of `wanted` (stems of question words), the cosine of its word to the closest word of
    `passage`; `matched` keeps those at THRESHOLD or above. `words` are the vectors of the question's
    `word_spans`, when the question's own forward pass gave them (qa.retrieval), so only the passage is run."""
    wanted_set = set(wanted)
    spans = word_spans(question)
    asked = [
        n
        for n, (a, b) in enumerate(spans)
        if set(terms(question[a:b])) & wanted_set and not IDENTIFIER.search(question[a:b])
    ]  # "mmap_size" is said or not: no "page size" means it
    said = [(m.start(), m.end()) for m in WORD.finditer(passage) if _content(m.group())]
    if not asked or not said:
        return dict.fromkeys(wanted_set, 0.0)
    if words is None or len(words) != len(spans):
        words = embedder.encode_passages([question], [spans])[1]
    passage_words = embedder.encode_passages([passage], [said])[1].astype(np.float32)
    best = (words[asked].astype(np.float32) @ passage_words.T).max(axis=1)
    scores = dict.fromkeys(wanted_set, 0.0)
    for n, score in zip(asked, best):
        a, b = spans[n]
        for t in set(terms(question[a:b])) & wanted_set:
            scores[t] = max(scores[t], float(score))
    return scores


def matched(scores: dict[str, float]) -> set[str]:
    return {t for t, score in scores.items() if score >= THRESHOLD}


def _content(word: str) -> bool:
    lower = word.lower()
    return lower not in STOPWORDS and not (set(terms(lower)) <= frame_terms())


def paraphrase_share(
    question: str,
    texts: Sequence[str],
    idf: Callable[[Sequence[str]], dict[str, float]],
    ignore: Container[str] = frozenset(),
    alone: float = ALONE,
) -> np.ndarray:
    """For each text, the share of the question's term weight (`idf`) that it says only in other words: each
    question word it lacks literally, credited with its closeness to the text's closest word (qa.thesaurus, words
    read alone) where that reaches `alone`; terms in `ignore` and frame words do not count. Zeros where the second encoder is not installed."""
    frame = frame_terms()
    asked = [
        (w, t)
        for w in WORD.findall(question)
        if w.lower() not in STOPWORDS
        for t in terms(w)
        if t not in frame and t not in ignore
    ]
    weight = idf(sorted({t for _, t in asked}))
    total = sum(weight.values())
    shares = np.zeros(len(texts))
    if not asked or total <= 0:
        return shares
    said_in = [[w for w in WORD.findall(text) if _content(w)] for text in texts]
    if thesaurus.word_vectors([w for w, _ in asked] + [w for said in said_in for w in said]) is None:
        return shares  # one batch for every word: the encoder reads many words at once faster than a few at a time
    for n, text in enumerate(texts):
        literal = set(terms(text))
        lacking = [(w, t) for w, t in asked if t not in literal]
        said = said_in[n]
        close = thesaurus.closest([w for w, _ in lacking], said) if lacking else None
        if close is None:
            continue
        credit: dict[str, float] = {}
        for (_, t), score in zip(lacking, close):
            if score >= alone:
                credit[t] = max(credit.get(t, 0.0), float(score))
        shares[n] = sum(weight[t] * c for t, c in credit.items()) / total
    return shares

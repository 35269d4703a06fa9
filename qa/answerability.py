"""Whether the retrieved passages answer a question: evidence gathered into a few numbers, weighed by a
logistic regression fitted on the SQuAD tuning articles (benchmarks/fit_answerability.py writes
qa/answerability.json; plain numbers, nothing pickled).

The evidence: how close the best sentences are in meaning; whether the question's specific terms (high
IDF here, or absent from the corpus altogether, like "population" in an article that never gives it) occur
in the chosen sentence or its neighbours; whether a sentence holds the kind of thing asked for (a number for
"how many", a name for "who", a date for "when"); the margin between the best sentence and the rest.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.asking import ABBREVIATION, asking_part, asking_parts
from qa.codenames import asked_code_names, says
from qa.kinds import (
    KIND_NOUNS,
    NAMES,
    REFUSING_KINDS,
    STATE_QUALIFIERS,
    bounds_asked,
    class_noun,
    default_asked,
    focus,
    gives_default,
    is_name,
    rankings_said,
    states_said,
)
from qa.meaning import IDENTIFIER, framing_terms, matched
from qa.retrieval import MAX_GAP, Sentence
from qa.sparse import CJK as CJK_CHARACTERS
from qa.sparse import CJK_RUN as CJK
from qa.sparse import Sparse, terms
from qa.types import Chunk
from qa.units import is_term_line

PARAMETERS = Path(__file__).with_name("answerability.json")
COMMON = Path(__file__).with_name("common_terms.txt")
FEATURES = (
    "best_cosine",  # the closest sentence's cosine to the question
    "chosen_cosine",  # the chosen sentence's cosine
    "chosen_lexical",  # share of the question's term weight (IDF) found in the chosen sentence
    "window_lexical",  # the same share found in the chosen sentence and its neighbours
    "best_lexical",  # the largest share found in any one sentence
    "missing_specific",  # IDF of the most specific question term absent from the chosen window, over the largest
    "unknown_share",  # share of the question's term weight absent from the whole corpus
    "type_unmet",  # the question asks for a number, date, person or place and the window holds none
    "type_met",  # ... and the window holds one
    "margin",  # combined score of the chosen sentence minus the next best
    "top_chunk",  # the best chunk's cosine to the question
    "terms",  # log(1 + number of question terms)
    "passages_lexical",  # share of the question's term weight found anywhere in the retrieved passages
    "lexical_cosine",  # chosen_lexical times chosen_cosine: both at once
    "missing_rarity",  # IDF of the most specific missing term over the IDF of a term in no chunk (corpus size apart)
    "weakest_meaning",  # of the question terms the window lacks, the lowest cosine to a word of it (1 when none)
)


STATE_TERMS = frozenset(t for w in STATE_QUALIFIERS for t in terms(w))  # they bind wherever the question says them
OWNED = KIND_NOUNS | {"interface", "app", "service", "page", "client", "account"}  # what a name can own
_KIND = "|".join(sorted(OWNED))
OWNING = frozenset("for of on by".split())
OWN = frozenset("my our".split())
DETERMINERS = frozenset("the a an my your our its their".split())
OWNER_AFTER = re.compile(
    rf"\b(?:what|which)\s+(?:[\w-]+\s+){{0,2}}?(?P<kind>(?:{_KIND})s?)\s+(?:does|do|did|is|are|will|can)\s+"
    rf"(?:the\s+)?(?P<name>[^\W_][\w+.-]*[\w+])",
    re.I,
)
BOUND_RARITY = 0.4  # of a term in no chunk's IDF: a name rarer than this must be said where the answer is
NEAR_SPELLING = 0.8  # difflib ratio above which two terms are one word spelt two ways
Meaning = Callable[[str, Sequence[str]], dict[str, float]]  # (window, terms) -> closeness


@dataclass(frozen=True)
class Evidence:
    """The numbers the decision weighs, and the question terms that were not found, for the reason."""

    values: tuple[float, ...]
    missing: tuple[str, ...]  # question words whose terms the chosen window lacks, most specific first
    unknown: tuple[str, ...]  # question words whose terms the corpus lacks altogether
    found: tuple[str, ...]  # question words found in the chosen window
    asked: str | None  # number, time, person, place or None
    absent: tuple[str, ...] = ()  # names or states that pick out the asked-for thing, which the passage never says


@dataclass(frozen=True)
class Decision:
    answered: bool
    probability: float  # that the passages answer the question
    reason: str  # one line when not answered
    kind_missing: bool = False  # refused by rule whatever the probability: no number or date where one is asked


@dataclass(frozen=True)
class Model:
    """Logistic regression over standardised FEATURES; answer when the probability reaches `threshold`."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    threshold: float  # the default operating point (QA_STRICTNESS overrides it)

    def probability(self, evidence: Evidence) -> float:
        x = (np.asarray(evidence.values) - np.asarray(self.mean)) / np.asarray(self.scale)
        z = float(x @ np.asarray(self.coefficients) + self.intercept)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


@lru_cache(maxsize=1)
def load_model(path: Path = PARAMETERS) -> Model:
    raw = json.loads(path.read_text())
    if tuple(raw["features"]) != FEATURES:
        raise ValueError(f"{path} was fitted on other features; run benchmarks/fit_answerability.py")
    return Model(
        tuple(raw["mean"]),
        tuple(raw["scale"]),
        tuple(raw["coefficients"]),
        float(raw["intercept"]),
        float(raw["threshold"]),
    )


@lru_cache(maxsize=1)
def common_terms(path: Path = COMMON) -> frozenset[str]:
    """Terms too common in any English text to be what a question is about ("use", "many", "year")."""
    return frozenset(path.read_text().split())


def phrases(question: str, wanted: Sequence[str]) -> tuple[str, ...]:
    """The question's words whose terms are in `wanted`, runs of neighbours joined ("Hong Kong"), in the
    order of `wanted`; CJK terms stand for themselves."""
    wanted_set = set(wanted)
    runs: list[tuple[list[str], set[str]]] = []
    previous = False
    end = 0
    for match in re.finditer(r"\d+(?:\.\d+)+[\w'’-]*|[\w'’-]+", question):  # "2.23.0" is one word
        word = match.group()
        previous = previous and not question[end : match.start()].strip()  # "mmap_size / SQLITE_...": two names
        end = match.end()
        word_terms = [t for t in terms(word) if t in wanted_set]
        if CJK.search(word):
            runs.extend(([t], {t}) for t in [t for t in word_terms if len(t) > 1] or word_terms)
            previous = False
        elif word_terms:
            if previous:
                runs[-1][0].append(word)
                runs[-1][1].update(word_terms)
            else:
                runs.append(([word], set(word_terms)))
            previous = True
        else:
            previous = False
    order = {t: n for n, t in enumerate(wanted)}
    runs.sort(key=lambda run: min(order[t] for t in run[1]))
    return tuple(dict.fromkeys(" ".join(words) for words, _ in runs))


def gather(
    question: str,
    sentences: Sequence[Sentence],
    combined: np.ndarray,
    chosen: int,
    sparse: Sparse,
    asked: str | None,
    kind_found: Sequence[bool],
    meaning: Meaning | None = None,
    unit: str = "",
) -> Evidence:
    """The evidence for answering `question` with sentence `chosen` (an index into `sentences`).

    `kind_found[i]` says whether sentence i holds the asked-for kind of thing (see answer.answer_type_match);
    `meaning(passage, terms)` says how close the chosen unit comes to each question term the window lacks
    (qa.meaning); `unit` is the text of the unit that holds the chosen sentence (qa.units), part of the window.
    """
    window = window_of(sentences, chosen)
    hit_text = sentences[chosen].hit.chunk.text
    in_window: set[str] = set(sentence_terms(unit))
    for n in window:
        in_window |= sentence_terms(sentences[n].text)
    window_text = " ".join([unit, *(sentences[n].text for n in window)])
    said_states = states_said(window_text)
    in_window |= {t for state in said_states for t in terms(state)}
    bounds = bounds_asked(question)  # "the highest value" is said by "at most 20000" or "the maximum of 2147483647"
    limits = {t for word in bounds for t in terms(word)}
    limits_said = {t for word, state in bounds.items() if state in said_states for t in terms(word)}
    states = STATE_TERMS | limits
    every = sorted(set(terms(ABBREVIATION.sub(" ", question))) - cjk_noise(question, in_window))
    common = common_terms() | framing_terms(question) | set(terms(class_noun(question) or ""))
    question_terms = [t for t in every if t not in common or t in limits] or every
    scene = scene_terms(question)
    question_terms = [t for t in question_terms if t not in scene or t in in_window] or question_terms
    in_window |= code_terms(question) & sentence_terms(paragraph_of(sentences[chosen]))
    unsaid = [t for t in question_terms if t not in in_window]
    closest = meaning(unit or sentences[chosen].text, unsaid) if meaning and unsaid else {}
    in_window |= matched(closest)
    if meaning and unsaid:
        in_window |= rankings_said(question, window_text)
    if default_asked(question):  # "the default mail relay policy: see the manual" gives none; the description
        # under a setting's name may give it sentences after the window ("... as zero. The default limit is 100.")
        described = is_term_line(unit.split("\n", 1)[0])
        paragraphs = " ".join(dict.fromkeys(paragraph_of(sentences[n]) for n in [chosen, *window])) if described else ""
        given = gives_default(window_text) or gives_default(paragraphs)
        in_window = in_window | set(terms("default")) if given else in_window - set(terms("default"))
    in_window = (in_window - limits) | limits_said  # "most interesting" is no limit, nor "priority = 1" by meaning
    idf = sparse.idf(question_terms)
    total = sum(idf.values()) or 1.0
    top_idf = max(idf.values(), default=1.0) or 1.0
    focused = {t for w in focus(question) for t in terms(w)} & set(question_terms)
    missing = sorted((t for t in question_terms if t not in in_window), key=lambda t: (t not in focused, -idf[t]))
    everywhere: set[str] = set()
    for hit in {id(s.hit): s.hit for s in sentences}.values():
        everywhere |= sentence_terms(hit.chunk.text)
    unknown = [t for t in question_terms if t not in sparse.vocab and t not in in_window]
    unknown.sort(key=lambda t: -idf[t])
    unknown_words = phrases(question, unknown)
    ranked = np.sort(combined)[::-1]
    best = sentences[int(np.argmax([s.cosine for s in sentences]))]
    values = (
        best.cosine,
        sentences[chosen].cosine,
        sentences[chosen].lexical,
        sum(idf[t] for t in question_terms if t in in_window) / total,
        max(s.lexical for s in sentences),
        max(idf[t] for t in missing) / top_idf if missing else 0.0,
        sum(idf[t] for t in unknown) / total,
        float(asked is not None and not any(kind_found[n] for n in window)),
        float(asked is not None and any(kind_found[n] for n in window)),
        float(ranked[0] - ranked[1]) if len(ranked) > 1 else 1.0,
        top_chunk(sentences),
        math.log1p(len(question_terms)),
        sum(idf[t] for t in question_terms if t in everywhere) / total,
        sentences[chosen].lexical * sentences[chosen].cosine,
        max(idf[t] for t in missing) / sparse.absent_idf() if missing else 0.0,
        min(closest.values(), default=1.0) if meaning else float(not unsaid),
    )
    found = sorted((t for t in question_terms if t in in_window), key=lambda t: -idf[t])
    in_chunk = sentence_terms(hit_text)
    unbound = [t for t in missing if t in focused or t in states]
    unbound += [t for t in named_elsewhere(question, set(question_terms)) if t not in in_chunk]
    code = asked_code_names(question)
    unsaid = code and ([] if any(says(said_around(sentences, chosen), name) for name in code) else code)
    unbound += [t for name in unsaid for t in terms(name) if t not in in_chunk and t in question_terms]
    absent = absent_names(question, list(dict.fromkeys(unbound)), unknown_words, idf, sparse, states)
    absent = tuple(next((w for w in bounds if terms(w) == terms(a)), a) for a in absent)  # "at most", not "most"
    named = {t for a in absent for t in terms(a)}
    whole = tuple(name for name in unsaid if len(terms(name)) > 1 and not set(terms(name)) <= named)
    return Evidence(
        tuple(float(v) for v in values),
        phrases(question, missing),
        unknown_words,
        phrases(question, found),
        asked,
        absent + whole,
    )


def scene_terms(question: str) -> set[str]:
    """Terms that only the sentences before the one that asks say ("An old exam from a French colleague uses
    \\bonne. What is the English command for it?"): the scene, not what is asked; a name there still counts."""
    parts, n = asking_parts(question)
    if not n:
        return set()
    last = parts[n]
    before = " ".join(parts[:n])
    words = re.findall(r"[\w'’+.-]+", before)
    scene = {
        t
        for k, w in enumerate(words)
        if not is_name(w, question) or (k and words[k - 1].lower() in OWN)
        for t in terms(w)
    }  # "our CI config folder": the asker's own thing, not one the documents must name
    return scene - set(terms(last))


def named_elsewhere(question: str, asked: set[str]) -> list[str]:
    """The terms of the names that own the asked-for thing: "WireGuard" in "which UDP port do I forward for the
    WireGuard server?", "Syncthing" in "which port does Syncthing use?". A passage about another thing's port does
    not say them anywhere near; a name that only sets the scene ("On a Rock64, ...") may stand in a heading pages
    away."""
    words = re.findall(r"[^\W_][\w+.-]*[\w+]|[^\W_]", question)
    owners = [
        w
        for n, w in enumerate(words)
        if n >= 2
        and words[n - 2].lower() in OWNING
        and words[n - 1].lower() in DETERMINERS
        and any(_kind(x) for x in words[n + 1 : n + 3])
    ]  # "for the WireGuard server"
    owner = OWNER_AFTER.search(question)
    owners += [owner.group("name")] if owner else []
    out = []
    for word in owners:
        if is_name(word, question) and not _kind(word):
            out += [t for t in terms(word) if t in asked]
    return out


def code_terms(question: str) -> set[str]:
    """Terms of the question's words written as code (qa.meaning.IDENTIFIER): said or not, never meant."""
    return {t for w in re.findall(r"[\w.-]+", question) if IDENTIFIER.search(w) for t in terms(w)}


def paragraph_of(sentence: Sentence) -> str:
    """The sentence's paragraph in its chunk: where a setting named two sentences before still holds."""
    text, local = sentence.hit.chunk.text, sentence.start - sentence.hit.chunk.start
    start = text.rfind("\n\n", 0, local)
    end = text.find("\n\n", local)
    return text[start + 2 if start >= 0 else 0 : end if end >= 0 else len(text)]


def said_around(sentences: Sequence[Sentence], chosen: int) -> str:
    """The chosen sentence's chunk with the retrieved chunks that lead up to it."""
    chunk = sentences[chosen].hit.chunk
    return " ".join([chunk.text, *(c.text for c in chunks_before(sentences, chunk))])


def chunks_before(sentences: Sequence[Sentence], chunk: Chunk) -> list[Chunk]:
    """The retrieved chunks that lead up to `chunk` in its document: a setting named there ("BORG_WORKAROUNDS ...
    Currently known strings are:") still holds for the list the chunk goes on with."""
    found = {id(s.hit.chunk): s.hit.chunk for s in sentences}.values()
    return [c for c in found if c.source == chunk.source and c.start < chunk.start <= c.end + MAX_GAP]


def _kind(word: str) -> bool:
    lower = word.lower()
    return lower in OWNED or lower.removesuffix("s") in OWNED


def absent_names(
    question: str,
    unbound: Sequence[str],
    unknown: Sequence[str],
    idf: dict[str, float],
    sparse: Sparse,
    states: frozenset[str] = STATE_TERMS,
) -> tuple[str, ...]:
    """What the question names that the passage cannot be about: a state anywhere in it ("current" leader, "by
    default") or a name that picks out the asked-for thing ("TCP" port, qa.kinds.focus), that the chosen window does
    not say (`unbound`), a name only when it is rare enough to be said (a name in many chunks, like the subject of
    the corpus, goes without saying); and names that no document spells, not even nearly ("UEFI"; a misspelt
    "Primier" is near "premier")."""
    rare = [t for t in unbound if t in states or idf[t] >= BOUND_RARITY * sparse.absent_idf()]
    asking = set(terms(asking_part(question)))
    named = [
        w
        for w in unknown
        if (names(question, w) or unheard(w, sparse)) and not spelt_nearly(w, sparse) and set(terms(w)) & asking
    ]  # a name only the scene says ("My CI runs why3 replay. Which file ...?") does not decide
    return phrases(question, rare) + tuple(w for w in named if w not in phrases(question, rare))


def names(question: str, words: str) -> bool:
    return all(is_name(word, question) for word in words.split())


def unheard(word: str, sparse: Sparse) -> bool:
    """A compound none of whose parts the corpus uses ("anti-harassment"); "machine-wide" beside "system-wide" is
    only another way to say a known thing."""
    return bool(re.search(r"\w[-_/]\w", word)) and not any(t in sparse.vocab for t in terms(word))


def spelt_nearly(word: str, sparse: Sparse) -> bool:
    """Some term of the corpus is spelt almost like one of the word's own (a typo, another form of a name)."""
    for term in terms(word):
        if term in sparse.vocab:
            continue
        letters = sorted(term)
        alike = [t for t in sparse.vocab if abs(len(t) - len(term)) <= 2]
        if any(sorted(t) == letters for t in alike if len(t) == len(term) and t[:1] == term[:1]):
            return True  # two letters swapped after the first: "GPS" for "GSP", not "ARM" for "RAM"
        if len(term) > 4 and difflib.get_close_matches(
            term, [t for t in alike if t[:1] == term[:1]], n=1, cutoff=NEAR_SPELLING
        ):
            return True
    return False


def cjk_noise(question: str, found: set[str]) -> set[str]:
    """CJK terms of the question that say nothing about its topic: question words and particles, and the
    bigrams that straddle two words (found terms on either side), which unsegmented text cannot tell apart."""
    noise: set[str] = set()
    for run in re.findall(f"[{CJK_CHARACTERS}]+", question.lower()):
        noise |= {c for c in run if c in CJK_FUNCTION}
        pairs = [run[i : i + 2] for i in range(len(run) - 1)]
        useless = [bool(set(p) & CJK_QUESTION) or p in CJK_STOP_PAIRS for p in pairs]
        for i, pair in enumerate(pairs):
            beside = [j for j in (i - 1, i + 1) if 0 <= j < len(pairs)]
            straddles = pair not in found and any(pairs[j] in found or useless[j] for j in beside)
            if useless[i] or straddles or set(pair) & CJK_FUNCTION:
                noise.add(pair)
            if useless[i] and pair not in found:
                noise |= {c for c in pair if c not in found}  # the 天 of 哪天 ("which day") asks, it is not asked about
    return noise


def top_chunk(sentences: Sequence[Sentence]) -> float:
    """The best cosine among the sentences of the first-ranked chunk."""
    return max((s.cosine for s in sentences if s.hit_rank == 0), default=max(s.cosine for s in sentences))


def window_of(sentences: Sequence[Sentence], chosen: int) -> list[int]:
    """The chosen sentence and its neighbours in the same chunk."""
    hit = sentences[chosen].hit
    return [n for n in (chosen - 1, chosen, chosen + 1) if 0 <= n < len(sentences) and sentences[n].hit is hit]


@lru_cache(maxsize=2048)
def sentence_terms(text: str) -> frozenset[str]:
    return frozenset(terms(text))


CJK_QUESTION = frozenset("哪什么谁几怎吗呢何吧")  # question words and particles
CJK_FUNCTION = CJK_QUESTION | frozenset("的了是在有和与及或啊")
CJK_STOP_PAIRS = frozenset({"时候", "多少", "如何", "可以", "是否", "怎样", "为何", "哪里", "哪儿"})


def reason(evidence: Evidence) -> str:
    """One line saying what the documents lack, from the question terms that were not found."""
    if lacks_kind(evidence):
        about = f" mention {_listed(evidence.found)} but" if evidence.found else ""
        kind = NAMES.get(evidence.asked or "", "answer")
        return f"The documents{about} give no {kind} for it."
    lacking = evidence.unknown or evidence.absent or evidence.missing
    lacking_words = {w for phrase in lacking for w in phrase.split()}
    found = [" ".join(w for w in f.split() if w not in lacking_words) for f in evidence.found]
    found = [f for f in found if f]
    if evidence.unknown:
        absent = ", ".join(f'"{w}"' for w in evidence.unknown[:3])
        about = f" mention {_listed(found)} but" if found else ""
        return f"The documents{about} never mention {absent}."
    if lacking and found:
        return f"The documents mention {_listed(found)} but nothing about {_listed(lacking[:2], 'or')} in that context."
    if lacking:
        return f"Nothing in the documents is about {_listed(lacking[:3], 'or')}."
    return "The closest passages share the question's words but do not answer it."


def _listed(words: Sequence[str], last: str = "and") -> str:
    words = list(dict.fromkeys(words))[:3]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def lacks_kind(evidence: Evidence) -> bool:
    """The question asks for a number or a date and neither the chosen sentence nor its neighbours hold one."""
    return evidence.asked in REFUSING_KINDS and bool(evidence.values[FEATURES.index("type_unmet")])


def decide(evidence: Evidence, strictness: float | None = None, model: Model | None = None) -> Decision:
    """Answer when the fitted probability reaches `strictness` (the model's own threshold when None)."""
    model = model or load_model()
    p = model.probability(evidence)
    threshold = model.threshold if strictness is None else strictness
    rule = strictness != 0.0 and (lacks_kind(evidence) or bool(evidence.absent))
    answered = p >= threshold and not rule
    return Decision(answered, round(p, 4), "" if answered else reason(evidence), rule)

"""Whether passages answer a question searched with the multilingual encoder (qa.retrieval, `across`).

The English model's evidence does not carry over: its word-to-word matching (qa.meaning) cannot see that
"papier" is "paper", and a question's words are not the text's words. What carries over is the multilingual
encoder's own judgement: how close the closest unit comes to the question. On the tuning questions that cosine
does not tell an on-topic unanswerable question from an answerable one (benchmarks/fit_across.py prints both),
so the line is drawn where it keeps answering the answerable ones and refuses what is far from every passage.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.answerability import Decision, spelt_nearly
from qa.kinds import NAMES, REFUSING_KINDS, is_name, states_said
from qa.language import ENGLISH, language_of
from qa.sparse import CJK_RUN, Sparse, terms

PARAMETERS = Path(__file__).with_name("across.json")
STATES = (  # the states that pick the asked-for thing out of its class (qa.kinds.STATE_QUALIFIERS), as French,
    # Chinese and Japanese questions say them
    ("current", re.compile(r"\bactuel(?:le)?s?\b|当前|目前|现在|現在|現行", re.I)),
    ("default", re.compile(r"\bpar défaut\b|默认|デフォルト|既定", re.I)),
    ("latest", re.compile(r"\bdernière?s?\b|最新", re.I)),
    ("minimum", re.compile(r"\bminim(?:um|ale?s?)\b|最低|最小|最少", re.I)),
    ("maximum", re.compile(r"\bmaxim(?:um|ale?s?)\b|最高|最大|最多", re.I)),
    ("recommended", re.compile(r"\brecommandée?s?\b|推荐|推奨", re.I)),
    ("official", re.compile(r"\bofficiel(?:le)?s?\b|官方|公式", re.I)),
)
SAID_OTHERWISE = {  # how a French text says a state without the question's word: "Maintenant, elle est maintenue par"
    "current": re.compile(r"\b(?:maintenant|actuellement|aujourd'hui|désormais)\b", re.I),
    "default": re.compile(r"\bpar défaut\b|\bsauf (?:si|indication)\b", re.I),
    "latest": re.compile(r"\bplus récente?s?\b", re.I),
    "minimum": re.compile(r"\bau moins\b|\bau minimum\b", re.I),
    "maximum": re.compile(r"\bau plus\b|\bau maximum\b|\bjusqu'à\b", re.I),
    "recommended": re.compile(r"\b(?:conseill|recommand|préconis)\w*", re.I),
}
EXAMPLES = re.compile(r"\([^()]*(?:,|…|\.\.\.|\betc\b)[^()]*\)")  # "(A4, letter…)": examples, not the subject
COMPOUND = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)+")  # "unattended-upgrades", "signed-by": a name in code
INVERSION = re.compile(r"-(?:t-)?(?:je|tu|il|elle|on|nous|vous|ils|elles|moi|toi|lui|leur|y|en|ce|ci|là|le|la|les)$")
QUOTED = 60  # characters of the question quoted in a refusal
ASKING = re.compile(r"[^.!?。！？]+[?？]")  # the sentences of a question that ask
LATIN_NAME = re.compile(r"[A-Za-z][\w.+/-]*[\w+]|[A-Za-z]")


@dataclass(frozen=True)
class Model:
    """P(answered) = sigmoid((cosine - cosine_at) / scale): one half at the fitted cosine `cosine_at`."""

    cosine_at: float
    scale: float
    threshold: float = 0.5

    def probability(self, cosine: float) -> float:
        return 1.0 / (1.0 + math.exp(-(cosine - self.cosine_at) / self.scale))


@lru_cache(maxsize=1)
def load_model(path: Path = PARAMETERS) -> Model:
    raw = json.loads(path.read_text())
    return Model(raw["cosine_at"], raw["scale"])


def best_cosine(cosines: np.ndarray) -> float:
    """The closest unit's multilingual cosine to the question (0 when there is none)."""
    return float(cosines.max()) if len(cosines) else 0.0


def decide(
    question: str,
    cosines: np.ndarray,
    strictness: float | None = None,
    kind: str | None = None,
    given: bool = True,
    unknown: Sequence[str] = (),
    unsaid: Sequence[str] = (),
) -> Decision:
    """Answer when the closest unit comes close enough. As an English question is (qa.answerability), refuse
    whatever the cosine, at any strictness above 0, where the question asks for a number, a date or a version
    (`kind`, qa.kinds) that none of the units an answer would cite holds (`given` False), names what no
    document spells (`unknown`, from `unknown_names`), or picks the thing out by a state those units do not say
    (`unsaid`, from `unsaid_states`: the "actuel" leader, the "默认" compiler)."""
    model = load_model()
    p = model.probability(best_cosine(cosines))
    threshold = model.threshold if strictness is None else strictness
    if kind in REFUSING_KINDS and not given and strictness != 0.0:
        return Decision(False, round(p, 4), lacks_kind_reason(question, kind), kind_missing=True)
    if unknown and strictness != 0.0:
        return Decision(False, round(p, 4), unknown_reason(unknown), kind_missing=True)
    if unsaid and strictness != 0.0:
        return Decision(False, round(p, 4), unsaid_reason(question, unsaid), kind_missing=True)
    answered = p >= threshold
    return Decision(answered, round(p, 4), "" if answered else refusal_reason(question))


def unknown_names(question: str, sparse: Sparse) -> list[str]:
    """The question's names in Latin letters that no document spells, not even nearly ("Wayland", "UEFI"): in a
    Chinese or Japanese question every Latin word of three letters or more, in another a word that reads as a name
    (qa.kinds.is_name). None for an English question, whose names a document in another language may translate
    ("East Asian" in a Chinese text is 东亚)."""
    if language_of(question) == ENGLISH:
        return []
    cjk = CJK_RUN.search(question) is not None
    words = dict.fromkeys(LATIN_NAME.findall(EXAMPLES.sub(" ", question)))
    named = [w for w in words if is_name(w, question) or (cjk and len(w) >= 3)]
    unknown = [
        w for w in named if terms(w) and not any(t in sparse.vocab for t in terms(w)) and not spelt_nearly(w, sparse)
    ]
    joined = [w for w in words if w not in named and COMPOUND.fullmatch(w) and not INVERSION.search(w)]
    return unknown + [w for w in joined if not all(t in sparse.vocab for t in terms(w))]


def _asking(question: str) -> str:
    """The last sentence of the question that asks."""
    return (ASKING.findall(question) or [question])[-1]


def asked_states(question: str) -> set[str]:
    """The states (qa.kinds.STATE_QUALIFIERS) that the sentence of the question that asks names in its own words."""
    asking = _asking(question)
    return {word for word, pattern in STATES if pattern.search(asking)}


def said_states(text: str) -> set[str]:
    """The states a text says, in English words (qa.kinds.states_said) or French ones."""
    return states_said(text) | {state for state, pattern in SAID_OTHERWISE.items() if pattern.search(text)}


def unsaid_states(question: str, units: Sequence[str]) -> list[str]:
    """The question's own words for a state ("actuel", "默认", "デフォルト"), in the sentence that asks, whose English
    word, or the question's own, none of `units` says: a passage about the leader at some time does not answer who
    the current one is. A state said before the question ("I found an old official CD. Which file ...?") sets the
    scene."""
    asking = _asking(question)
    said = {t for unit in units for t in terms(unit)}
    stated = {state for unit in units for state in said_states(unit)}
    return [
        m.group()
        for word, pattern in STATES
        for m in [pattern.search(asking)]
        if m and terms(word)[0] not in said and word not in stated and not any(pattern.search(unit) for unit in units)
    ]


def unsaid_reason(question: str, unsaid: Sequence[str]) -> str:
    words = ", ".join(f'"{w}"' for w in unsaid[:3])
    return f'The passages closest in meaning to "{quoted(question)}" do not say {words}.'


def unknown_reason(unknown: Sequence[str]) -> str:
    return "The documents never mention " + ", ".join(f'"{w}"' for w in unknown[:3]) + "."


def quoted(question: str) -> str:
    """The question's own words, in its own language, cut to QUOTED characters."""
    words = " ".join(question.split())
    return words if len(words) <= QUOTED else words[: QUOTED - 1].rstrip() + "…"


def refusal_reason(question: str) -> str:
    return f'Nothing in the documents comes close in meaning to "{quoted(question)}".'


def lacks_kind_reason(question: str, kind: str) -> str:
    return f'The passages closest in meaning to "{quoted(question)}" give no {NAMES.get(kind, kind)}.'

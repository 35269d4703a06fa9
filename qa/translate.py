"""A question's words in another language put into the documents' own words, for the English model and BM25.

The multilingual encoder places a word near its translations ("papier" near "paper", "软件包" near "package",
"ファイル" near "files"), so each word of the question (and each two- or three-character piece of a Chinese or
Japanese run, which has no spaces) is matched to the closest word of the corpus's vocabulary, kept when the
match is close. The vocabulary's vectors are made when the index is built (qa.multivectors). Chinese and
Japanese words are also looked up in bilingual dictionaries (qa.glossary), which give the senses a nearest
corpus word misses ("列出" -> list, "アップロード" -> upload).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.embedding import TextEncoder
from qa.encoders.use import one_blas_thread
from qa.glossary import Dictionaries
from qa.language import function_words, is_english_word
from qa.meaning import frame_words
from qa.sparse import STOPWORDS, Sparse, terms

SENSE = 0.5  # cosine of a headword to its closest dictionary sense, kept above: chosen on the tuning questions
USAGE = 0.5  # weight of a sense's rarity in the documents: the tuning questions gave 35/45 from 0.1 to 5
CLOSE = 0.8  # cosine of a question word to a corpus word: a translation; chosen on the debian-dev tuning questions
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]+")
SCRIPT_RUN = re.compile(r"[\u30a0-\u30ff]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[\uac00-\ud7af]+")
KATAKANA = re.compile(r"[\u30a0-\u30ff]+")
OTHER_WORD = re.compile(r"[^\W\d_]{3,}")
ENGLISH_WORD = re.compile(r"[a-z]+")
CORPUS_WORD = re.compile(r"(?<![\w/.-])[A-Za-z][a-z]{2,29}(?![\w/-])")
MIN_COUNT = 2  # a corpus word seen once is more often a name or a typo than a word a question means
SMALL = 5000  # distinct words below which every word counts, however rare
MOST = 30000  # words kept at most, the commonest: 60 MB of float32 vectors in a serving process


@dataclass(frozen=True)
class Vocabulary:
    """The corpus's words and their multilingual vectors (float16, L2-normalised)."""

    words: Sequence[str]
    vectors: np.ndarray


@lru_cache(maxsize=1)
def framing() -> frozenset[str]:
    """English words that say nothing a passage could be found by: stopwords and a question's frame words."""
    return STOPWORDS | frame_words()


def corpus_words(texts: Iterable[str]) -> list[str]:
    """The plain lowercase words of the documents: those seen MIN_COUNT times (the MOST commonest), or all of
    them in a small corpus."""
    counts = Counter(w.lower() for text in texts for w in CORPUS_WORD.findall(text))
    if len(counts) < SMALL:
        return list(counts)
    return [w for w, n in counts.most_common(MOST) if n >= MIN_COUNT]


def pieces(question: str) -> list[str]:
    """What of the question is matched: its words that are neither English nor function words of another
    language, each Katakana word, and each Han or Hangul run (when short) with its two- and three-character
    pieces."""
    found: list[str] = []
    for run in CJK_RUN.findall(question):
        for part in SCRIPT_RUN.findall(run):  # Hiragana between them: endings and particles
            loanword = KATAKANA.fullmatch(part) is not None
            if loanword or len(part) <= 4:
                found.append(part)
            if not loanword:
                for n in (2, 3):
                    found += [part[i : i + n] for i in range(len(part) - n + 1)]
    for word in OTHER_WORD.findall(question):
        if not CJK_RUN.search(word) and word.lower() not in function_words() and not is_english_word(word):
            found.append(word)
    return list(dict.fromkeys(found))


def in_corpus_words(question: str, encoder: TextEncoder, vocabulary: tuple[Sequence[str], np.ndarray] | None) -> str:
    """The corpus words (a version's words and their vectors) closest to the question's own words, in question
    order; "" when none is close."""
    parts = pieces(question)
    if vocabulary is None or not parts or not len(vocabulary[0]):
        return ""
    words, vectors = vocabulary
    found = encoder.encode(parts)
    with one_blas_thread():
        scores = found @ vectors.T
    best = scores.argmax(axis=1)
    kept = [words[j] for n, j in enumerate(best) if scores[n, j] >= CLOSE and words[j] not in framing()]
    return " ".join(dict.fromkeys(kept))


def rarity_in(sparse: Sparse) -> Callable[[str], float]:
    """How rarely the documents use a phrase's words: their mean IDF over the largest, 1.0 for words none holds."""

    def rarity(phrase: str) -> float:
        idf = sparse.idf(terms(phrase))
        return sum(idf.values()) / len(idf) / sparse.absent_idf() if idf else 1.0

    return rarity


def glossed(
    question: str,
    encoder: TextEncoder,
    dictionaries: Dictionaries | None,
    rarity: Callable[[str], float] | None = None,
) -> str:
    """The question's Chinese and Japanese words in English (qa.glossary): of each headword's senses that the
    multilingual encoder puts close to it, the closest less USAGE times its `rarity` in the documents (上游 is
    "upstream" in a manual, not "upper reaches"); without `rarity` the closest."""
    found = dictionaries.look_up(question) if dictionaries is not None else []
    if not found:
        return ""
    vectors = encoder.encode([h for h, _ in found] + [s for _, senses in found for s in senses])
    kept: list[str] = []
    begin = len(found)
    with one_blas_thread():
        for n, (headword, senses) in enumerate(found):
            cosines = vectors[begin : begin + len(senses)] @ vectors[n]
            begin += len(senses)
            if len(senses) == 1 and KATAKANA.fullmatch(headword):
                kept.append(senses[0])  # a loanword's one sense is the word it was borrowed from
            elif cosines.max() >= SENSE:
                used = cosines - USAGE * np.array([rarity(s) for s in senses]) if rarity else cosines.copy()
                used[cosines < SENSE] = -np.inf
                kept.append(senses[int(used.argmax())])
    words = (w for sense in kept for w in ENGLISH_WORD.findall(sense.lower()))
    return " ".join(dict.fromkeys(w for w in words if w not in framing()))

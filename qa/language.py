"""Which language a text is in, as far as choosing an encoder needs: English, Chinese, Japanese, Korean, another
language in Latin letters, or another script. Read from the characters and from the English word list of
qa.meaning; no model."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache

from qa.meaning import classes_of, frame_words
from qa.sparse import STOPWORDS

ENGLISH = "en"
KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CJK_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]{2,}")
LATIN_WORD = re.compile(r"(?<![\w.+/~@$-])[A-Za-zÀ-ɏ][a-zà-ɏ'’]*[a-zà-ɏ](?![\w+/~@$-])")
PIECE = re.compile(r"[a-zà-ɏ]+(?:'[a-zà-ɏ]+)?")
LETTER = re.compile(r"[^\W\d_]")
# Function words of the commonest other languages in Latin letters that are no English words: two of them say
# "not English" even in a question full of English technical terms.
FUNCTION_WORDS = frozenset(
    "le la les des du un une est sont que qui quel quelle quels quelles où pour dans avec sur pas ne il elle ils "
    "comment pourquoi quand faut peut dois doit je mon ma mes ce cette qu'est "
    "el los las qué cómo dónde cuál por para con es está son puedo hay "
    "der die das ist wie was wo warum welche welcher ein eine einen und nicht mit für ich kann "
    "il lo gli che come dove perché quale sono una "
    "o os as não um uma como onde qual".split()
)
PASSAGE = 12  # words from which a text is read as a passage, not a question
ENGLISH_SHARE = 0.5  # of a text's plain words, English ones: below it, another language in Latin letters
# Of a corpus's chunks in English: below it, English questions too are searched with the multilingual encoder.
# Above it most passages are English and the English model finds them; searching every question of the
# 26-language Debian handbook (69% English) across languages took 81 ms at the median against 15 ms.
MAIN_SHARE = 0.5
SAMPLE = 4000  # chunks read to tell a corpus's languages (an even sample of them)


def language_of(text: str, passage: bool = False) -> str:
    """en, zh, ja, ko, latin (another language in Latin letters) or other (another script); a text with no word
    that tells (a command, a number) counts as English. A `passage` of the documents (or any long text) is read
    by its function words, as code, names and links say no language."""
    cjk = CJK_WORD.findall(text)
    letters = LETTER.findall(text)
    if cjk and (len("".join(cjk)) >= 0.2 * len(letters) or len(letters) < 40):
        return _cjk("".join(cjk))
    latin = [c for c in letters if c.isascii() or "\u00c0" <= c <= "\u024f"]
    if letters and len(latin) < 0.5 * len(letters):
        return "other"
    words = [m.group() for m in LATIN_WORD.finditer(text) if m.start() == 0 or not m.group()[:1].isupper()]
    pieces = PIECE.findall(text.lower())
    function = [w for w in pieces if w in function_words()]
    if passage or len(words) >= PASSAGE:
        english = sum(w in STOPWORDS for w in pieces)
        needed = 3 if passage else 2  # a long question has fewer words of either kind than a passage
        return "latin" if len(function) >= needed and len(function) > english else ENGLISH
    foreign = [w for w in words if not is_english_word(w)]
    mostly = len(words) >= 3 and len(foreign) > (1 - ENGLISH_SHARE) * len(words)
    if len(foreign) >= 2 and (mostly or len(function) >= 2):
        return "latin"
    return ENGLISH


@lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    """FUNCTION_WORDS less those that are English words too."""
    return frozenset(w for w in FUNCTION_WORDS if not is_english_word(w))


def _cjk(text: str) -> str:
    if len(KANA.findall(text)) >= 0.1 * len(text):
        return "ja"
    if len(HANGUL.findall(text)) >= 0.3 * len(text):
        return "ko"
    return "zh"


def is_english_word(word: str) -> bool:
    lower = word.lower()
    return bool(classes_of(word)) or lower in STOPWORDS or lower in frame_words()


def languages(texts: Sequence[str]) -> dict[str, float]:
    """Share of `texts` (passages of the documents) in each language, largest first."""
    if not texts:
        return {}
    counts = Counter(language_of(t, passage=True) for t in texts)
    total = sum(counts.values())
    return {lang: round(n / total, 3) for lang, n in counts.most_common()}


def crosses(question: str, corpus: Mapping[str, float]) -> bool:
    """The English encoder cannot search for this question: it is not in English, or fewer than half of the
    documents' passages are English. An index that does not record its languages was English (qa before they were recorded)."""
    english = corpus.get(ENGLISH, 0.0) if corpus else 1.0
    return language_of(question) != ENGLISH or english < MAIN_SHARE

"""Rank chunks for a question: dense (FAISS) and lexical (BM25) scores fused, then the leading chunks
re-ranked by their best sentence, whose scores the answer reuses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import cast

import numpy as np

from qa.chunking import split_sentences
from qa.codenames import code_names, parts, says
from qa.config import Fusion
from qa.embedding import Embedder, TextEncoder
from qa.glossary import dictionaries
from qa.language import crosses
from qa.meaning import word_spans
from qa.releases import named_releases, releases_asked, writes_named, writes_version
from qa.sparse import Sparse, terms
from qa.storage import Snapshot
from qa.translate import glossed, in_corpus_words, rarity_in
from qa.types import Chunk, Hit, Span
from qa.units import headings_over, is_block_line, is_display_line, opens_display, unit_of
from qa.vectors import SentenceVectors

LITERAL_POOL = 200  # chunks read to find those that write a code name of the question whole
LITERAL_MOST = 10  # chunks that write a name, at most, for the name to pick them out


@dataclass(frozen=True)
class Sentence:
    """A sentence of a retrieved chunk with its evidence for the question."""

    hit_rank: int  # 0-based rank of its chunk in Retrieval.hits
    hit: Hit
    start: int  # offsets into the source file's text
    end: int
    text: str
    cosine: float  # to the question
    lexical: float  # share of the question's term weight (BM25 idf) found in the sentence
    context: float  # the same share, found in the sentence or its neighbours in the chunk
    multilingual: float = 0.0  # the multilingual encoder's own cosine, for a question searched across languages

    def score(self, lexical_weight: float) -> float:
        return self.cosine + lexical_weight * self.lexical


@dataclass(frozen=True)
class Retrieval:
    question: str
    vector: np.ndarray
    hits: tuple[Hit, ...]
    similarity: dict[int, float]  # cosine of the question to each dense candidate
    sentences: tuple[Sentence, ...] = ()  # those of the re-ranked hits, by hit rank then position
    words: np.ndarray | None = None  # the question's word vectors (qa.meaning.word_spans), from its own pass
    across: bool = False  # searched with the multilingual encoder: `vector` and the sentences' cosines are its
    said: str = ""  # across languages: the question's words in the corpus's words (qa.translate, qa.glossary)
    unwritten: tuple[str, ...] = ()  # releases the question asks about that no document writes (qa.releases)


def fuse(
    dense: Sequence[tuple[int, float]], sparse: Sequence[tuple[int, float]], dense_weight: float
) -> list[tuple[int, float]]:
    """Convex combination of the cosine and the BM25 score scaled to the best chunk; best first.

    A chunk missing from the dense list gets the lowest cosine listed, one missing from the BM25 list 0.
    """
    cosine = dict(dense)
    bm25 = dict(sparse)
    floor = min(cosine.values(), default=0.0)
    top = max(bm25.values(), default=0.0) or 1.0
    scores = {
        i: dense_weight * cosine.get(i, floor) + (1 - dense_weight) * bm25.get(i, 0.0) / top for i in {**cosine, **bm25}
    }
    return sorted(scores.items(), key=lambda p: (-p[1], p[0]))


def rrf(rankings: list[list[int]], weights: list[float], k: int = 60) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion, scaled so first place in every list scores 1 (a baseline)."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, chunk_id in enumerate(ranking):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank + 1)
    best = sum(weights) / (k + 1)
    return sorted(((i, s / best) for i, s in scores.items()), key=lambda p: -p[1])


def lexical_terms(question: str, sparse: Sparse, said: str | None = None) -> set[str]:
    """The terms a sentence's lexical share is counted over: the question's; for a question searched across
    languages, its words put into the documents' words (`said`, those no document holds included) and its own
    terms that some document holds (names, commands), not the others: a word in the question's own language
    weighs as much as the rarest term, and no sentence can hold it."""
    found = set(terms(question))
    if said is None:
        return found
    return set(terms(said)) | {t for t in found if t in sparse.vocab} or found


def lexical_overlap(question_terms: AbstractSet[str], found: AbstractSet[str], idf: dict[str, float]) -> float:
    total = sum(idf.get(t, 0.0) for t in question_terms)
    if total <= 0:
        return 0.0
    return sum(idf.get(t, 0.0) for t in question_terms if t in found) / total


@lru_cache(maxsize=512)
def sentence_parts(text: str) -> tuple[list[tuple[int, int]], list[frozenset[str]]]:
    """The sentence spans of a chunk's text and the terms of each; chunks that answer often are cached."""
    spans = split_sentences(text)
    return spans, [frozenset(terms(text[a:b])) for a, b in spans]


def sentences_of(
    hits: Sequence[Hit],
    vector: np.ndarray,
    question: str,
    embedder: TextEncoder,
    sparse: Sparse,
    stored: SentenceVectors | None = None,
    said: str | None = None,
) -> list[Sentence]:
    """Every sentence of `hits` (each once: overlapping chunks repeat text), scored; `said` for a question
    searched across languages (`lexical_terms`).

    Their vectors come from the index (`stored`); a chunk without them there is embedded now.
    """
    seen: set[tuple[str, int]] = set()
    spans: list[tuple[int, Hit, int, int, str]] = []  # rank, hit, start, end, text
    rows: list[np.ndarray | None] = []
    found: list[frozenset[str]] = []
    for rank, hit in enumerate(hits):
        chunk = hit.chunk
        local, local_terms = sentence_parts(chunk.text)
        vectors = stored.of(hit.vectors_id) if stored is not None else None
        if vectors is not None and len(vectors) != len(local):
            vectors = None
        for n, (start, end) in enumerate(local):
            key = (chunk.source, chunk.start + start)
            if key not in seen:
                seen.add(key)
                spans.append((rank, hit, chunk.start + start, chunk.start + end, chunk.text[start:end]))
                rows.append(vectors[n] if vectors is not None else None)
                found.append(local_terms[n])
    if not spans:
        return []
    missing = [n for n, row in enumerate(rows) if row is None]
    if missing:
        for n, row in zip(missing, embedder.encode([spans[n][4] for n in missing], batch_size=64)):
            rows[n] = row
    cosine = np.stack(cast("list[np.ndarray]", rows)) @ vector
    question_terms = lexical_terms(question, sparse, said)
    idf = sparse.idf(sorted(question_terms))
    out = []
    for n, (rank, hit, start, end, text) in enumerate(spans):
        near = set(found[n])
        for m in (n - 1, n + 1):
            if 0 <= m < len(spans) and spans[m][1] is hit:
                near |= found[m]
        out.append(
            Sentence(
                rank,
                hit,
                start,
                end,
                text,
                float(cosine[n]),
                lexical_overlap(question_terms, found[n], idf),
                lexical_overlap(question_terms, near, idf),
            )
        )
    return out


def distinct(snapshot: Snapshot, fused: Sequence[tuple[int, float]], count: int) -> list[Hit]:
    """The first `count` of the fused chunks whose texts differ: a passage held by several files is one hit."""
    hits: list[Hit] = []
    texts: set[str] = set()
    begin = 0
    while len(hits) < count and begin < len(fused):
        window = fused[begin : begin + 2 * (count - len(hits))]
        begin += len(window)
        chunks = snapshot.chunks([i for i, _ in window])
        for i, score in window:
            if i in chunks and chunks[i].text not in texts and len(hits) < count:
                texts.add(chunks[i].text)
                hits.append(Hit(i, chunks[i], score))
    return list(homed(snapshot, hits))


def homed(snapshot: Snapshot, hits: Sequence[Hit]) -> tuple[Hit, ...]:
    """The hits with the other files that hold each one's text, and the chunk that holds its stored vectors; a hit
    whose text no chunk holds as it is (one that reached back to its lead-in) keeps those it had."""
    homes = snapshot.homes([h.chunk.text for h in hits])
    out = []
    for h in hits:
        home = homes.get(h.chunk.text)
        if home is None:
            out.append(h)
            continue
        also = tuple(s for s in home.sources if s != h.chunk.source)
        out.append(replace(h, also_in=also, holder=home.first if home.first != h.chunk_id else None))
    return tuple(out)


def retrieve(
    snapshot: Snapshot,
    embedder: Embedder,
    question: str,
    k: int,
    fusion: Fusion = Fusion(),
    multilingual: Callable[[], TextEncoder | None] | None = None,
) -> Retrieval:
    """The chunks for `question`, best first. A question the English model cannot search for (qa.language) is
    searched with the multilingual encoder that `multilingual` loads (None when it cannot), where the index
    holds its vectors."""
    pool = max(fusion.pool, k)
    if multilingual is not None and snapshot.has_multilingual:
        encoder = multilingual() if crosses(question, snapshot.manifest.languages) else None
        if encoder is not None:
            return _across(snapshot, embedder, encoder, question, k, fusion)
    vectors, words = embedder.encode_passages([question], [word_spans(question)])
    vector = vectors[0]
    dense = snapshot.dense(vector, pool)
    sparse = with_literal(snapshot, question, snapshot.sparse.top(terms(question), pool))
    fused = fuse(dense, sparse, fusion.dense)
    found = _reranked(snapshot, embedder, question, vector, fused, dense, k, fusion, snapshot.sentences, words, None)
    return replace(found, unwritten=unwritten(snapshot, question))


def unwritten(snapshot: Snapshot, question: str) -> tuple[str, ...]:
    """The releases the question asks about that no document writes: numbers ("what came with 2.23.0?") and
    named ones ("the codename of Debian 14")."""
    return unwritten_releases(snapshot, releases_asked(question)) + tuple(
        release for release in named_releases(question) if not writes_release(snapshot, release)
    )


def writes_release(snapshot: Snapshot, release: str) -> bool:
    """Some chunk writes the named release; so it is taken where more than LITERAL_POOL chunks hold its words."""
    held = snapshot.sparse.holding(terms(release))
    if len(held) > LITERAL_POOL:
        return True
    return any(writes_named(c.text, release) for c in snapshot.chunks([int(i) for i in held]).values())


def unwritten_releases(snapshot: Snapshot, versions: Sequence[str]) -> tuple[str, ...]:
    """The versions no chunk writes: among the chunks holding the version's later parts ("23" and "0" of 2.23.0,
    its first may be written "v2"), none writes it. A version whose parts more than LITERAL_POOL chunks hold may be
    written anywhere: it is not listed."""
    out = []
    for version in versions:
        later = parts(version)[1:]
        held = snapshot.sparse.holding(later) if later else None
        if held is None or len(held) > LITERAL_POOL:
            continue
        if not any(writes_version(chunk.text, version) for chunk in snapshot.chunks([int(i) for i in held]).values()):
            out.append(version)
    return tuple(out)


def with_literal(snapshot: Snapshot, question: str, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The BM25 ranking with the chunks that write one of the question's code names whole raised by its top score:
    BM25 reads "--keep-within" as "keep" and "within", words of many chunks. A name of one part BM25 finds itself;
    one whose parts more than LITERAL_POOL chunks hold, or that more than LITERAL_MOST chunks write, picks none out."""
    found: set[int] = set()
    for name in code_names(question) if ranked else ():
        terms_of_name = parts(name)
        held = snapshot.sparse.holding(terms_of_name) if len(terms_of_name) > 1 else ()
        if 0 < len(held) <= LITERAL_POOL:
            said = [i for i, chunk in snapshot.chunks([int(i) for i in held]).items() if says(chunk.text, name)]
            found |= set(said) if len(said) <= LITERAL_MOST else set()
    if not found:
        return ranked
    top = ranked[0][1]
    scores = dict(ranked)
    for i in found:
        scores[i] = scores.get(i, 0.0) + top
    return sorted(scores.items(), key=lambda p: (-p[1], p[0]))


MAX_GAP = 2  # characters between two chunks that do not overlap ("\n\n")


def with_lead_in(snapshot: Snapshot, hit: Hit) -> Hit:
    """The hit, or, where its chunk opens with a line of a block or display (a command, a list) whose lead-in sits
    in the chunk before, the hit with its chunk reaching back to that lead-in: the block and its lead-in are one
    unit."""
    chunk = hit.chunk
    spans, _ = sentence_parts(chunk.text)
    opening = chunk.text[spans[0][0] : spans[0][1]] if spans else ""
    if not (is_block_line(opening, prompts=True) or is_display_line(opening)) or chunk.start == 0:
        return hit
    at = max(0, chunk.start - 1 - MAX_GAP)
    before = snapshot.chunk_around(chunk.source, at, at)
    if before is None or before.page != chunk.page or before.start >= chunk.start or before.end < at:
        return hit
    head = chunk.start - before.start
    gap = chunk.start - before.end  # the separator between chunks that do not overlap: blank lines
    text = before.text[:head] + "\n" * max(gap, 0) + chunk.text
    joined = split_sentences(text)
    n = next((i for i, (a, _) in enumerate(joined) if a == head + spans[0][0]), None)
    if n is None:
        return hit
    first, _ = unit_of(text, joined, n, prompts=True)
    if first == n:
        first = ([n, *headings_over(text, joined, n)])[-1]  # the headings over a list the chunk opens inside
    if first == n:
        return hit
    cut = text.rfind("\n", 0, joined[first][0]) + 1  # from its line's start: a text is split as it was
    line_start = before.line_start + before.text.count("\n", 0, cut)
    span = Span(chunk.source, before.start + cut, chunk.end, line_start, chunk.line_end, chunk.page)
    return replace(hit, chunk=Chunk(span, text[cut:]))


def with_display(snapshot: Snapshot, hit: Hit) -> Hit:
    """The hit, or, where its chunk ends with a lead-in ("... the GCC compilers, we used") whose display (a
    command, a setting) opens the chunk after, the hit with its chunk reaching on over that display."""
    chunk = hit.chunk
    spans, _ = sentence_parts(chunk.text)
    if not spans or not opens_display(chunk.text[spans[-1][0] : spans[-1][1]]):
        return hit
    at = chunk.end + 1 + MAX_GAP
    after = snapshot.chunk_around(chunk.source, at, at)
    if after is None or after.page != chunk.page or after.start <= chunk.start or after.start > at:
        return hit
    gap = after.start - chunk.end
    text = chunk.text + "\n" * max(gap, 0) + after.text[max(0, chunk.end - after.start) :]
    joined = split_sentences(text)
    n = next((i for i, (a, _) in enumerate(joined) if a == spans[-1][0]), None)
    if n is None:
        return hit
    _, last = unit_of(text, joined, n)
    end = joined[last][1]
    if end <= len(chunk.text):
        return hit
    line_end = chunk.line_end + text.count("\n", len(chunk.text), end)
    span = Span(chunk.source, chunk.start, chunk.start + end, chunk.line_start, line_end, chunk.page)
    return replace(hit, chunk=Chunk(span, text[:end]))


def as_stored(snapshot: Snapshot, hits: Sequence[Hit]) -> list[Hit]:
    """The hits as the index holds them, whose sentence vectors it has: a chunk that reached back to a lead-in
    (`with_lead_in`) is its stored chunk and, apart, the text before it, whose few sentences are embedded then."""
    stored = snapshot.chunks([h.chunk_id for h in hits])
    out = []
    for hit in hits:
        own = stored.get(hit.chunk_id)
        if own is None or own.start <= hit.chunk.start or own.end != hit.chunk.end:
            out.append(hit)
            continue
        head = own.start - hit.chunk.start
        lines = hit.chunk.text.count("\n", 0, head)
        span = Span(
            own.source, hit.chunk.start, own.start, hit.chunk.line_start, hit.chunk.line_start + lines, own.page
        )
        out += [Hit(-1, Chunk(span, hit.chunk.text[:head]), hit.score), replace(hit, chunk=own)]
    return out


def _across(
    snapshot: Snapshot, embedder: Embedder, encoder: TextEncoder, question: str, k: int, fusion: Fusion
) -> Retrieval:
    """Retrieval for a question the English model cannot search for: the multilingual encoder's cosines lead; the
    English model and BM25 follow, given the question with its words put into the corpus's words (qa.translate),
    and names, commands and paths, which are written alike in every language."""
    pool = max(fusion.pool, k)
    vector = encoder.encode_query(question)
    glosses = glossed(question, encoder, dictionaries(), rarity_in(snapshot.sparse))
    said = f"{in_corpus_words(question, encoder, snapshot.words)} {glosses}"
    english = embedder.encode_query(f"{question} {said}")
    dense = snapshot.dense_multilingual(vector, pool)
    fused = dict(fuse(dense, snapshot.sparse.top(terms(question) + terms(said), pool), fusion.across))
    alike = dict(snapshot.dense(english, pool))
    floor = min(alike.values(), default=0.0)
    scored = sorted(
        ((i, s + fusion.alike * alike.get(i, floor)) for i, s in fused.items()), key=lambda p: (-p[1], p[0])
    )
    narrow = replace(fusion, rerank=fusion.across_rerank)
    retrieval = _reranked(
        snapshot, encoder, f"{question} {said}", vector, scored, dense, k, narrow, None, None, said, lead_ins=True
    )
    retrieval = replace(retrieval, question=question)
    stored = as_stored(snapshot, retrieval.hits)
    cosine = {
        (s.hit.chunk.source, s.start): s.cosine
        for s in sentences_of(stored, english, question, embedder, snapshot.sparse, snapshot.sentences)
    }
    sentences = tuple(
        replace(
            s, cosine=s.cosine + fusion.alike * cosine.get((s.hit.chunk.source, s.start), 0.0), multilingual=s.cosine
        )
        for s in retrieval.sentences
    )
    return replace(retrieval, sentences=sentences, said=said, unwritten=unwritten(snapshot, question))


def _reranked(
    snapshot: Snapshot,
    embedder: TextEncoder,
    question: str,
    vector: np.ndarray,
    fused: list[tuple[int, float]],
    dense: list[tuple[int, float]],
    k: int,
    fusion: Fusion,
    stored: SentenceVectors | None,
    words: np.ndarray | None,
    said: str | None,
    lead_ins: bool = False,
) -> Retrieval:
    """The fused chunks' leaders re-ranked by their best sentence, whose scores the answer reuses. A chunk that
    opens inside a block is read from the sentence that introduces the block: with `lead_ins` (across languages)
    before its sentences are scored, which then include the lead-in's; otherwise after, for the units."""
    ranked = distinct(snapshot, fused, max(k, fusion.rerank))
    if lead_ins:
        ranked = [with_lead_in(snapshot, hit) for hit in ranked]
    head, tail = ranked[: fusion.rerank], ranked[fusion.rerank :]
    sentences = sentences_of(head, vector, question, embedder, snapshot.sparse, stored, said)
    best: dict[int, float] = {}
    for s in sentences:
        best[s.hit.chunk_id] = max(best.get(s.hit.chunk_id, -np.inf), s.score(fusion.lexical))
    # A chunk below the re-ranked ones is scored as if its best sentence were the weakest re-ranked
    # chunk's, which keeps scores in rank order.
    floor = min(best.values(), default=0.0)
    scored = [replace(h, score=h.score + fusion.sentence * best.get(h.chunk_id, floor)) for h in head]
    scored.sort(key=lambda h: -h.score)
    scored += [replace(h, score=h.score + fusion.sentence * floor) for h in tail]
    hits = tuple(replace(h, score=round(h.score, 4)) for h in scored[:k])
    if not lead_ins:  # the sentences keep their stored vectors; their units see the block's lead-in
        hits = tuple(with_display(snapshot, with_lead_in(snapshot, h)) for h in hits)
    rank = {h.chunk_id: n for n, h in enumerate(hits)}
    kept = sorted(
        (
            Sentence(
                rank[s.hit.chunk_id], hits[rank[s.hit.chunk_id]], s.start, s.end, s.text, s.cosine, s.lexical, s.context
            )
            for s in sentences
            if s.hit.chunk_id in rank
        ),
        key=lambda s: (s.hit_rank, s.start),
    )
    return Retrieval(question, vector, hits, dict(dense), tuple(kept), words, said is not None)

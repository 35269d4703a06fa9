"""Answer quality on SQuAD: this project against baselines built from the same model and the same chunks.

    python benchmarks/quality.py                      # the table in docs/benchmarks.md
    python benchmarks/quality.py --limit 40           # a quick run: at most 40 questions per article
    python benchmarks/fit_answerability.py            # the refusal model (qa/answerability.json)
    python benchmarks/quality.py --tune               # the grids the fusion and sentence weights were chosen from
    python benchmarks/quality.py --real-only          # only the real documents (debian-dev), a minute or two

Every article is indexed once, with the product's own pipeline (`qa.build_index`), and each row asks
only its articles' questions, so all rows see the same distractors. Weights, the refusal threshold and
the chunk size are chosen on the tuning articles only; the held-out rows are reported, never tuned on.

Real documents: the debian-dev corpus (a PDF FAQ and HTML manuals) is indexed the same way, and its three
question files are scored by `qa eval --questions` (qa.goldset), one column each and their total; nothing
was tuned on them.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answerability import common_terms  # noqa: E402
from qa.api import Index, build_index, open_index  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.embedding import Remembered, resolve  # noqa: E402
from qa.evaluation import (  # noqa: E402
    Dataset,
    Question,
    contains_answer,
    index_dataset,
    load_dataset,
    mean_reciprocal_rank,
    overlaps,
    recall_at,
    run_questions,
    summarize,
)
from qa.goldset import MEASURES, GoldReport, evaluate_questions, load_questions, merge, short_names  # noqa: E402
from qa.hardware import detect  # noqa: E402
from qa.meaning import paraphrase_share  # noqa: E402
from qa.ranking import Weights, score_sentences, usable  # noqa: E402
from qa.retrieval import Fusion, retrieve, rrf  # noqa: E402
from qa.types import Chunk  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "squad-v2-dev-slice.json"
REAL_CORPUS = ROOT.parent / "shared" / "corpora" / "debian-dev"
REAL_QUESTIONS = tuple(
    ROOT.parent / "shared" / "data" / f"debian-dev-{name}.jsonl"
    for name in ("questions", "unanswerable", "crosslingual")
)
GOLD_CUTOFFS = (1, 5)  # as `qa eval --questions`
TUNING = ("Normans", "Southern_California")
CUTOFFS = (1, 5, 20)
POOL = 50  # candidates per list for the RRF baseline, as in the product


@dataclass(frozen=True)
class Group:
    name: str
    questions: tuple[Question, ...]

    @property
    def answerable(self) -> list[Question]:
        return [q for q in self.questions if not q.impossible]


def groups(dataset: Dataset, articles: Sequence[str] | None, limit: int | None) -> list[Group]:
    """Tuning and held-out questions (of the named articles only, when given), at most `limit` per article."""
    chosen = dataset.select(articles)
    taken: dict[str, int] = {}
    kept = []
    for q in chosen:
        taken[q.article] = taken.get(q.article, 0) + 1
        if limit is None or taken[q.article] <= limit:
            kept.append(q)
    tuning = tuple(q for q in kept if q.article in TUNING)
    held = tuple(q for q in kept if q.article not in TUNING)
    return [Group(name, qs) for name, qs in (("tuning", tuning), ("held-out", held)) if qs]


def all_chunks(index: Index) -> tuple[list[int], list[Chunk]]:
    ids = [int(i) for i in index.snapshot.sparse.ids]
    found = index.snapshot.chunks(ids)
    ids = [i for i in ids if i in found]
    return ids, [found[i] for i in ids]


def first_rank(ranking: Sequence[int], chunks: dict[int, Chunk], question: Question) -> int | None:
    return next((n for n, i in enumerate(ranking, start=1) if overlaps(chunks[i], question)), None)


class Baselines:
    """Dense-only FAISS, BM25-only (bm25s, its default tokenizer) and their RRF, over the index's chunks."""

    def __init__(self, index: Index) -> None:
        import bm25s
        import faiss

        self.embedder = index.embedder
        self.ids, chunks = all_chunks(index)
        self.chunks = dict(zip(self.ids, chunks))
        texts = [c.text for c in chunks]
        vectors = self.embedder.encode(texts, batch_size=32)
        self.faiss = faiss.IndexFlatIP(vectors.shape[1])
        self.faiss.add(vectors)
        self.bm25 = bm25s.BM25()
        self.bm25.index(bm25s.tokenize(texts, show_progress=False), show_progress=False)
        self.tokenize = bm25s.tokenize

    def rankings(self, questions: Sequence[Question]) -> dict[str, list[list[int]]]:
        depth = min(POOL, len(self.ids))
        vectors = self.embedder.encode([q.text for q in questions], batch_size=32)
        _, rows = self.faiss.search(vectors, depth)
        dense = [[self.ids[j] for j in row if j >= 0] for row in rows]
        tokens = self.tokenize([q.text for q in questions], show_progress=False, return_ids=False)
        docs, scores = self.bm25.retrieve(tokens, k=depth, show_progress=False)
        sparse = [[self.ids[j] for j, s in zip(d, s_) if s > 0] for d, s_ in zip(docs, scores)]
        fused = [[i for i, _ in rrf([d, s], [1.0, 1.0])] for d, s in zip(dense, sparse)]
        return {"dense (FAISS)": dense, "BM25 (bm25s)": sparse, "RRF dense+BM25": fused}

    def rows(self, group: Group) -> dict[str, dict[str, float | None]]:
        questions = group.answerable
        out = {}
        for name, ranking in self.rankings(questions).items():
            ranks = [first_rank(r, self.chunks, q) for r, q in zip(ranking, questions)]
            out[name] = retrieval_figures(ranks)
        return out


def retrieval_figures(ranks: Sequence[int | None]) -> dict[str, float | None]:
    figures: dict[str, float | None] = {f"recall@{k}": recall_at(ranks, k) for k in CUTOFFS}
    figures["mrr"] = mean_reciprocal_rank(ranks)
    return figures


COLUMNS = (
    ("recall@1", "R@1"),
    ("recall@5", "R@5"),
    ("recall@20", "R@20"),
    ("mrr", "MRR"),
    ("answer_hit", "hit"),
    ("answer_hit@3", "hit@3"),
    ("answerable_refused", "ans.ref"),
    ("unanswerable_refused", "unans.ref"),
    ("mean_answer_chars", "chars"),
    ("seconds_per_question", "s/q"),
)


def table(rows: list[tuple[str, str, dict[str, float | None]]]) -> str:
    """Markdown table: one row per (group, system)."""
    head = "| articles | system | " + " | ".join(label for _, label in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    for group, system, figures in rows:
        cells = []
        for key, _ in COLUMNS:
            value = figures.get(key)
            cells.append("" if value is None else f"{value:.0f}" if key == "mean_answer_chars" else f"{value:.3f}")
        lines.append(f"| {group} | {system} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def describe(group: Group) -> str:
    articles = ", ".join(sorted({q.article for q in group.questions}))
    return f"{group.name}: {articles}; {len(group.questions)} questions, {len(group.answerable)} answerable"


def compare(index: Index, dataset_groups: list[Group]) -> str:
    baselines = Baselines(index)
    rows = []
    for group in dataset_groups:
        label = group.name
        for name, figures in baselines.rows(group).items():
            rows.append((label, name, figures))
        began = time.perf_counter()
        outcomes = run_questions(index, group.questions, CUTOFFS)
        print(f"  {group.name}: {len(outcomes)} questions in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        rows.append((label, "**this project** (qa ask)", dict(summarize(outcomes, CUTOFFS, True))))
    return "\n".join(describe(g) for g in dataset_groups) + "\n\n" + table(rows)


def real_documents(settings: Settings, folder: Path) -> str:
    """Index the debian-dev corpus into `folder` and score its question files: a markdown table of the measures,
    one column per file and the total."""
    settings = settings.with_(corpus=REAL_CORPUS, index=folder)
    began = time.perf_counter()
    build_index(settings)
    index = open_index(settings)
    info = index.info()
    print(
        f"indexed {info.documents} files of {REAL_CORPUS}, {info.chunks} chunks, {time.perf_counter() - began:.0f} s",
        file=sys.stderr,
    )
    try:
        began = time.perf_counter()
        reports = [evaluate_questions(index, load_questions(path), GOLD_CUTOFFS) for path in REAL_QUESTIONS]
        asked = sum(len(r.outcomes) for r in reports)
        print(f"  real documents: {asked} questions in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    finally:
        index.snapshot.close()
    columns = [*zip(short_names(REAL_QUESTIONS), reports), ("total", merge(reports))]
    embedded = f"embedded by {info.backend} {info.precision} on {info.device}"
    return f"debian-dev: {info.documents} files, {info.chunks} chunks, {embedded}\n\n" + measures_table(columns)


def measures_table(columns: Sequence[tuple[str, GoldReport]]) -> str:
    """Markdown: one row per measure, one column per question file, each cell `count/total (share)`."""
    tallies = [report.measures() for _, report in columns]
    lines = ["| measure | " + " | ".join(name for name, _ in columns) + " |", "|" + "---|" * (len(columns) + 1)]
    for key in tallies[0]:
        label = MEASURES.get(key, key.replace("_", " "))
        cells = ["" if not t[key].total else f"{t[key].count}/{t[key].total} ({t[key].share:.3f})" for t in tallies]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tuning_questions(dataset: Dataset, articles: Sequence[str] | None, limit: int | None) -> list[Question]:
    tuning = [g for g in groups(dataset, articles, limit) if g.name == "tuning"]
    if not tuning:
        raise SystemExit("no tuning questions: --tune uses the Normans and Southern_California articles")
    return tuning[0].answerable


def tune(index: Index, questions: Sequence[Question]) -> None:
    """Print the best fusion and sentence weights on the tuning questions; the defaults were chosen from this."""
    memo = Remembered(index.embedder, size=None)
    snapshot = index.snapshot

    def ranks_for(fusion: Fusion, k: int) -> list[tuple[Question, int | None, object]]:
        out = []
        for q in questions:
            r = retrieve(snapshot, memo, q.text, k, fusion)  # type: ignore[arg-type]
            out.append((q, next((n for n, h in enumerate(r.hits, 1) if overlaps(h.chunk, q)), None), r))
        return out

    def score(fusion: Fusion) -> tuple[float, ...]:
        ranks = [r for _, r, _ in ranks_for(fusion, max(CUTOFFS))]
        return tuple(round(v or 0.0, 3) for v in retrieval_figures(ranks).values())

    grid: list[tuple[tuple[float, ...], Fusion]] = []
    for dense, sentence, lexical in itertools.product((0.5, 0.6, 0.7), (0.0, 1.0, 2.0, 3.0), (1.0, 1.5, 2.0)):
        fusion = replace(Fusion(), dense=dense, sentence=sentence, lexical=lexical)
        grid.append((score(fusion), fusion))
    grid.sort(key=lambda p: -(p[0][0] + p[0][1] + p[0][3]))
    print("retrieval (recall@1, @5, @20, MRR) by Fusion(dense, sentence, lexical), best first:")
    for figures, f in grid[:8]:
        print(f"  {figures}  dense={f.dense} sentence={f.sentence} lexical={f.lexical}")
    print(f"  default {score(Fusion())}  {Fusion()}")

    retrievals = ranks_for(Fusion(), Settings().k)
    candidates = []
    for q, _, r in retrievals:
        sentences = [s for s in r.sentences if usable(s)]  # type: ignore[attr-defined]
        candidates.append((q, sentences, [contains_answer(s.text, q.answers) for s in sentences]))

    def hit_rate(weights: Weights) -> tuple[float, float]:
        first = top3 = 0
        for q, sentences, hits in candidates:
            if not sentences:
                continue
            order = np.argsort(-score_sentences(q.text, sentences, weights), kind="stable")
            first += hits[order[0]]
            top3 += any(hits[i] for i in order[:3])
        return round(first / len(candidates), 3), round(top3 / len(candidates), 3)

    answers = []
    for lexical, context, passage, kind in itertools.product(
        (0.5, 1.0, 1.5), (0.0, 0.5, 1.0), (0.0, 0.4, 0.8), (0.0, 0.25, 0.5, 1.0)
    ):
        weights = replace(Weights(), lexical=lexical, context=context, passage=passage, answer_type=kind)
        answers.append((hit_rate(weights), weights))
    answers.sort(key=lambda p: -(p[0][0] + 0.2 * p[0][1]))
    print("answer hit (first sentence, first 3) by Weights(lexical, context, passage, answer_type), best first:")
    for figures, w in answers[:8]:
        print(f"  {figures}  lexical={w.lexical} context={w.context} passage={w.passage} answer_type={w.answer_type}")
    print(f"  default {hit_rate(Weights())}")

    shares = {
        alone: [
            paraphrase_share(q.text, [s.text for s in sentences], snapshot.sparse.idf, common_terms(), alone)
            for q, sentences, _ in candidates
        ]
        for alone in (0.5, 0.6, 0.7)
    }

    def paraphrase_hit_rate(weight: float, alone: float) -> tuple[float, float]:
        first = top3 = 0
        for (q, sentences, hits), share in zip(candidates, shares[alone]):
            if not sentences:
                continue
            order = np.argsort(-(score_sentences(q.text, sentences, Weights()) + weight * share), kind="stable")
            first += hits[order[0]]
            top3 += any(hits[i] for i in order[:3])
        return round(first / len(candidates), 3), round(top3 / len(candidates), 3)

    print("answer hit (first sentence, first 3) by Weights.paraphrase and the words' closeness (qa.meaning.ALONE):")
    for weight, alone in itertools.product((0.0, 0.25, 0.5, 1.0), (0.5, 0.6, 0.7)):
        print(f"  {paraphrase_hit_rate(weight, alone)}  paraphrase={weight} alone={alone}")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=DATA, help=f"SQuAD JSON (default {DATA})")
    p.add_argument("--articles", help="only these article titles, comma separated")
    p.add_argument("--limit", type=int, help="at most this many questions per article, for quick runs")
    p.add_argument("--chunk-tokens", type=int, default=Settings().chunk_tokens)
    p.add_argument("--chunk-overlap", type=int, default=Settings().chunk_overlap)
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own choice)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--tune", action="store_true", help="print the weight grids on the tuning articles")
    mode.add_argument("--real-only", action="store_true", help="only the real documents (debian-dev), not SQuAD")
    args = p.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    settings = Settings(chunk_tokens=args.chunk_tokens, chunk_overlap=args.chunk_overlap)
    print(f"Machine: {detect().describe()}; encoder {resolve(settings).describe()}\n")
    if args.real_only:
        with tempfile.TemporaryDirectory(prefix="qa-quality-real-") as tmp:
            print(real_documents(settings, Path(tmp) / "index"))
        return 0
    articles = [a.strip() for a in args.articles.split(",")] if args.articles else None
    dataset = load_dataset(args.data)
    with tempfile.TemporaryDirectory(prefix="qa-quality-") as tmp:
        began = time.perf_counter()
        index = index_dataset(dataset, settings, Path(tmp))
        info = index.info()
        print(
            f"indexed {info.documents} articles, {info.chunks} chunks ({settings.chunk_tokens} tokens, "
            f"overlap {settings.chunk_overlap}), {info.model}, {time.perf_counter() - began:.0f} s",
            file=sys.stderr,
        )
        try:
            if args.tune:
                tune(index, tuning_questions(dataset, articles, args.limit))
            else:
                print(compare(index, groups(dataset, articles, args.limit)))
        finally:
            index.snapshot.close()
        if not args.tune:
            print("\nReal documents\n\n" + real_documents(settings, Path(tmp) / "debian-dev"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

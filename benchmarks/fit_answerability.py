"""Fit the answerability model (qa/answerability.json) on the SQuAD 2.0 tuning articles, report on the others.

    python benchmarks/fit_answerability.py            # fit, print the held-out figures, write qa/answerability.json
    python benchmarks/fit_answerability.py --dry-run  # the same without writing
    python benchmarks/fit_answerability.py --manual r=/tmp/r ...  # also on a manual of benchmarks/get_manual.sh

A logistic regression over qa.answerability.FEATURES, label "the corpus answers the question", fitted on
Normans and Southern_California only (L2-regularised Newton steps, standardised features). Two kinds of
question the corpus does not answer are in the data: SQuAD 2.0's unanswerable ones (written against a
paragraph to look answerable: a swapped entity, a negation), and answerable questions asked of a copy of
the corpus without their paragraph (every other paragraph of each article kept, then the others: the
topic is there, the fact is not, as with "the population of Hong Kong" in an article on its AI scene). The threshold is
the highest probability that still answers at least ANSWERED_SHARE of the answerable tuning questions. The
held-out articles are only measured.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answer import assess, rank_sentences  # noqa: E402
from qa.answerability import COMMON, FEATURES, PARAMETERS, common_terms  # noqa: E402
from qa.api import build_index, open_index  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.evaluation import (  # noqa: E402
    Dataset,
    Question,
    contains_answer,
    index_dataset,
    load_dataset,
    parse_dataset,
)
from qa.sparse import terms  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "squad-v2-dev-slice.json"
DEBIAN = ROOT.parent / "shared" / "corpora" / "debian-dev"
DEBIAN_QUESTIONS = ROOT.parent / "shared" / "data" / "debian-dev-questions.jsonl"
DEBIAN_UNANSWERABLE = ROOT.parent / "shared" / "data" / "debian-dev-unanswerable.jsonl"
DEBIAN_WEIGHT = 3  # each debian-dev row counts this many times: 85 real questions beside 1,000 SQuAD rows
PEPS = ROOT.parent / "shared" / "corpora" / "peps"
# A term is common when it is in this share of the paragraphs of both background corpora (the tuning
# articles, on history and geography, and the PEPs, technical prose), or in far more of the PEPs.
COMMON_IN_BOTH = (0.03, 0.003)
COMMON_IN_PEPS = 0.03
TUNING = ("Normans", "Southern_California")
ANSWERED_SHARE = 0.98  # of answerable tuning questions; held-out target is answerable refused <= 0.05
MANUALS = {  # the manuals of benchmarks/get_manual.sh that --manual may add, and their question files
    "freedombox": ("freedombox-questions.jsonl", "freedombox-unanswerable.jsonl"),
    "amc": ("amc-questions.jsonl", "amc-unanswerable.jsonl"),
    "r": ("r-manuals-questions.jsonl", "r-manuals-unanswerable.jsonl"),
    "why3-reportlab": ("why3-reportlab-questions.jsonl", "why3-reportlab-unanswerable.jsonl"),
    "gpsbabel-aprx-vsearch": ("gpsbabel-aprx-vsearch-questions.jsonl", "gpsbabel-aprx-vsearch-unanswerable.jsonl"),
}
MANUAL_WEIGHT = 1  # each manual row counts once
L2 = 10.0  # ridge on the standardised features; several are collinear (lexical_cosine is a product of two others)


def find_common_terms(raw: dict) -> list[str]:
    """Stems found in a large share of paragraphs of unrelated prose: background words, not topics."""
    import re
    from collections import Counter

    squad = [p["context"] for a in raw["data"] if a["title"] in TUNING for p in a["paragraphs"]]
    peps = [
        p
        for f in sorted(PEPS.glob("*.rst"))
        for p in re.split(r"\n\s*\n", f.read_text(errors="replace"))
        if len(p.split()) >= 20
    ]
    in_squad, in_peps = Counter(), Counter()
    for text in squad:
        in_squad.update(set(terms(text)))
    for text in peps:
        in_peps.update(set(terms(text)))
    both, only = COMMON_IN_BOTH
    return sorted(
        t
        for t in set(in_squad) | set(in_peps)
        if (in_squad[t] >= both * len(squad) and in_peps[t] >= only * len(peps))
        or (in_peps[t] >= COMMON_IN_PEPS * len(peps) and in_squad[t] >= 1)
    )


def half_corpus(raw: dict, keep: int) -> tuple[Dataset, set[str]]:
    """The dataset with every other paragraph of each article (keep 0 or 1), and the ids of the questions of
    the paragraphs left out."""
    data, left_out = [], set()
    for article in raw["data"]:
        kept = []
        for n, paragraph in enumerate(article["paragraphs"]):
            if n % 2 == keep:
                kept.append(paragraph)
            else:
                left_out.update(str(q["id"]) for q in paragraph["qas"])
        data.append({**article, "paragraphs": kept})
    return parse_dataset({**raw, "data": data}), left_out


def removed_questions(index, dataset: Dataset, raw: dict, articles: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Features of answerable questions of `articles` asked where their paragraph is left out, for both halves;
    a question whose answer still appears in the kept half is dropped (the corpus does answer it)."""
    rows = []
    for keep in (0, 1):
        half, left_out = half_corpus(raw, keep)
        text = " ".join(" ".join(t.lower().split()) for t in half.documents.values())
        asked = [
            q
            for q in dataset.questions
            if q.id in left_out and q.article in articles and not q.impossible and not contains_answer(text, q.answers)
        ]
        with tempfile.TemporaryDirectory(prefix="qa-fit-half-") as tmp:
            half_index = index_dataset(half, Settings(), Path(tmp))
            try:
                rows.append(features(half_index, asked)[0])
            finally:
                half_index.snapshot.close()
    return np.vstack(rows), np.zeros(sum(len(r) for r in rows), dtype=bool)


def features(index, questions: Sequence[Question]) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows, and whether the best sentence holds a gold answer (for answerable questions)."""
    rows, hits = [], []
    snapshot = index.snapshot
    for q in questions:
        retrieval = index.retrieve(q.text)
        ranked = rank_sentences(
            q.text, retrieval, index.embedder, snapshot.sparse, index.settings.answer, snapshot.sentences
        )
        if ranked is None:
            rows.append([0.0] * len(FEATURES))
            hits.append(False)
            continue
        rows.append(list(assess(retrieval.question, ranked, snapshot.sparse, index.embedder).values))
        hits.append(contains_answer(ranked.sentences[ranked.best].text, q.answers))
    return np.asarray(rows), np.asarray(hits)


def corpus_rows(
    corpus: Path, answerable_file: Path, unanswerable_file: Path
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature rows of a real corpus's answerable and unanswerable questions (debian-dev, a manual), whether each
    is answerable, and whether its best sentence's unit holds the answer."""
    answerable = [json.loads(line) for line in answerable_file.read_text().splitlines() if line.strip()]
    unanswerable = [json.loads(line) for line in unanswerable_file.read_text().splitlines() if line.strip()]
    questions = [
        Question(
            str(n),
            q["q"],
            corpus.name,
            q.get("source", ""),
            0,
            0,
            (q["answer"],) if "answer" in q else (),
            "answer" not in q,
        )
        for n, q in enumerate(answerable + unanswerable)
    ]
    with tempfile.TemporaryDirectory(prefix="qa-fit-corpus-") as tmp:
        settings = Settings(corpus=corpus, index=Path(tmp))
        build_index(settings)
        index = open_index(settings)
        try:
            x, hit = features(index, questions)
        finally:
            index.snapshot.close()
    y = np.array([not q.impossible for q in questions], dtype=float)
    return x, y, hit


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    mean, scale = x.mean(0), x.std(0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.eye(z.shape[1]) * L2
    penalty[-1, -1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-(z @ w)))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, scale, w[:-1], float(w[-1])


def probabilities(x: np.ndarray, mean, scale, coefficients, intercept) -> np.ndarray:
    return 1 / (1 + np.exp(-(((x - mean) / scale) @ coefficients + intercept)))


def report(name: str, p: np.ndarray, y: np.ndarray, hit: np.ndarray, threshold: float) -> str:
    answered = p >= threshold
    ans, unans = y == 1, y == 0
    return (
        f"{name}: {int(ans.sum())} answerable, {int(unans.sum())} unanswerable; threshold {threshold:.3f}: "
        f"unanswerable refused {np.mean(~answered[unans]):.3f}, answerable refused {np.mean(~answered[ans]):.3f}, "
        f"answerable with the answer in the best sentence and answered {np.mean((answered & hit)[ans]):.3f} "
        f"(lost by refusing {np.mean((~answered & hit)[ans]):.3f})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write qa/answerability.json")
    parser.add_argument("--dump", type=Path, help="also save the feature rows as .npz, for study")
    parser.add_argument(
        "--manual",
        action="append",
        default=[],
        metavar="NAME=FOLDER",
        help=f"also fit on a manual fetched by benchmarks/get_manual.sh into FOLDER; NAME one of {', '.join(MANUALS)}",
    )
    args = parser.parse_args(argv)
    manuals = dict(m.split("=", 1) for m in args.manual)
    unknown = set(manuals) - set(MANUALS)
    if unknown:
        parser.error(f"no such manual: {', '.join(sorted(unknown))}; use one of {', '.join(MANUALS)}")
    dataset = load_dataset(args.data)
    raw = json.loads(args.data.read_text())
    common = find_common_terms(raw)
    if not args.dry_run:
        COMMON.write_text("\n".join(common) + "\n")
        common_terms.cache_clear()
        print(f"wrote {len(common)} common terms to {COMMON}")
    others = sorted({q.article for q in dataset.questions} - set(TUNING))
    with tempfile.TemporaryDirectory(prefix="qa-fit-") as tmp:
        index = index_dataset(dataset, Settings(), Path(tmp))
        try:
            tuning = [q for q in dataset.questions if q.article in TUNING]
            held = [q for q in dataset.questions if q.article not in TUNING]
            x_t, hit_t = features(index, tuning)
            x_h, hit_h = features(index, held)
        finally:
            index.snapshot.close()
    y_t = np.array([not q.impossible for q in tuning], dtype=float)
    y_h = np.array([not q.impossible for q in held], dtype=float)
    r_t, rhit_t = removed_questions(index, dataset, raw, TUNING)
    r_h, _ = removed_questions(index, dataset, raw, others)
    squad_t = (x_t, y_t, hit_t)
    x_d, y_d, hit_d = corpus_rows(DEBIAN, DEBIAN_QUESTIONS, DEBIAN_UNANSWERABLE)
    data = ROOT / "benchmarks" / "data"
    manual_rows = [corpus_rows(Path(folder), *(data / f for f in MANUALS[name])) for name, folder in manuals.items()]
    x_m = np.vstack([r[0] for r in manual_rows]) if manual_rows else np.zeros((0, len(FEATURES)))
    y_m = np.concatenate([r[1] for r in manual_rows]) if manual_rows else np.zeros(0)
    hit_m = np.concatenate([r[2] for r in manual_rows]) if manual_rows else np.zeros(0, dtype=bool)
    if args.dump:
        np.savez(
            args.dump,
            x_t=x_t,
            y_t=y_t,
            hit_t=hit_t,
            x_h=x_h,
            y_h=y_h,
            hit_h=hit_h,
            r_t=r_t,
            r_h=r_h,
            x_d=x_d,
            y_d=y_d,
            hit_d=hit_d,
            x_m=x_m,
            y_m=y_m,
            hit_m=hit_m,
        )
    x_t = np.vstack([x_t, r_t] + [x_d] * DEBIAN_WEIGHT + [x_m] * MANUAL_WEIGHT)
    y_t = np.concatenate([y_t, np.zeros(len(r_t))] + [y_d] * DEBIAN_WEIGHT + [y_m] * MANUAL_WEIGHT)
    hit_t = np.concatenate([hit_t, rhit_t] + [hit_d] * DEBIAN_WEIGHT + [hit_m] * MANUAL_WEIGHT)
    mean, scale, coefficients, intercept = fit(x_t, y_t)
    p_t = probabilities(x_t, mean, scale, coefficients, intercept)
    threshold = float(np.floor(np.quantile(p_t[y_t == 1], 1 - ANSWERED_SHARE) * 1000) / 1000)
    p_h = probabilities(x_h, mean, scale, coefficients, intercept)
    p_sq = probabilities(squad_t[0], mean, scale, coefficients, intercept)
    p_rt = probabilities(r_t, mean, scale, coefficients, intercept)
    p_rh = probabilities(r_h, mean, scale, coefficients, intercept)
    print("coefficients (standardised):")
    for name, c in sorted(zip(FEATURES, coefficients), key=lambda p: -abs(p[1])):
        print(f"  {name:<18} {c:+.3f}")
    print(report("tuning, SQuAD 2.0 questions", p_sq, squad_t[1], squad_t[2], threshold))
    print(
        f"tuning, {len(r_t)} answerable questions asked without their paragraph: refused {np.mean(p_rt < threshold):.3f}"
    )
    print(
        report(
            "tuning, debian-dev questions",
            probabilities(x_d, mean, scale, coefficients, intercept),
            y_d,
            hit_d,
            threshold,
        )
    )
    for name, (x_n, y_n, hit_n) in zip(manuals, manual_rows):
        print(
            report(
                f"tuning, {name} questions",
                probabilities(x_n, mean, scale, coefficients, intercept),
                y_n,
                hit_n,
                threshold,
            )
        )
    print(report("held-out, SQuAD 2.0 questions", p_h, y_h, hit_h, threshold))
    print(
        f"held-out, {len(r_h)} answerable questions asked without their paragraph: refused {np.mean(p_rh < threshold):.3f}"
    )
    print("held-out trade-off by strictness (the threshold on the probability):")
    for t in sorted({0.2, 0.3, 0.4, 0.5, 0.6, 0.7, round(threshold, 3)}):
        print(
            f"  {t:.3f}: "
            + report("", p_h, y_h, hit_h, t).split("; ", 1)[1]
            + f"; without their paragraph refused {np.mean(p_rh < t):.3f}"
        )
    if not args.dry_run:
        PARAMETERS.write_text(
            json.dumps(
                {
                    "fitted_by": "benchmarks/fit_answerability.py",
                    "data": "SQuAD 2.0 dev slice, articles "
                    + ", ".join(TUNING)
                    + "; debian-dev questions"
                    + "".join(f"; {name} questions" for name in manuals),
                    "features": list(FEATURES),
                    "mean": [round(float(v), 6) for v in mean],
                    "scale": [round(float(v), 6) for v in scale],
                    "coefficients": [round(float(v), 6) for v in coefficients],
                    "intercept": round(intercept, 6),
                    "threshold": threshold,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"wrote {PARAMETERS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fit qa/across.json: when passages answer a question searched with the multilingual encoder.

Tuning rows: benchmarks/data/debian-dev-crosslingual-tuning.jsonl (45 answerable debian-dev questions and the 25
debian-dev unanswerables, translated into French, Chinese and Japanese); the 15 shared cross-language questions
are only reported on. Each row's evidence is the best unit's
multilingual cosine (qa.across.best_cosine); the cosine at which P(answered) is one half is set to answer
ANSWERED_SHARE of the answerable rows, and the scale to the spread of the answerable rows' cosines.

    .venv/bin/python benchmarks/fit_across.py            # builds debian-dev in a temporary folder, writes qa/across.json
    .venv/bin/python benchmarks/fit_across.py --dry-run  # prints the fit only
    .venv/bin/python benchmarks/fit_across.py --index /tmp/dd  # reuses (or makes) a debian-dev index there
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa import across  # noqa: E402
from qa.answer import rank_sentences  # noqa: E402
from qa.api import build_index, open_index  # noqa: E402
from qa.config import Settings  # noqa: E402

SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpora" / "debian-dev"
ROWS = (ROOT / "benchmarks" / "data" / "debian-dev-crosslingual-tuning.jsonl",)
ANSWERED_SHARE = 0.95


def rows() -> list[dict]:
    return [json.loads(line) for path in ROWS for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def features(index_folder: Path) -> tuple[np.ndarray, np.ndarray]:
    settings = Settings.from_env(corpus=CORPUS, index=index_folder)
    build_index(settings)
    index = open_index(settings)
    x, y = [], []
    for row in rows():
        retrieval = index.retrieve(row["q"])
        if not retrieval.across:
            raise SystemExit(f"not searched across languages: {row['q']!r}")
        ranked = rank_sentences(row["q"], retrieval, index.embedder, index.snapshot.sparse)
        if ranked is None:
            continue
        x.append(across.best_cosine(np.array([s.multilingual for s in ranked.sentences])))
        y.append(1.0 if row.get("answerable", True) else 0.0)
    return np.array(x), np.array(y)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--index", type=Path, help="a debian-dev index folder to reuse (updated first)")
    args = p.parse_args()
    if args.index:
        x, y = features(args.index)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            x, y = features(Path(tmp) / "index")
    answerable = np.sort(x[y == 1.0])
    cosine_at = float(answerable[int((1 - ANSWERED_SHARE) * len(answerable))])
    scale = max(0.01, float(answerable.std()) / 4)
    answered = x >= cosine_at
    print(f"{int(y.sum())} answerable, {int(len(y) - y.sum())} unanswerable rows")
    print(
        f"best cosine, answerable: mean {x[y == 1].mean():.3f} sd {x[y == 1].std():.3f}; "
        f"unanswerable: mean {x[y == 0].mean():.3f} sd {x[y == 0].std():.3f}"
    )
    print(f"cosine_at {cosine_at:.3f}, scale {scale:.3f}")
    print(f"answerable answered {answered[y == 1].mean():.2f}, unanswerable refused {1 - answered[y == 0].mean():.2f}")
    if not args.dry_run:
        values = {"cosine_at": round(cosine_at, 4), "scale": round(scale, 4)}
        across.PARAMETERS.write_text(json.dumps(values, indent=2) + "\n")
        print(f"wrote {across.PARAMETERS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

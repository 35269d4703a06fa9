"""Write qa/word_classes.txt: each English word form and the classes it can have (n noun, a adjective, v verb,
r adverb), from the lexicon of lemminflect (MIT; the SPECIALIST lexicon), for qa.meaning.

    pip install lemminflect && python benchmarks/word_classes.py

The answer code needs only these letters, so it reads a plain 1 MB list instead of importing the lexicon
(48 MB of memory in every serving process).
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "qa" / "word_classes.txt"
CLASSES = {"NOUN": "n", "PROPN": "n", "ADJ": "a", "VERB": "v", "AUX": "v", "ADV": "r"}


def main() -> int:
    import lemminflect
    from lemminflect import getAllLemmas

    lookup = Path(lemminflect.__file__).with_name("resources") / "lemma_lu.csv.gz"
    with gzip.open(lookup, "rt", encoding="utf-8") as f:
        words = sorted({line.split(",", 1)[0] for line in f if line.strip()})
    lines = []
    for word in words:
        letters = "".join(sorted({CLASSES[c] for c in getAllLemmas(word) if c in CLASSES}))
        if letters and " " not in word:
            lines.append(f"{word} {letters}")
    TARGET.write_text(
        "# word form and its classes (n noun, a adjective, v verb, r adverb); written by benchmarks/word_classes.py\n"
        + "\n".join(lines)
        + "\n"
    )
    print(f"wrote {len(lines)} word forms to {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""OCR speed and accuracy on scanned pages, beside reading the same pages from a text layer.

    python benchmarks/ocr.py                 # 6 letter-size pages of PEP text, 200 dpi
    python benchmarks/ocr.py --pages 10 --dpi 300

The same lines of PEP 8 are saved twice: drawn into page images and saved as a PDF of images only (a scan),
and written as a PDF text layer. qa.loaders.load reads both, the way `qa index` does. Each round loads both
files, so a busy machine slows both alike; the table shows medians, pages/s, the ratio to the text layer,
and how much of the drawn text OCR got back.
"""

from __future__ import annotations

import argparse
import difflib
import statistics
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # scans.py: the same drawn pages and PDFs the OCR tests use

from scans import draw, placed_pdf, scanned_pdf  # noqa: E402

from qa.config import Settings  # noqa: E402
from qa.hardware import detect  # noqa: E402
from qa.loaders import SourceFile, load  # noqa: E402

PEPS = ROOT.parent / "shared" / "corpora" / "peps"
LINES_PER_PAGE = 38


def page_texts(count: int) -> list[list[str]]:
    words = " ".join((PEPS / "pep-0008.rst").read_text(encoding="utf-8").split())
    lines = textwrap.wrap("".join(ch for ch in words if ch.isprintable()), 78)
    return [lines[n * LINES_PER_PAGE : (n + 1) * LINES_PER_PAGE] for n in range(count)]


def scan(pages: list[list[str]], dpi: int) -> bytes:
    """The lines drawn into letter-size page images at `dpi`, saved as a PDF of images only."""
    drawn = [
        draw(lines, size=(int(8.5 * dpi), int(11 * dpi)), points=int(11 * dpi / 72), top=dpi, step=int(16 * dpi / 72))
        for lines in pages
    ]
    return scanned_pdf(drawn, dpi)


def text_layer(pages: list[list[str]]) -> bytes:
    """The same lines as a PDF text layer, in Helvetica 11 pt, 16 pt apart."""
    return placed_pdf([[(72, 72 + 16 * n, line) for n, line in enumerate(lines)] for lines in pages])


def timed(name: str, data: bytes) -> tuple[float, str]:
    started = time.perf_counter()
    document, _ = load(SourceFile(name, Path(name), len(data), 0.0), data, Settings())
    return time.perf_counter() - started, document.text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    import onnxruntime

    pages = page_texts(args.pages)
    scanned, layered = scan(pages, args.dpi), text_layer(pages)
    timed("warm.pdf", scan(pages[:1], args.dpi))  # loads the OCR models once, outside the timing
    ocr_times, text_times, ocr_text = [], [], ""
    for _ in range(args.rounds):
        seconds, ocr_text = timed("scan.pdf", scanned)
        ocr_times.append(seconds)
        text_times.append(timed("text.pdf", layered)[0])
    drawn = "\n".join(line for lines in pages for line in lines)
    accuracy = difflib.SequenceMatcher(
        None, " ".join(drawn.split()), " ".join(ocr_text.split()), autojunk=False
    ).ratio()
    ocr_rate, text_rate = args.pages / statistics.median(ocr_times), args.pages / statistics.median(text_times)
    print(f"Machine: {detect().describe()}; OCR: rapidocr-onnxruntime on onnxruntime {onnxruntime.__version__}, CPU")
    print(
        f"{args.pages} letter-size pages of {LINES_PER_PAGE} lines, scanned at {args.dpi} dpi; median of {args.rounds} rounds"
    )
    print(f"{'reading':<22}{'pages/s':>10}{'s/page':>10}{'ratio':>10}")
    print(f"{'text layer (pdfium)':<22}{text_rate:>10.1f}{1 / text_rate:>10.3f}{1.0:>10.2f}")
    print(f"{'OCR (scanned pages)':<22}{ocr_rate:>10.2f}{1 / ocr_rate:>10.2f}{ocr_rate / text_rate:>10.4f}")
    print(f"OCR text matches the drawn text: {accuracy:.3f} (difflib ratio over characters)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

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
import io
import statistics
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.hardware import detect  # noqa: E402
from qa.loaders import SourceFile, load  # noqa: E402

PEPS = ROOT.parent / "shared" / "corpora" / "peps"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LINES_PER_PAGE = 38


def page_texts(count: int) -> list[list[str]]:
    words = " ".join((PEPS / "pep-0008.rst").read_text(encoding="utf-8").split())
    lines = textwrap.wrap("".join(ch for ch in words if ch.isprintable()), 78)
    return [lines[n * LINES_PER_PAGE : (n + 1) * LINES_PER_PAGE] for n in range(count)]


def scan(pages: list[list[str]], dpi: int) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    size = (int(8.5 * dpi), int(11 * dpi))
    face = ImageFont.truetype(FONT, int(11 * dpi / 72))
    images = []
    for lines in pages:
        image = Image.new("RGB", size, "white")
        pen = ImageDraw.Draw(image)
        for n, line in enumerate(lines):
            pen.text((dpi, dpi + n * int(16 * dpi / 72)), line, font=face, fill="black")
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


def text_layer(pages: list[list[str]]) -> bytes:
    """The same lines as a PDF text layer, in Helvetica 11 pt."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for i, lines in enumerate(pages):
        escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
        stream = " ".join(f"BT /F1 11 Tf 72 {720 - 16 * n} Td ({line}) Tj ET" for n, line in enumerate(escaped))
        kids.append(f"{4 + 2 * i} 0 R")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        data = stream.encode("latin-1", "replace")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode()
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


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

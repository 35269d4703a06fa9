"""Files the tests make on the spot: text drawn into images, images saved as PDF pages, DOCX files,
and PDFs whose text layer places each line where the test says."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

LATIN = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CHINESE = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"  # Debian's fonts-wqy-microhei (make fonts)
DPI = 200


@dataclass(frozen=True)
class Drawn:
    """An image with text drawn on it, and the pixel box of each line drawn."""

    image: Image.Image
    boxes: tuple[tuple[float, float, float, float], ...]


def draw(
    lines: list[str],
    size: tuple[int, int] = (1400, 500),
    font: str = LATIN,
    points: int = 34,
    top: int = 60,
    step: int = 70,
) -> Drawn:
    image = Image.new("RGB", size, "white")
    pen = ImageDraw.Draw(image)
    face = ImageFont.truetype(font, points)
    boxes = []
    for n, line in enumerate(lines):
        where = (60, top + n * step)
        pen.text(where, line, font=face, fill="black")
        boxes.append(pen.textbbox(where, line, font=face))
    return Drawn(image, tuple(boxes))


def scanned_pdf(pages: list[Drawn], dpi: int = DPI) -> bytes:
    """A PDF whose pages are only images (no text layer), at `dpi` dots per inch."""
    out = io.BytesIO()
    pages[0].image.save(out, "PDF", save_all=True, append_images=[p.image for p in pages[1:]], resolution=dpi)
    return out.getvalue()


def png(drawn: Drawn) -> bytes:
    out = io.BytesIO()
    drawn.image.save(out, "PNG")
    return out.getvalue()


def points(box: tuple[float, float, float, float]) -> tuple[float, ...]:
    """A pixel box of a scanned page in PDF points."""
    return tuple(v * 72 / DPI for v in box)


def placed_pdf(
    pages: list[list[tuple[float, float, str]]], size: tuple[int, int] = (612, 792), font_size: int = 11
) -> bytes:
    """A PDF with a Helvetica text layer: each (x, y, text) is drawn with y measured from the top of the page,
    in the order given, so a test can interleave two columns in the content stream."""
    count = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, lines in enumerate(pages):
        shown = " ".join(f"BT /F1 {font_size} Tf {x} {size[1] - y} Td ({_escaped(text)}) Tj ET" for x, y, text in lines)
        stream = shown.encode("latin-1", "replace")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {size[0]} {size[1]}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
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


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG file that claims width x height pixels: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of Helvetica text per page ("" gives a blank page)."""
    return placed_pdf([[(72, 72, text)] if text else [] for text in pages], font_size=12)


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

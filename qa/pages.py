"""Page images for the Sources tab: a page of a corpus PDF or image, rendered on demand and cached as PNG."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.config import Settings
from qa.loaders import IMAGES

log = logging.getLogger(__name__)

WIDTH = 1600  # pixels across a rendered page: 2.6 per point on a Letter page, so 9-point text is about 23 px high


@dataclass(frozen=True)
class PageImage:
    png: bytes
    width: float  # in the units of the page's boxes: PDF points, or the image's own pixels
    height: float


def page_image(settings: Settings, source: str, page: int) -> PageImage | None:
    """Page `page` (1-based) of corpus file `source`; None for a file outside the corpus, of another type, or unreadable."""
    root = os.path.realpath(settings.corpus)
    path = os.path.realpath(os.path.join(root, source))
    suffix = os.path.splitext(path)[1].lower()
    if os.path.commonpath([root, path]) != root or not os.path.isfile(path) or page < 1:
        return None
    if suffix != ".pdf" and suffix not in IMAGES:
        return None
    info = os.stat(path)
    key = hashlib.sha256(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\0{page}\0{WIDTH}".encode()).hexdigest()
    folder = settings.cache / "pages"
    cached = _cached(folder, key)
    if cached is not None:
        return cached
    try:
        made = _render_pdf(path, page) if suffix == ".pdf" else _render_image(path, page, settings.max_image_pixels)
    except Exception as exc:  # a damaged file shows its text without the page
        log.warning("cannot render page %d of %s: %s", page, source, exc)
        return None
    if made is not None:
        _store(folder, key, made)
    return made


def _render_pdf(path: str, page: int) -> PageImage | None:
    from qa import pdf

    with pdf.opened(Path(path).read_bytes()) as document:
        if page > len(document):
            return None
        handle = document[page - 1]
        try:
            width, height = handle.get_size()
            image = pdf.render(handle, WIDTH / max(width, 1.0))
        finally:
            handle.close()
    return PageImage(_png(image), width, height)


def _render_image(path: str, page: int, max_pixels: int) -> PageImage | None:
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        if width * height > max_pixels or page > getattr(image, "n_frames", 1):
            return None
        image.seek(page - 1)
        shown = image.convert("RGB")
        shown.thumbnail((WIDTH, WIDTH * 4))
        return PageImage(_png(shown), float(width), float(height))


def _png(image: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)  # type: ignore[attr-defined]
    return out.getvalue()


def _cached(folder: Path, key: str) -> PageImage | None:
    try:
        size = json.loads((folder / f"{key}.json").read_text())
        return PageImage((folder / f"{key}.png").read_bytes(), float(size["width"]), float(size["height"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store(folder: Path, key: str, page: PageImage) -> None:
    """Write the PNG, then its sizes: a reader finds both or neither. A cache that cannot be written is skipped."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in (
            (f"{key}.png", page.png),
            (f"{key}.json", json.dumps({k: v for k, v in asdict(page).items() if k != "png"}).encode()),
        ):
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".page-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, folder / name)
    except OSError as exc:
        log.warning("cannot cache a page image in %s: %s", folder, exc)

"""Images that an HTML page of the corpus shows are that page's figures, not scans: OCR does not read them.

A manual exported to HTML ships its screenshots and diagrams beside its pages; read by OCR they cost seconds
each and give the index menus and arrow labels, while the page already says what the figure shows.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

_IMG_SRC = re.compile(rb"""<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_HTML = (".html", ".htm")


def shown(pages: Iterable[tuple[str, Path, int, float]], images: set[str]) -> dict[str, str]:
    """Each of `images` (corpus sources) that one of `pages` (source, path, size, mtime) shows with <img>, or that
    lies in the folder of one it shows (the icons its style sheets use), and the first page that shows it."""
    found: dict[str, str] = {}
    if not images:
        return found
    for source, path, size, mtime in pages:
        if os.path.splitext(source)[1].lower() not in _HTML:
            continue
        folder = posixpath.dirname(source)
        for link in _links(str(path), size, mtime):
            target = posixpath.normpath(posixpath.join(folder, link))
            if target in images and target not in found:
                found[target] = source
    folders = {posixpath.dirname(image): page for image, page in found.items()}
    for image in images - found.keys():
        page = folders.get(posixpath.dirname(image))
        if page is not None:
            found[image] = page
    return found


@lru_cache(maxsize=65536)
def _links(path: str, size: int, mtime: float) -> tuple[str, ...]:
    """The local image links of one HTML file, remembered by its size and time so that a watcher's scans read
    an unchanged page once."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(size + 1)
    except OSError:
        return ()
    links: list[str] = []
    for match in _IMG_SRC.finditer(data):
        raw = next(g for g in match.groups() if g is not None).decode("utf-8", "replace").strip()
        parts = urlsplit(raw)
        if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
            continue
        links.append(unquote(parts.path))
    return tuple(dict.fromkeys(links))

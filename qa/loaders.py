"""Find the corpus files and read each one into a Document."""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from qa.config import Settings
from qa.errors import CorpusError, DocumentError, first_line
from qa.figures import shown
from qa.files import human_size
from qa.paged import PageProgress, clean, image_pages, paged_document, pdf_pages
from qa.types import Document, Skipped

PLAIN: frozenset[str] = frozenset({".txt", ".md", ".rst"})
IMAGES: frozenset[str] = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})
SUPPORTED: frozenset[str] = PLAIN | IMAGES | {".html", ".htm", ".pdf", ".docx"}

_SNIFF_BYTES = 8192
_BINARY_CONTROLS = bytes(b for b in range(32) if b not in b"\t\n\r\f") + b"\x7f"
OVERSTRIKE = re.compile(r"[^\n\x08]\x08")  # "P\bP" bold, "_\bx" underlined: a terminal's typewriter emphasis (nroff)
_OVERSTRIKE_BYTES = re.compile(OVERSTRIKE.pattern.encode())
_ZIP_RATIO = 100
_ZIP_RATIO_MIN_BYTES = 10 * 1024 * 1024

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_SPACES = re.compile(r"\s+")
_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
_HTML_DROP = frozenset({"script", "style", "noscript", "template", "head", "nav"})
_HTML_PRE = frozenset({"pre", "textarea"})
_HTML_PARAGRAPH = frozenset(
    "address article aside blockquote details dialog dl fieldset figure footer form h1 h2 h3 h4 h5 h6 header "
    "hr main ol p pre section table ul".split()
)
_HTML_LINE = frozenset("caption dd div dt figcaption li summary tbody tfoot thead tr textarea".split())
_HTML_NAV_ROLES = frozenset({"navigation", "search"})
_HTML_NAV_CLASSES = frozenset(
    {"navheader", "navfooter", "headerlink", "toc", "sphinxsidebar", "related", "copiable-anchor", "copiable-link"}
)
_HTML_NAV_DIVS = frozenset({"header", "nav-panel"})  # Texinfo's "Next: ..., Previous: ..., Up: ..." over each node
_TEXINFO_INDEX = re.compile(r"index-[a-z]{2}|[\w-]*printindex[\w-]*")  # an index's entries, its "Jump to:" letters


@dataclass(frozen=True)
class SourceFile:
    source: str  # path relative to the corpus root, posix style
    path: Path  # absolute path
    size: int
    mtime: float


def scan(root: Path, settings: Settings) -> tuple[list[SourceFile], list[Skipped]]:
    """Supported files under root, sorted by source; everything else listed as Skipped with a reason."""
    if not root.exists():
        raise CorpusError(
            f"corpus folder '{root}' does not exist: create it and put .txt/.md/.pdf/... files in it, "
            "or pass --corpus DIR"
        )
    if not root.is_dir():
        raise CorpusError(f"corpus path '{root}' is not a folder: pass --corpus DIR with the folder of your documents")
    top = os.path.realpath(root)
    files: list[SourceFile] = []
    skipped: list[Skipped] = []
    seen = {_identity(top)}
    pending = [(str(root), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            if not prefix:
                message = f"cannot read corpus folder '{root}': {_os_reason(exc)}; check its permissions"
                raise CorpusError(message) from None
            skipped.append(Skipped(prefix, f"cannot read: {_os_reason(exc)}"))
            continue
        for entry in entries:
            found = _examine(entry, prefix + entry.name, top, seen, settings)
            if isinstance(found, SourceFile):
                files.append(found)
            elif isinstance(found, Skipped):
                skipped.append(found)
            elif found is not None:
                pending.append((found, prefix + entry.name + "/"))
    files.sort(key=lambda f: f.source)
    if not settings.ocr_figures:
        files, skipped = _without_figures(files, skipped)
    skipped.sort(key=lambda s: s.source)
    return files, skipped


def _without_figures(files: list[SourceFile], skipped: list[Skipped]) -> tuple[list[SourceFile], list[Skipped]]:
    images = {f.source for f in files if os.path.splitext(f.source)[1].lower() in IMAGES}
    pages = shown(((f.source, f.path, f.size, f.mtime) for f in files), images)
    if not pages:
        return files, skipped
    figures = [
        Skipped(source, "a figure of an HTML page, not read by OCR; set QA_OCR_FIGURES=1 to read figures")
        for source in pages
    ]
    return [f for f in files if f.source not in pages], skipped + figures


def _examine(
    entry: os.DirEntry[str], source: str, top: str, seen: set[tuple[int, int]], settings: Settings
) -> SourceFile | Skipped | str | None:
    """A SourceFile, a Skipped, the real path of a folder to descend into, or None to ignore silently."""
    if entry.name.startswith("."):
        return None
    if any(unicodedata.category(c) == "Cs" for c in entry.name):
        return Skipped(_printable(source), "file name is not valid UTF-8; rename it")
    if any(unicodedata.category(c) == "Cc" for c in entry.name):
        return Skipped(_printable(source), "file name contains control characters; rename it")
    real = os.path.realpath(entry.path)
    if entry.is_symlink():
        if os.path.commonpath([top, real]) != top:
            return Skipped(source, "symlink points outside the corpus; copy the file into the corpus instead")
        if not os.path.exists(real):
            return Skipped(source, "broken symlink; fix or remove it")
    try:
        info = os.stat(real)
    except OSError as exc:
        return Skipped(source, f"cannot read: {_os_reason(exc)}")
    if stat.S_ISDIR(info.st_mode):
        if _identity(real) in seen:
            return Skipped(source + "/", "folder already scanned through another path (symlink loop?)")
        seen.add(_identity(real))
        return real
    suffix = os.path.splitext(entry.name)[1].lower()
    if suffix and suffix not in SUPPORTED:  # a name without one (README, INSTALL) is read when it is text
        return Skipped(source, f"unsupported type {suffix}")
    if not stat.S_ISREG(info.st_mode):
        return Skipped(source, "not a regular file")
    if info.st_size > settings.max_file_bytes:
        return Skipped(
            source,
            f"larger than {human_size(settings.max_file_bytes)} limit ({human_size(info.st_size)}); "
            "split it or raise QA_MAX_FILE_BYTES",
        )
    if not os.access(real, os.R_OK):
        return Skipped(source, "cannot read: permission denied")
    return SourceFile(source, Path(real), info.st_size, info.st_mtime)


def _identity(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _printable(name: str) -> str:
    return "".join(ascii(c)[1:-1] if unicodedata.category(c) in ("Cc", "Cs") else c for c in name)


def load(
    file: SourceFile, data: bytes, settings: Settings, progress: PageProgress | None = None
) -> tuple[Document, Skipped | None]:
    """Parse one file's bytes; raise DocumentError for a file that must be skipped.

    The Skipped returned alongside (partial=True) notes a document that was truncated or repaired.
    Scanned pages and images are read by OCR, reporting each page to `progress`.
    """
    if not data.strip():
        raise DocumentError("empty file: nothing to index; add text to it or remove it")
    suffix = Path(file.source).suffix.lower()
    if suffix in PLAIN or not suffix:
        text, note = _plain_text(data, strict=not suffix)
        clean = OVERSTRIKE.sub("", text)
        return Document(file.source, clean, plain=clean == text), _note(file, note)
    if suffix in (".html", ".htm"):
        text, note = _html_text(data)
        return Document(file.source, text, plain=False), _note(file, note)
    if suffix == ".pdf":
        pages, scanned, note = pdf_pages(data, settings, progress)
        return paged_document(file.source, pages, scanned), _note(file, note)
    if suffix in IMAGES:
        pages, note = image_pages(data, settings, progress)
        return paged_document(file.source, pages, len(pages)), _note(file, note)
    if suffix == ".docx":
        return Document(file.source, _docx_text(data, settings.max_unzipped_bytes), plain=False), None
    raise DocumentError(f"unsupported type {suffix or '(no extension)'}; supported: {' '.join(sorted(SUPPORTED))}")


def _note(file: SourceFile, reason: str | None) -> Skipped | None:
    return Skipped(file.source, reason, partial=True) if reason else None


def _plain_text(data: bytes, strict: bool = False) -> tuple[str, str | None]:
    """The decoded text; `strict` for a file without an extension, which is read only when it is UTF-8 text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError("file is UTF-16 encoded; save it as UTF-8")
    sample = _OVERSTRIKE_BYTES.sub(b"", data[:_SNIFF_BYTES])
    controls = len(sample) - len(sample.translate(None, _BINARY_CONTROLS))
    if b"\x00" in data or controls > len(sample) // 10:
        raise DocumentError("looks like binary data, not text; convert it to UTF-8 text or remove it from the corpus")
    note = None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if strict:
            raise DocumentError("no extension and not UTF-8 text; give it one of the supported extensions") from None
        text = data.decode("utf-8", errors="replace")
        note = "invalid UTF-8 bytes replaced with U+FFFD; save the file as UTF-8"
    if not text.lstrip("\ufeff").strip():
        raise DocumentError("empty file: nothing to index; add text to it or remove it")
    return text, note


def _html_text(data: bytes) -> tuple[str, str | None]:
    """Visible text from a streaming parse (no tree, so nesting depth does not matter): paragraphs, headings,
    lists, tables and `pre` blocks apart by a blank line, a line per list item and per table row (cells joined
    by " | "), `pre` lines verbatim; navigation (menus, search, permalinks) left out."""
    from lxml import etree

    markup, note = _decode_html(data)
    target = _VisibleText()
    parser = etree.HTMLParser(target=target, encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        parser.feed(markup.encode("utf-8", "replace"))
        text = parser.close()
    except etree.LxmlError as exc:
        raise DocumentError(f"cannot read HTML: {first_line(exc, 120)}; re-save it as valid HTML") from None
    if not text.strip():
        raise DocumentError("no visible text in this HTML page; remove it from the corpus")
    return text, note


class _VisibleText:
    """lxml parser target that keeps the text a browser would show, with its blocks on lines of their own."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.hidden: list[bool] = []  # per open element: whether it or one around it is not shown
        self.pre = 0
        self.cells: list[int] = []  # per open table row: the cells started in it
        self.cell = 0  # depth of table cells the parser is in
        self.newlines = 0  # at the end of the text written so far
        self.pending = 0  # newlines to write before the next text
        self.verbatim = False  # the last text written was a pre block's

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.hidden.append(bool(self.hidden and self.hidden[-1]) or _html_hidden(tag, attrib))
        if tag in _HTML_PRE:
            self.pre += 1
        if tag == "tr":
            self.cells.append(0)
        elif tag in ("td", "th"):
            if self.cells and self.cells[-1] and not self.cell and not self.hidden[-1]:
                self._write("| " if self.pending or self.parts[-1].endswith(" ") else " | ")
            if self.cells:
                self.cells[-1] += 1
            self.cell += 1
        self._break(tag)

    def end(self, tag: str) -> None:
        if self.hidden:
            self.hidden.pop()
        if tag in _HTML_PRE:
            self.pre = max(0, self.pre - 1)
        if tag == "tr" and self.cells:
            self.cells.pop()
        elif tag in ("td", "th"):
            self.cell = max(0, self.cell - 1)
        self._break(tag)

    def data(self, text: str) -> None:
        if self.hidden and self.hidden[-1]:
            return
        if self.pre and not self.cell:
            if self.pending == 2 and text.startswith("\n"):
                text = text[1:]  # a browser drops the newline that opens a pre block
            if text:
                self._write(text, verbatim=True)
            return
        text = _SPACES.sub(" ", text)
        if self.pending or self.newlines or not self.parts or self.parts[-1].endswith(" "):
            text = text.lstrip(" ")
        if text:
            self._write(text)

    def close(self) -> str:
        return "".join(self.parts).lstrip("\n").rstrip()

    def _break(self, tag: str) -> None:
        """Ask for a blank line around a paragraph-like block, a newline around a line-like one."""
        wanted = 2 if tag in _HTML_PARAGRAPH else 1 if tag in _HTML_LINE or tag == "br" else 0
        if not wanted or (self.cell and tag not in ("table", "tr")):
            if wanted and self.parts and not self.parts[-1].endswith((" ", "\n")):
                self._write(" ")
            return
        self.pending = max(self.pending, wanted if self.parts else 0)

    def _write(self, text: str, verbatim: bool = False) -> None:
        if self.pending:
            if self.parts and not self.verbatim:
                self.parts[-1] = self.parts[-1].rstrip(" ")
            self.parts.append("\n" * max(0, self.pending - self.newlines))
            self.pending = 0
        self.parts.append(text)
        self.verbatim = verbatim
        stripped = text.rstrip("\n")
        self.newlines = len(text) - len(stripped) + (self.newlines if not stripped else 0)


def _html_hidden(tag: str, attrib: dict[str, str]) -> bool:
    """An element a reader does not read as the page's content: scripts, styles, navigation, permalinks."""
    classes = set(attrib.get("class", "").split())
    return (
        tag in _HTML_DROP
        or attrib.get("role") in _HTML_NAV_ROLES
        or bool(classes & _HTML_NAV_CLASSES)
        or (tag == "div" and bool(classes & _HTML_NAV_DIVS))
        or (tag == "table" and any(_TEXINFO_INDEX.fullmatch(c) for c in classes))
    )


def _decode_html(data: bytes) -> tuple[str, str | None]:
    """Decode by byte order mark, then declared charset, then UTF-8; bad bytes become U+FFFD."""
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            data = data[len(bom) :]
            encoding = bom_encoding
            break
    else:
        declared = _CHARSET.search(data[:4096])
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "utf-8"
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError:
        note = f"invalid {encoding} bytes replaced with U+FFFD; save the file as UTF-8"
        return data.decode(encoding, errors="replace"), note


def _docx_text(data: bytes, max_unzipped: int) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        message = "cannot read DOCX: not a valid .docx (zip) file; re-save it from Word or LibreOffice"
        raise DocumentError(message) from None
    unzipped = sum(m.file_size for m in members)
    if unzipped > max_unzipped or any(
        m.file_size > _ZIP_RATIO_MIN_BYTES and m.file_size > _ZIP_RATIO * max(m.compress_size, 1) for m in members
    ):
        raise DocumentError(
            f"looks like a zip bomb ({human_size(unzipped)} unzipped, limit {human_size(max_unzipped)}); "
            "remove it, or raise QA_MAX_UNZIPPED_BYTES if you trust it"
        )
    import docx
    from docx.table import Table

    def table_lines(table: Table) -> list[str]:
        lines: list[str] = []
        for row in table.rows:
            cells = list({cell._tc: cell for cell in row.cells}.values())  # a merged cell repeats in row.cells
            lines.append("\t".join(cell.text for cell in cells))
            for cell in cells:
                for inner in cell.tables:
                    lines.extend(table_lines(inner))
        return lines

    try:
        lines: list[str] = []
        for block in docx.Document(io.BytesIO(data)).iter_inner_content():
            lines.extend(table_lines(block) if isinstance(block, Table) else [block.text])
    except Exception as exc:
        raise DocumentError(f"cannot read DOCX: {first_line(exc, 120)}; re-save it from Word or LibreOffice") from None
    text = clean("\n".join(lines).strip())
    if not text:
        raise DocumentError("no text in this document; add text to it or remove it from the corpus")
    return text

"""Finding corpus files and reading each format into a Document."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from scans import make_docx, make_pdf

from qa.config import Settings
from qa.errors import CorpusError
from qa.loaders import DocumentError, SourceFile, load, scan
from qa.types import Document, Skipped

SETTINGS = Settings()


def load_bytes(name: str, data: bytes, settings: Settings = SETTINGS) -> tuple[Document, Skipped | None]:
    return load(SourceFile(name, Path("/corpus") / name, len(data), 0.0), data, settings)


def test_plain_text_is_the_exact_decoded_file():
    data = "\ufeffFirst line\r\nSecond line\rthird\n\ttabbed — ünïcode\n".encode()
    document, note = load_bytes("notes.txt", data)
    assert document.text == data.decode("utf-8")
    assert document.plain and document.pages == ()
    assert note is None


def test_markdown_and_rst_are_plain_text():
    for name in ("readme.md", "guide.RST"):
        document, _ = load_bytes(name, b"# Title\n\nBody text.\n")
        assert document.text == "# Title\n\nBody text.\n"
        assert document.plain


def test_typewriter_emphasis_of_a_terminal_page_is_read_as_its_letters():
    bold = "".join(f"{c}\b{c}" for c in "postfix reload")
    underlined = "".join(f"_\b{c}" for c in "main.cf")
    data = (f"Run {bold} after editing {underlined}.\n" * 40).encode()
    document, note = load_bytes("FILTER_README.txt", data)
    assert document.text.startswith("Run postfix reload after editing main.cf.\n")
    assert "\b" not in document.text
    assert not document.plain  # offsets no longer point into the file
    assert note is None


def test_binary_txt_is_refused():
    with pytest.raises(DocumentError, match="binary"):
        load_bytes("data.txt", b"PK\x03\x04\x00\x00binary\x00stuff")


def test_text_with_many_control_bytes_is_refused_as_binary():
    with pytest.raises(DocumentError, match="binary"):
        load_bytes("data.txt", bytes(range(1, 32)) * 10)


def test_invalid_utf8_is_replaced_and_reported_partial():
    document, note = load_bytes("latin.txt", b"caf\xe9 au lait\n")
    assert document.text == "caf\ufffd au lait\n"
    assert note is not None and note.partial and note.source == "latin.txt"
    assert "UTF-8" in note.reason


def test_empty_and_whitespace_files_are_refused():
    for data in (b"", b"  \n\t\n", "\ufeff \n".encode()):
        with pytest.raises(DocumentError, match="empty"):
            load_bytes("empty.md", data)


def test_html_keeps_visible_text_and_drops_script_style_head():
    html = b"""<html><head><title>Tab title</title><style>p {color: red}</style></head>
    <body><script>var secret = 1;</script><h1>Heading</h1>
    <p>First   <b>bold</b>
    paragraph.</p><noscript>enable js</noscript><p>Second paragraph.</p></body></html>"""
    document, note = load_bytes("page.html", html)
    assert document.text == "Heading\n\nFirst bold paragraph.\n\nSecond paragraph."
    assert not document.plain
    assert note is None


def test_html_uses_declared_charset():
    document, _ = load_bytes("old.htm", '<meta charset="iso-8859-1"><p>café</p>'.encode("latin-1"))
    assert document.text == "café"


def test_deeply_nested_html_is_read_quickly():
    depth = 50_000
    html = ("<html><body>" + "<div>" * depth + "deep text" + "</div>" * depth + "<p>after</p></body></html>").encode()
    started = time.monotonic()
    document, _ = load_bytes("deep.html", html)
    assert time.monotonic() - started < 10
    assert document.text == "deep text\n\nafter"


def test_html_without_visible_text_is_refused():
    with pytest.raises(DocumentError, match="no visible text"):
        load_bytes("blank.html", b"<html><head><title>x</title></head><body><script>1</script></body></html>")


def test_pdf_text_is_extracted_page_by_page():
    document, note = load_bytes("report.pdf", make_pdf(["Page one says hello.", "Page two says goodbye."]))
    assert "Page one says hello." in document.text
    assert "Page two says goodbye." in document.text
    assert document.text.index("hello") < document.text.index("goodbye")
    assert not document.plain
    assert note is None


def test_pdf_page_offsets_point_at_each_page_start():
    document, _ = load_bytes("report.pdf", make_pdf(["Alpha page.", "Beta page.", "Gamma page."]))
    assert len(document.pages) == 3
    assert document.pages[0] == 0
    for start, word in zip(document.pages, ("Alpha", "Beta", "Gamma")):
        assert document.text[start:].lstrip().startswith(word)


def test_pdf_stops_at_page_limit_with_partial_note():
    settings = Settings(max_pdf_pages=2)
    document, note = load_bytes("long.pdf", make_pdf(["One.", "Two.", "Three."]), settings)
    assert len(document.pages) == 2
    assert "Three" not in document.text
    assert note is not None and note.partial and "2 of 3" in note.reason


def test_pdf_without_text_is_refused():
    with pytest.raises(DocumentError, match="no extractable text"):
        load_bytes("scan.pdf", make_pdf(["", ""]))


def test_malformed_pdf_is_refused():
    with pytest.raises(DocumentError, match="cannot read PDF"):
        load_bytes("broken.pdf", b"%PDF-1.4\nthis is not really a pdf\n")


def test_password_protected_pdf_is_refused():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Secret page."]))))
    writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(DocumentError, match="password"):
        load_bytes("locked.pdf", buffer.getvalue())


def test_docx_paragraphs_and_table_cells_are_extracted():
    data = make_docx(["First paragraph.", "Second paragraph."], table=[["Name", "Role"], ["Ada", "Engineer"]])
    document, note = load_bytes("memo.docx", data)
    assert document.text == "First paragraph.\nSecond paragraph.\nName\tRole\nAda\tEngineer"
    assert not document.plain
    assert note is None


def test_docx_merged_table_cell_text_appears_once():
    import docx

    document = docx.Document()
    grid = document.add_table(rows=1, cols=3)
    grid.cell(0, 0).merge(grid.cell(0, 1)).text = "Merged"
    grid.cell(0, 2).text = "Single"
    buffer = io.BytesIO()
    document.save(buffer)
    loaded, _ = load_bytes("merged.docx", buffer.getvalue())
    assert loaded.text == "Merged\tSingle"


def test_docx_that_is_not_a_zip_is_refused():
    with pytest.raises(DocumentError, match="not a valid .docx"):
        load_bytes("fake.docx", b"just some text pretending to be a docx")


def test_zip_bomb_docx_over_unzipped_limit_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (2 * 1024 * 1024))
    assert len(buffer.getvalue()) < 50_000
    with pytest.raises(DocumentError, match="zip bomb"):
        load_bytes("bomb.docx", buffer.getvalue(), Settings(max_unzipped_bytes=1024 * 1024))


def test_zip_bomb_docx_with_absurd_compression_ratio_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))
    assert SETTINGS.max_unzipped_bytes > 20 * 1024 * 1024
    with pytest.raises(DocumentError, match="zip bomb"):
        load_bytes("bomb.docx", buffer.getvalue())


def test_scan_lists_supported_files_sorted_with_relative_posix_sources(tmp_path: Path):
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "deeper" / "c.PDF").write_bytes(b"%PDF")
    (tmp_path / "a.md").write_text("a")
    files, skipped = scan(tmp_path, SETTINGS)
    assert [f.source for f in files] == ["a.md", "b.txt", "sub/deeper/c.PDF"]
    assert all(f.path.is_absolute() and f.path.exists() for f in files)
    assert files[1].size == 1
    assert skipped == []


def test_scan_ignores_hidden_files_and_folders(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "notes.txt").write_text("x")
    (tmp_path / ".draft.md").write_text("x")
    (tmp_path / "kept.md").write_text("x")
    files, skipped = scan(tmp_path, SETTINGS)
    assert [f.source for f in files] == ["kept.md"]
    assert skipped == []


def test_scan_lists_unsupported_types_as_skipped(tmp_path: Path):
    (tmp_path / "song.mp3").write_bytes(b"ID3")
    files, skipped = scan(tmp_path, SETTINGS)
    assert files == []
    assert {(s.source, s.reason) for s in skipped} == {("song.mp3", "unsupported type .mp3")}


def test_a_file_without_an_extension_is_read_when_it_is_text(tmp_path: Path):
    (tmp_path / "BASIC_CONFIGURATION_README").write_text("Postfix has several hundred parameters.\n")
    (tmp_path / "program").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    (tmp_path / "latin").write_bytes("caf\xe9 cr\xe8me".encode("latin-1") * 20)
    files, skipped = scan(tmp_path, SETTINGS)
    assert sorted(f.source for f in files) == ["BASIC_CONFIGURATION_README", "latin", "program"] and skipped == []
    document, note = load_bytes("BASIC_CONFIGURATION_README", b"Postfix has several hundred parameters.\n")
    assert document.text == "Postfix has several hundred parameters.\n" and document.plain and note is None
    with pytest.raises(DocumentError, match="binary"):
        load_bytes("program", (tmp_path / "program").read_bytes())
    with pytest.raises(DocumentError, match="no extension and not UTF-8 text"):
        load_bytes("latin", (tmp_path / "latin").read_bytes())


def test_scan_leaves_the_figures_of_html_pages_to_their_pages_and_keeps_scans(tmp_path: Path):
    (tmp_path / "manual" / "images").mkdir(parents=True)
    (tmp_path / "manual" / "icons").mkdir()
    (tmp_path / "manual" / "page.html").write_text(
        '<p>Setup</p><IMG alt="x" SRC="images/shot%201.png"><img src=\'https://example.org/logo.png\'>'
    )
    for name in ("images/shot 1.png", "images/callout.png", "icons/unused.png"):
        (tmp_path / "manual" / name).write_bytes(b"\x89PNG")
    (tmp_path / "scan.png").write_bytes(b"\x89PNG")
    files, skipped = scan(tmp_path, SETTINGS)
    assert [f.source for f in files] == ["manual/icons/unused.png", "manual/page.html", "scan.png"]
    assert sorted(s.source for s in skipped) == ["manual/images/callout.png", "manual/images/shot 1.png"]
    assert all("figure of an HTML page" in s.reason and "QA_OCR_FIGURES=1" in s.reason for s in skipped)
    files, skipped = scan(tmp_path, Settings(ocr_figures=True))
    assert len(files) == 5 and skipped == []


def test_scan_skips_files_over_size_limit(tmp_path: Path):
    (tmp_path / "big.txt").write_text("x" * 2000)
    (tmp_path / "small.txt").write_text("x")
    files, skipped = scan(tmp_path, Settings(max_file_bytes=1000))
    assert [f.source for f in files] == ["small.txt"]
    assert [s.source for s in skipped] == ["big.txt"]
    assert skipped[0].reason.startswith("larger than 1000 bytes limit")


def test_scan_skips_symlink_pointing_outside_corpus(tmp_path: Path):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    (corpus / "leakdir").symlink_to(outside, target_is_directory=True)
    files, skipped = scan(corpus, SETTINGS)
    assert files == []
    assert {s.source for s in skipped} == {"leak.txt", "leakdir"}
    assert all("outside the corpus" in s.reason for s in skipped)


def test_scan_does_not_follow_symlink_loops(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "doc.txt").write_text("x")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    files, skipped = scan(tmp_path, SETTINGS)
    assert [f.source for f in files] == ["sub/doc.txt"]
    assert [s.source for s in skipped] == ["sub/loop/"]


def test_scan_skips_file_names_with_control_characters(tmp_path: Path):
    (tmp_path / "bad\x1bname.txt").write_text("x")
    files, skipped = scan(tmp_path, SETTINGS)
    assert files == []
    assert skipped[0].source == "bad\\x1bname.txt"
    assert skipped[0].source.isprintable()
    assert "control characters" in skipped[0].reason


def test_scan_of_missing_corpus_raises_corpus_error(tmp_path: Path):
    with pytest.raises(CorpusError, match="does not exist.*--corpus"):
        scan(tmp_path / "nowhere", SETTINGS)


def test_scan_of_a_file_instead_of_folder_raises_corpus_error(tmp_path: Path):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(CorpusError, match="not a folder"):
        scan(tmp_path / "file.txt", SETTINGS)


def test_html_pre_blocks_keep_their_lines_apart_from_the_text_around_them():
    data = (
        b"<html><body><p>Run these commands:</p><pre>\n$ cd foo\n    make install\n</pre>"
        b"<p>Then log in.</p></body></html>"
    )
    document, _ = load_bytes("howto.html", data)
    assert document.text == "Run these commands:\n\n$ cd foo\n    make install\n\nThen log in."


def test_html_table_rows_are_lines_of_cells_joined_by_bars_apart_from_the_text():
    data = (
        b"<html><body><p>Versions:</p><table><tr><th></th><th><p>alpha</p></th><th>arm</th></tr>"
        b"<tr><td>testing</td>\n<td><p>1</p></td> <td>-</td></tr></table><p>After.</p></body></html>"
    )
    document, _ = load_bytes("versions.html", data)
    assert document.text == "Versions:\n\n| alpha | arm\ntesting | 1 | -\n\nAfter."


def test_html_list_items_start_lines_and_navigation_is_left_out():
    data = (
        b'<html><body><div class="related" role="navigation"><a href="/">index</a> next |</div>'
        b'<h1>Packages<a class="headerlink" href="#p">\xc2\xb6</a></h1><p>Steps:</p>'
        b"<ul><li>Build it.</li><li><p>Upload it.</p></li></ul><nav>Previous topic</nav></body></html>"
    )
    document, _ = load_bytes("steps.html", data)
    lines = [line for line in document.text.splitlines() if line]
    assert lines == ["Packages", "Steps:", "Build it.", "Upload it."]


def test_a_texinfo_pages_node_links_permalinks_and_indexes_are_left_out():
    data = (
        b'<html><body><div class="header"><p>Next: <a href="#n" accesskey="n">Job Control</a>, Up: '
        b'<a href="#u">Top</a> [<a href="#c">Contents</a>]</p></div>'
        b"<dl><dt id='i-lastpipe'><span><code>lastpipe</code><a href='#i-lastpipe' class='copiable-anchor'> "
        b"&para;</a></span></dt><dd><p>If set, the last command of a pipeline runs in the current shell.</p></dd>"
        b'</dl><table class="index-vr" border="0"><tr><td><a href="#i-lastpipe"><code>lastpipe</code></a>:</td>'
        b'<td><a href="#s">The Shopt Builtin</a></td></tr></table></body></html>'
    )
    document, _ = load_bytes("bashref.html", data)
    lines = [line for line in document.text.splitlines() if line]
    assert lines == ["lastpipe", "If set, the last command of a pipeline runs in the current shell."]


def test_a_path_broken_across_pdf_lines_is_one_sentence():
    from scans import placed_pdf

    from qa.chunking import split_sentences

    lines = [
        (72, 100, "aptitude logs the package installations that it intends to perform to /var/"),
        (72, 114, "log/aptitude. Note that the results are not recorded in this file!"),
    ]
    document, _ = load_bytes("faq.pdf", placed_pdf([lines], font_size=9))
    sentences = [document.text[a:b] for a, b in split_sentences(document.text)]
    assert sentences[0].endswith(" /var/log/aptitude.") and sentences[1].startswith("Note that")


def test_a_path_broken_without_a_hyphen_at_a_pdf_line_end_is_one_token_and_each_line_keeps_its_box():
    from scans import placed_pdf

    lines = [
        (72, 100, "It is good practice to place the source code for your program in /usr/lo"),
        (72, 114, "cal/src/. For example, you might extract the files there."),
    ]
    document, _ = load_bytes("faq.pdf", placed_pdf([lines], font_size=9))
    assert "your program in /usr/local/src/. For example" in document.text
    first, second = document.regions
    assert document.text[first.start : first.end].endswith("in /usr/lo") and second.start == first.end
    assert document.text[second.start : second.end] == "cal/src/. For example, you might extract the files there."
    assert first.box.y0 < second.box.y0


def test_a_whole_path_at_a_pdf_line_end_before_a_new_sentence_stays_at_its_line_end():
    from scans import placed_pdf

    lines = [
        (72, 100, "The default paper size is kept in the file /etc/papersize"),
        (72, 114, "GNU/Linux programs read it; users can override it with the PAPERSIZE variable."),
        (72, 128, "Both live under /usr/share/doc/"),
        (72, 142, "and /etc/ on every system."),
    ]
    document, _ = load_bytes("faq.pdf", placed_pdf([lines], font_size=9))
    assert "/etc/papersize\nGNU/Linux programs" in document.text
    assert "/usr/share/doc/\nand /etc/" in document.text, "a next line that starts with a word, not a path"

"""Reading order of PDF pages from their text layer: columns, running headers and footers, line boxes; and
tables in PDF, DOCX and HTML kept one row per line, so a row can be cited."""

from __future__ import annotations

from pathlib import Path

from scans import make_docx, placed_pdf

from qa.config import Settings
from qa.layout import Line, reading_order, span_boxes, without_running_lines
from qa.loaders import SourceFile, load
from qa.pdf import quotes
from qa.types import Box, Region

LEFT = [
    "Tidal pools form where the rocky shore",
    "holds sea water after the tide goes out,",
    "and the creatures living in them must",
    "survive heat, salt and hungry gulls.",
]
RIGHT = [
    "Limpets clamp onto the rock so tightly",
    "that a gull cannot pry them loose, and",
    "they return to the same scar on the rock",
    "after every high tide has passed.",
]


def load_pdf(data: bytes):
    return load(SourceFile("paper.pdf", Path("paper.pdf"), len(data), 0.0), data, Settings())


def two_column_page(header: str, footer: str) -> list[tuple[float, float, str]]:
    """Left and right column lines interleaved in the content stream, as some exporters write them."""
    lines = [(72, 40, header)]
    for n, (left, right) in enumerate(zip(LEFT, RIGHT)):
        lines += [(72, 120 + 14 * n, left), (320, 120 + 14 * n, right)]
    return lines + [(72, 760, footer)]


def test_a_two_column_pdf_is_read_column_by_column_without_its_running_header_and_footer():
    pages = [two_column_page("Shore Notes - Volume 3", f"Page {n}") for n in (1, 2)]
    document, note = load_pdf(placed_pdf(pages))
    first_page = document.text[: document.pages[1]]
    assert first_page.strip() == "\n".join(LEFT + RIGHT)
    assert "Shore Notes" not in document.text and "Page 1" not in document.text
    assert note is None


def test_a_header_on_one_page_only_is_kept():
    document, _ = load_pdf(placed_pdf([[(72, 40, "Introduction"), (72, 120, "Body one.")], [(72, 120, "Body two.")]]))
    assert document.text.startswith("Introduction")


def test_each_line_of_a_text_layer_has_its_box_in_points_from_the_top_of_the_page():
    document, _ = load_pdf(placed_pdf([[(72, 100, "Kelp forests shelter sea otters."), (72, 300, "Urchins graze.")]]))
    first, second = document.regions
    assert document.text[first.start : first.end] == "Kelp forests shelter sea otters."
    assert document.text[second.start : second.end] == "Urchins graze."
    assert first.box.page == 1 and 72 <= first.box.x0 < 73 and first.box.y0 < 100 < first.box.y1
    assert 285 < second.box.y0 < 300 < second.box.y1 < 305
    assert first.box.x1 > second.box.x1, "the longer line has the wider box"


SERVICES = [("Service", "Port", "Protocol"), ("ssh", "22", "tcp"), ("http", "80", "tcp"), ("ntp", "123", "udp")]
CELL_X = (72, 200, 300)


def test_a_table_on_a_pdf_page_is_read_row_by_row_with_its_cells_joined_by_bars():
    cells = [(x, 100 + 20 * n, row[c]) for c, x in enumerate(CELL_X) for n, row in enumerate(SERVICES)]
    page = [(72, 60, "The firewall lets these services through:"), *cells, (72, 200, "Every other port is closed.")]
    document, _ = load_pdf(placed_pdf([page]))
    lines = document.text.splitlines()
    assert lines[2:6] == ["Service | Port | Protocol", "ssh | 22 | tcp", "http | 80 | tcp", "ntp | 123 | udp"]
    assert lines[0] == "The firewall lets these services through:" and lines[-1] == "Every other port is closed."


def test_each_cell_of_a_pdf_table_keeps_its_own_box_and_the_bars_belong_to_no_line():
    cells = [(x, 100 + 20 * n, cell) for n, row in enumerate(SERVICES) for x, cell in zip(CELL_X, row)]
    document, _ = load_pdf(placed_pdf([cells]))
    found = {document.text[region.start : region.end]: region for region in document.regions}
    assert len(document.regions) == 12 and "123" in found and "Protocol" in found
    port, protocol = found["123"], found["Protocol"]
    assert document.text[port.start - 3 : port.end + 3] == " | 123 | "
    assert 200 <= port.box.x0 < 201 and port.box.x1 < 300 and port.box.y0 < 160 < port.box.y1
    assert 300 <= protocol.box.x0 < 301 and protocol.box.y0 < 100 < protocol.box.y1


def test_short_paragraph_ends_do_not_make_two_columns_of_prose_a_table():
    left = [*LEFT[:2], "tide goes out.", *LEFT[2:]]
    right = [*RIGHT[:2], "high tide.", *RIGHT[2:]]
    lines = [
        Line(text, x, 100 + 14 * n, x + 200, 110 + 14 * n)
        for x, side in ((72, left), (320, right))
        for n, text in enumerate(side)
    ]
    assert [line.text for line in reading_order(lines)] == left + right


def test_a_row_of_the_page_is_read_left_to_right_top_to_bottom():
    lines = [Line("second", 200, 10, 260, 20), Line("first", 10, 11, 60, 21), Line("below", 10, 40, 60, 50)]
    assert [line.text for line in reading_order(lines)] == ["first", "second", "below"]


def test_running_lines_need_half_the_pages():
    pages = [[Line("Report", 10, 5, 60, 15), Line(f"body {n}", 10, 300, 60, 310)] for n in range(4)]
    pages[3] = pages[3][1:]
    kept = without_running_lines(pages, [792.0] * 4)
    assert all(line.text.startswith("body") for page in kept for line in page)
    assert without_running_lines(pages[:1], [792.0])[0][0].text == "Report", "one page has no running lines"


def test_span_boxes_cover_whole_lines_and_the_share_of_a_partial_one():
    regions = [Region(0, 10, Box(1, 0, 0, 100, 10)), Region(11, 21, Box(1, 0, 12, 200, 22))]
    assert span_boxes(regions, 5, 16) == (Box(1, 50.0, 0, 100.0, 10), Box(1, 0.0, 12, 100.0, 22))
    assert span_boxes(regions, 30, 40) == ()


def test_docx_table_rows_are_one_line_each():
    data = make_docx(["Prices:"], table=[["Item", "Price"], ["Kayak", "40 dollars"], ["Paddle", "12 dollars"]])
    document, _ = load(SourceFile("prices.docx", Path("prices.docx"), len(data), 0.0), data, Settings())
    assert "Kayak\t40 dollars" in document.text.splitlines()
    assert "Paddle\t12 dollars" in document.text.splitlines()


def test_html_table_rows_are_one_line_each():
    data = (
        b"<html><body><table><tr><th>Item</th><th>Price</th></tr><tr><td>Kayak</td><td>40 dollars</td></tr>"
        b"<tr><td>Paddle</td><td>12 dollars</td></tr></table></body></html>"
    )
    document, _ = load(SourceFile("prices.html", Path("prices.html"), len(data), 0.0), data, Settings())
    rows = [line.strip() for line in document.text.splitlines() if line.strip()]
    assert rows == ["Item | Price", "Kayak | 40 dollars", "Paddle | 12 dollars"]


def test_a_word_hyphenated_at_a_line_end_is_whole_and_each_line_keeps_its_box():
    lines = [(72, 100, "Some popular commands have an equiv-"), (72, 114, "alent via the new apt binary.")]
    document, _ = load_pdf(placed_pdf([lines]))
    assert "an equivalent via the new apt" in document.text
    first, second = document.regions
    assert document.text[first.start : first.end] == "Some popular commands have an equiv"
    assert document.text[second.start : second.end] == "alent via the new apt binary."
    assert first.box.y0 < second.box.y0


def test_a_hyphen_inside_an_address_stays_when_its_line_breaks_there():
    lines = [(72, 100, "Ask on the list by sending an email to debian-"), (72, 114, "user@lists.debian.org today.")]
    document, _ = load_pdf(placed_pdf([lines]))
    assert "debian-user@lists.debian.org today." in document.text


def test_a_running_header_that_names_each_chapter_and_the_page_numbers_are_dropped():
    chapters = ["Chapter 1. Getting started", "Chapter 2. Managing packages", "Chapter 3. Getting help"]
    pages = [
        [(72, 30, chapters[n // 2]), (72, 120, f"Body text of page {n + 1}."), (300, 770, str(n + 1))] for n in range(6)
    ]
    document, _ = load_pdf(placed_pdf(pages))
    assert "Chapter" not in document.text
    assert [line for line in document.text.splitlines() if line] == [f"Body text of page {n}." for n in range(1, 7)]


def test_an_upper_case_header_at_the_page_edge_is_dropped_even_on_one_page_of_a_chapter():
    pages = [[(72, 120, "Body one.")], [(72, 25, "CHAPTER 2. GETTING AND INSTALLING"), (72, 120, "Body two.")]]
    document, _ = load_pdf(placed_pdf(pages))
    assert "CHAPTER" not in document.text and "Body two." in document.text


def test_accents_drawn_as_quotes_become_quotes_and_real_accents_stay():
    assert quotes("the \xa0\u0300stable\u2019 release") == "the \u2018stable\u2019 release"
    assert quotes("\u0300\u0300frozen\u00b4\u00b4 or not") == "\u201cfrozen\u201d or not"
    assert quotes("tagged stable\u2019 \u0300 it") == "tagged stable\u2019  it"
    assert quotes("un caf\u00e9 cre\u0300me, de\u0301ja\u0300") == "un caf\u00e9 cre\u0300me, de\u0301ja\u0300"


def test_the_en_dash_tex_makes_of_an_options_two_hyphens_is_two_hyphens_again():
    dash = "\u00b1"  # byte 0xB1, the en dash of the standard font's encoding
    lines = [(72, 100, f"Execution fails when option {dash}rac-fail-cannot-check is given, as on pages 1{dash}5.")]
    document, _ = load_pdf(placed_pdf([lines]))
    assert "option --rac-fail-cannot-check is given, as on pages 1\u20135." in document.text


def test_a_word_space_drawn_as_a_gap_only_is_a_space():
    from qa.pdf import Glyph, _lines

    def word(text: str, x: float) -> list[Glyph]:
        return [Glyph(c, x + 5 * n, 203.4, x + 5 * (n + 1), 213.4) for n, c in enumerate(text)]

    glyphs = word("two", 468.0) + word("sequences", 487.0) + word("of", 537.0)  # 4 points apart, no space drawn
    assert [line.text for line in _lines(glyphs)] == ["two sequences of"]
    assert [line.text for line in _lines(word("two", 468.0) + word("sequences", 483.5))] == ["twosequences"]

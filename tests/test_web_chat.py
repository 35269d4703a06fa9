"""The chat a user keeps open, in a real browser: examples from their own documents, [n] that bring their source
into view, readable pages, a conversation that survives a reload and exports with its sources."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import CHROMIUM, DEBIAN_FAQ, HOLD, ROOT, TIMEOUT_MS, ask, free_port, write
from scans import placed_pdf

from qa import Settings, build_index
from qa.history import Turn, dump
from qa.types import Citation, Span
from qa.web import HISTORY_KEY, serve

pytest.importorskip("playwright")
pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium is not installed (make browser)", allow_module_level=True)

GUIDE = """<html><head><title>Building packages</title></head><body>
<h1>Building packages</h1>
<p>Every Debian package starts as an upstream source tree that a maintainer unpacks into a working folder.</p>
<p>The maintainer adds a debian folder with the control, rules and changelog files that describe the package.</p>
<h2>Compiling the package</h2>
<p>To compile the package, run dpkg-buildpackage -us -uc in the top folder of the unpacked source tree.</p>
<p>The finished .deb files are written to the parent folder, next to the .dsc and .changes files.</p>
<p>Lintian then checks the finished package for common packaging mistakes before it is uploaded.</p>
</body></html>
"""
MIRROR_LINE = "The mirror list is kept in /etc/apt/sources.list on every Debian system."
MIRRORS_PDF = [
    [(72, 72 + 14 * n, f"Release notes, paragraph {n}: nothing about mirrors here.") for n in range(30)],
    [(72, 72 + 14 * n, f"Filler line {n} of the second page, before the part on mirrors.") for n in range(24)]
    + [
        (72, 430, "Choosing a mirror"),
        (72, 450, MIRROR_LINE),
        (72, 464, "Each line of that file names an archive type, a mirror address and a suite."),
    ],
]
PHONE = {"width": 420, "height": 860}
WATCH_PROGRESS = """() => {
  window.progressShown = [];
  const note = () => document.querySelectorAll("#rebuild-status, #documents, #index-info").forEach((block) => {
    const tracker = block.querySelector("[data-testid=status-tracker]");
    if (tracker && !tracker.classList.contains("hide") && !window.progressShown.includes(block.id)) {
      window.progressShown.push(block.id);
    }
  });
  new MutationObserver(note).observe(document.body, {subtree: true, attributes: true, childList: true});
}"""
DESKTOP = {"width": 1400, "height": 950}


def make_corpus(corpus: Path) -> None:
    write(corpus, "debian-faq.md", DEBIAN_FAQ)
    write(corpus, "building.html", GUIDE)
    (corpus / "apt-mirrors.pdf").write_bytes(placed_pdf(MIRRORS_PDF, font_size=9))


def start(base: Path) -> SimpleNamespace:
    corpus = base / "corpus"
    make_corpus(corpus)
    settings = Settings(corpus=corpus, index=base / "index", cache=base / "cache")
    build_index(settings)
    port = free_port()
    app = serve(settings, port=port, block=False)
    return SimpleNamespace(app=app, url=f"http://127.0.0.1:{port}/", settings=settings)


@pytest.fixture(scope="module")
def site(tmp_path_factory, embedder):
    server = start(tmp_path_factory.mktemp("chat"))
    yield server
    server.app.close()


def open_page(browser, url: str, viewport: dict = DESKTOP, stored: str | None = None):
    """A fresh browser profile on the app; `stored` is put in its localStorage as the kept conversation."""
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    if stored is not None:
        context.add_init_script(f"localStorage.setItem({json.dumps(HISTORY_KEY)}, {json.dumps(stored)})")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.wait_for_selector("#question textarea")
    return page


@pytest.fixture
def page(browser, site):
    page = open_page(browser, site.url)
    yield page
    page.context.close()


def in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => { const r = document.querySelector(selector).getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }""",
        selector,
    )


def test_examples_are_questions_from_the_indexed_documents_and_each_is_answered(page, site):
    examples = page.locator("#chat button.example")
    examples.first.wait_for()
    shown = [examples.nth(i).inner_text().strip() for i in range(examples.count())]
    corpus_text = (site.settings.corpus / "debian-faq.md").read_text() + GUIDE
    assert len(shown) >= 2
    for question in shown:
        assert "Hong Kong" not in question and " AI" not in question
        assert question.removeprefix("What is said about ").rstrip("?") in corpus_text
    examples.first.click()
    page.wait_for_selector("#sources .qa-sources-title")
    assert page.locator("#sources .qa-sources-title").inner_text() == "Sources"
    assert "[1]" in page.locator("#chat [data-testid='bot']").last.inner_text()


def test_clicking_a_citation_brings_its_source_card_into_view_and_marks_it(browser, site):
    page = open_page(browser, site.url, PHONE)  # on a phone the sources are below the chat
    ask(page, "How do I compile the package?")
    page.wait_for_selector("#source-1-1")
    assert not in_view(page, "#source-1-1")
    page.locator("#chat [data-testid='bot']").last.locator('a[href="#source-1-1"]').click()
    page.wait_for_function("document.querySelector('#source-1-1').classList.contains('qa-cited')")
    page.wait_for_timeout(300)
    assert in_view(page, "#source-1-1")
    assert "building.html" in page.locator("#source-1-1").inner_text()
    page.context.close()


def test_a_citation_of_an_earlier_answer_brings_back_that_answers_sources(page):
    ask(page, "How do I put a package on hold?")
    ask(page, "How do I compile the package?")
    assert "debian-faq.md" not in page.locator("#sources").inner_text()
    page.locator("#chat [data-testid='bot']").first.locator('a[href="#source-1-1"]').click()
    page.wait_for_function("document.querySelector('#source-1-1.qa-cited') !== null")
    assert "debian-faq.md" in page.locator("#source-1-1").inner_text()
    assert in_view(page, "#source-1-1")


def test_an_html_source_shows_the_passage_in_context_scrolled_to_the_highlight(browser, site):
    page = open_page(browser, site.url, PHONE)
    ask(page, "How do I compile the package?")
    passage = page.locator("#source-1-1 .qa-passage")
    marked = passage.locator("mark")
    assert "dpkg-buildpackage" in marked.inner_text()
    text = passage.inner_text()
    assert len(text) > len(marked.inner_text()) + 80, "the passage comes with context around it"
    page.wait_for_function("document.querySelector('#source-1-1 .qa-passage').dataset.scrolled === '1'")
    box, mark = passage.bounding_box(), marked.bounding_box()
    assert box["y"] <= mark["y"] and mark["y"] + min(mark["height"], 20) <= box["y"] + box["height"]
    page.context.close()


def test_a_pdf_page_is_sharp_and_opens_full_size_with_the_highlight_in_view(page):
    answer = ask(page, "Where is the mirror list kept?")
    assert "/etc/apt/sources.list" in answer
    image = page.locator("#sources .qa-page-image").first
    image.wait_for()
    page.wait_for_function("document.querySelector('#sources .qa-page-image').complete")
    natural = image.evaluate("i => i.naturalWidth")
    assert natural / 612 * 9 >= 20, "9-point text is at least 20 pixels high in the rendered page"
    crop = page.locator("#sources .qa-page-crop").first.bounding_box()
    mark = page.locator("#sources .qa-page-crop .qa-highlight").first.bounding_box()
    assert crop["y"] <= mark["y"] and mark["y"] + mark["height"] <= crop["y"] + crop["height"]
    assert crop["width"] / (crop["width"] and 612 * 0.5) >= 0.75, "the cited lines are shown larger than the page"
    assert "Page 2" in page.locator("#sources figcaption").first.inner_text()
    page.locator("#sources .qa-page").first.click()
    sheet = page.locator(".qa-lightbox .qa-lightbox-sheet")
    sheet.wait_for()
    assert sheet.bounding_box()["width"] / 612 * 9 >= 12, "9-point text is at least 12 CSS pixels high full size"
    assert in_view(page, ".qa-lightbox .qa-highlight")
    page.keyboard.press("Escape")
    page.wait_for_selector(".qa-lightbox", state="detached")


def test_the_conversation_survives_a_reload(page):
    answer = ask(page, "How do I put a package on hold?")
    page.reload()
    page.wait_for_selector("#question textarea")
    bot = page.locator("#chat [data-testid='bot']").last
    bot.wait_for()
    assert "How do I put a package on hold?" in page.locator("#chat [data-testid='user']").last.inner_text()
    assert bot.inner_text() == answer
    page.locator("#sources .qa-source").first.wait_for()
    assert "debian-faq.md" in page.locator("#sources").inner_text()


def test_export_downloads_markdown_with_every_answers_sources(page, site):
    ask(page, "How do I put a package on hold?")
    ask(page, "Where is the mirror list kept?")
    with page.expect_download() as download:
        page.click("#export")
    assert download.value.suggested_filename == "conversation.md"
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "## 1. How do I put a package on hold?" in exported and "## 2. Where is the mirror list kept?" in exported
    assert HOLD.replace("`", "") in exported.replace("`", "")
    faq = (site.settings.corpus / "debian-faq.md").read_text().splitlines()
    line = next(n for n, text in enumerate(faq, start=1) if "apt-mark hold package_name" in text)
    assert f"[^1-1]: debian-faq.md, line {line}: “" in exported and "[^1-1]" in exported.split("[^1-1]:")[0]
    assert "[^2-1]: apt-mirrors.pdf, page 2, line" in exported and MIRROR_LINE in exported


def test_new_chat_empties_the_conversation_for_good(page):
    ask(page, "How do I put a package on hold?")
    page.click("#new-chat")
    page.wait_for_function("document.querySelectorAll(\"#chat [data-testid='bot']\").length === 0")
    page.wait_for_function(f"JSON.parse(localStorage.getItem('{HISTORY_KEY}')).turns.length === 0")
    page.reload()
    page.wait_for_selector("#chat button.example")
    assert page.locator("#chat [data-testid='bot']").count() == 0


@pytest.mark.parametrize(
    "stored",
    [
        "{not json",
        json.dumps({"format": 99, "turns": "later"}),
        json.dumps([{"role": "user", "content": "Old question?"}, {"role": "assistant", "content": "Old answer."}]),
    ],
    ids=["damaged", "unknown-format", "older-format"],
)
def test_a_stored_history_from_another_version_is_migrated_or_ignored(browser, site, stored):
    page = open_page(browser, site.url, stored=stored)
    page.wait_for_function(f"localStorage.getItem('{HISTORY_KEY}') !== {json.dumps(stored)}")
    chat = page.locator("#chat").inner_text()
    if "Old question?" in stored:
        assert "Old question?" in chat and "Old answer." in chat
    assert "⚠️" not in chat and "Error" not in chat
    assert "apt-mark hold" in ask(page, "How do I put a package on hold?")
    page.context.close()


def test_a_conversation_of_500_turns_loads_and_stays_responsive(browser, site):
    cited = Citation(1, Span("debian-faq.md", 0, 40, 1, 1), "Debian package management FAQ", 0.0)
    turns = [
        Turn(
            f"Question number {n} about packages?",
            f"Answer {n} quotes the FAQ. [1]",
            f"Answer {n} quotes the FAQ. [1]",
            True,
            (cited,),
        )
        for n in range(500)
    ]
    started = time.perf_counter()
    page = open_page(browser, site.url, stored=json.dumps(dump(turns)))
    page.wait_for_function("document.querySelectorAll(\"#chat [data-testid='bot']\").length === 500")
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    answer = ask(page, "How do I put a package on hold?")
    answered = time.perf_counter() - started
    print(f"500 turns: page shown in {loaded:.1f} s, next answer in {answered:.1f} s")
    assert "apt-mark hold" in answer and loaded < 30 and answered < 15
    assert page.evaluate(f"JSON.parse(localStorage.getItem('{HISTORY_KEY}')).turns.length") == 501
    page.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1400px", "420px"])
def test_the_chat_fits_the_screen_at_desktop_and_phone_width(browser, site, viewport, tmp_path):
    page = open_page(browser, site.url, viewport)
    ask(page, "How do I put a package on hold?")
    ask(page, "Where is the mirror list kept?")
    page.locator("#sources .qa-page-image").first.wait_for()
    page.wait_for_function("document.querySelector('#sources .qa-page-image').complete")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scroll"
    crop = page.locator("#sources .qa-page-crop").first.bounding_box()
    page_width = page.locator("#sources .qa-page-sheet").first.bounding_box()["width"]
    assert page_width / 612 * 9 >= 11, "9-point text of the cited page is at least 11 px high at normal size"
    assert crop["width"] <= page_width
    intro = page.locator("#chat").inner_text()
    assert "on the right" not in intro and "below" not in intro
    shot = tmp_path / f"chat-{viewport['width']}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    page.context.close()


def test_the_index_tab_lists_documents_and_a_removed_one_is_no_longer_answered(browser, tmp_path, embedder):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a PDF")
    server = start(tmp_path)
    try:
        page = open_page(browser, server.url)
        assert MIRROR_LINE in ask(page, "Where is the mirror list kept?")
        page.get_by_role("tab", name="Index").click()
        table = page.locator("#documents")
        page.wait_for_function("document.querySelector('#documents').innerText.includes('apt-mirrors.pdf')")
        rows = table.inner_text()
        assert "debian-faq.md" in rows and "building.html" in rows and "HTML" in rows and "PDF" in rows
        skipped = page.locator("#skipped").inner_text()
        assert "broken.pdf" in skipped and len(skipped.split("broken.pdf", 1)[1].strip(" :")) > 5
        page.locator("#remove-choice input").click()
        page.get_by_role("option", name="apt-mirrors.pdf").click()
        page.click("#remove")
        page.locator("#remove-question").get_by_text("apt-mirrors.pdf").wait_for()
        page.click("#remove-no")
        page.locator("#remove-confirm").wait_for(state="hidden")
        assert (server.settings.corpus / "apt-mirrors.pdf").exists()
        page.click("#remove")
        page.evaluate(WATCH_PROGRESS)
        page.click("#remove-yes")
        page.locator("#rebuild-status").get_by_text("Removed").wait_for()
        shown = page.evaluate("window.progressShown")
        assert "rebuild-status" in shown and "documents" not in shown, "progress has its own place"
        page.wait_for_function("!document.querySelector('#documents').innerText.includes('apt-mirrors.pdf')")
        assert not (server.settings.corpus / "apt-mirrors.pdf").exists()
        page.get_by_role("tab", name="Sources").click()
        ask(page, "Where is the mirror list kept?")
        assert "apt-mirrors.pdf" not in page.locator("#sources").inner_text()
        page.locator("#chat [data-testid='bot']").first.locator('a[href="#source-1-1"]').click()
        page.wait_for_selector("#source-1-1.qa-cited")
        note = page.locator("#source-1-1 .qa-page-note").inner_text()
        assert "removed from the corpus" in note and page.locator("#source-1-1 img").count() == 0
        page.context.close()
    finally:
        server.app.close()


def test_the_server_log_gives_the_local_address_and_no_share_hint(tmp_path, embedder):
    make_corpus(tmp_path / "corpus")
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    build_index(settings)
    port = free_port()
    command = [sys.executable, "-m", "qa.cli", "serve", "--port", str(port)]
    where = ["--corpus", str(settings.corpus), "--index", str(settings.index)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [*command, *where], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any("The chat is at" in line for line in lines):
            lines.append(process.stdout.readline())
    finally:
        process.terminate()
        rest, _ = process.communicate(timeout=30)
    log = "".join(lines) + rest
    assert f"The chat is at http://127.0.0.1:{port}/" in log
    assert "share=True" not in log and "public link" not in log

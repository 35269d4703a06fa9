"""The chat in a real browser: Playwright drives Debian's Chromium against the real app on a loopback port."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from fake_llm import FakeLLM
from helpers import CHROMIUM, DEFAULT_CORPUS, TIMEOUT_MS, ask, free_port

from qa import Settings, build_index
from qa.loaders import SUPPORTED
from qa.web import serve

pytest.importorskip("playwright")
pytestmark = pytest.mark.filterwarnings(  # pandas deprecations raised inside gradio's queue
    "ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated"
)
if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium is not installed (make browser)", allow_module_level=True)

ZORBLAX = (
    "The Zorblax festival is held every spring in the mountain town of Quillmere.\n\n"
    "During the festival, residents stack towers of blue glass bottles in the main square.\n"
)


def start(base: Path, build: bool = True, **overrides) -> SimpleNamespace:
    """Copy the default corpus under base, optionally index it, and serve the app on a free loopback port."""
    corpus = base / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    settings = Settings(corpus=corpus, index=base / "index", max_upload_bytes=64 * 1024, **overrides)
    if build:
        build_index(settings)
    port = free_port()
    app = serve(settings, port=port, block=False)
    return SimpleNamespace(app=app, url=f"http://127.0.0.1:{port}/", settings=settings, base=base)


@pytest.fixture(scope="module")
def site(tmp_path_factory, embedder):
    server = start(tmp_path_factory.mktemp("web"))
    yield server
    server.app.close()


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(site.url)
    page.wait_for_selector("#question textarea")
    yield page
    context.close()


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_answer_shows_text_markers_and_source_lines(page, site, tmp_path):
    answer = ask(page, "Which cities are in the Greater Bay Area?")
    assert "Shenzhen" in answer and "[1]" in answer
    sources = page.locator("#sources")
    line = line_of(site.settings.corpus / "hong-kong-ai.txt", "Shenzhen")
    assert "Sources" in sources.inner_text()
    assert "hong-kong-ai.txt" in sources.inner_text()
    assert f"line {line}" in sources.inner_text()
    assert "Shenzhen" in sources.locator("mark").first.inner_text()
    shot = tmp_path / "answer.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_follow_up_is_answered_in_context(page):
    first = ask(page, "What does the government do to support AI?")
    answer = ask(page, "What else does it do?")
    assert "fostering AI talent" in answer and answer != first


def test_off_topic_question_is_refused_with_closest_passages(page):
    answer = ask(page, "How do I bake sourdough bread?")
    assert "does not cover" in answer
    assert "Closest passages (no answer found)" in page.locator("#sources").inner_text()


def test_an_on_topic_question_the_article_never_answers_is_refused_with_the_reason_shown(page):
    answer = ask(page, "What is the population of Hong Kong?")
    assert "does not cover" in answer and "population" in answer
    reason = page.locator("#sources .qa-reason")
    assert reason.inner_text() == 'Why: The documents mention Hong Kong but never mention "population".'


def test_answer_mode_is_hidden_without_an_llm_endpoint(page):
    page.get_by_text("Settings").click()
    page.get_by_text("Passages to read (k)").wait_for()
    assert not page.get_by_text("Answer mode").is_visible()


def test_example_question_from_the_articles_headings_is_answered_on_click(page, site):
    example = page.locator("#chat button.example").first
    question = example.inner_text().strip()
    heading = question.removeprefix("What is said about ").rstrip("?")
    assert heading != question and f"\n{heading}:\n" in (site.settings.corpus / "hong-kong-ai.txt").read_text()
    example.click()
    page.wait_for_selector("#sources .qa-sources-title")
    assert page.locator("#sources .qa-sources-title").inner_text() == "Sources"
    assert "[1]" in page.locator("#chat [data-testid='bot']").last.inner_text()


def test_index_tab_shows_counts_and_model(page):
    page.get_by_role("tab", name="Index").click()
    info = page.locator("#index-info")
    info.get_by_text("all-MiniLM-L6-v2").wait_for()
    text = info.inner_text()
    assert "Documents" in text and "Chunks" in text and "Built at" in text and "Corpus changed since" in text


def upload(page, files) -> str:
    page.get_by_role("tab", name="Add documents").click()
    page.set_input_files("#upload input[type=file]", files)
    for f in files:
        stem = Path(f).stem if isinstance(f, (str, Path)) else Path(f["name"]).stem
        page.locator("#upload").get_by_text(stem).first.wait_for()
    page.click("#add")
    status = page.locator("#upload-status")
    page.wait_for_function("/Added|Refused/.test(document.querySelector('#upload-status').innerText)")
    return status.inner_text()


def test_the_file_picker_offers_only_supported_types_and_takes_no_other(page, site, tmp_path):
    before = sorted(p.name for p in site.settings.corpus.iterdir())
    page.get_by_role("tab", name="Add documents").click()
    picker = page.locator("#upload input[type=file]")
    assert {t.strip() for t in picker.get_attribute("accept").split(",")} == set(SUPPORTED)
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ\x90\x00")
    picker.set_input_files([bad])
    page.click("#add")
    page.locator("#upload-status").get_by_text("Choose one or more files first.").wait_for()
    assert "tool.exe" not in page.locator("#upload").inner_text()
    assert sorted(p.name for p in site.settings.corpus.iterdir()) == before


def test_path_in_uploaded_name_stays_inside_corpus(page, site):
    message = upload(page, [{"name": "../../evil.txt", "mimeType": "text/plain", "buffer": b"Nothing to see here.\n"}])
    assert "Added" in message and "evil.txt" in message
    assert (site.settings.corpus / "evil.txt").read_text() == "Nothing to see here.\n"
    assert not (site.base / "evil.txt").exists() and not (site.base.parent / "evil.txt").exists()


def test_uploaded_file_is_answered_after_rebuild(page, site, tmp_path):
    doc = tmp_path / "zorblax.txt"
    doc.write_text(ZORBLAX, encoding="utf-8")
    message = upload(page, [doc])
    assert "Added" in message and (site.settings.corpus / "zorblax.txt").read_text(encoding="utf-8") == ZORBLAX
    page.get_by_role("tab", name="Index").click()
    page.locator("#index-info").get_by_text("yes").wait_for()
    page.click("#rebuild")
    page.locator("#rebuild-status").get_by_text("Index updated").wait_for()
    page.get_by_role("tab", name="Sources").click()
    answer = ask(page, "Where is the Zorblax festival held?")
    assert "Quillmere" in answer
    assert "zorblax.txt" in page.locator("#sources").inner_text()


def test_without_index_the_page_says_how_to_build_it(browser, tmp_path, embedder):
    server = start(tmp_path, build=False)
    try:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server.url)
        page.wait_for_selector("#question textarea")
        assert "no index yet" in page.locator("#chat").inner_text()
        assert "no index yet" in ask(page, "Which cities are in the Greater Bay Area?")
        page.get_by_role("tab", name="Index").click()
        page.click("#rebuild")
        page.locator("#rebuild-status").get_by_text("Index updated").wait_for()
        page.get_by_role("tab", name="Sources").click()
        assert "Shenzhen" in ask(page, "Which cities are in the Greater Bay Area?")
        context.close()
    finally:
        server.app.close()


def test_llm_mode_streams_the_endpoint_reply_with_sources(browser, tmp_path, embedder):
    with FakeLLM() as fake:
        fake.reply("The Greater Bay Area includes Shenzhen and Guangzhou [1].")
        server = start(tmp_path, llm_url=fake.url, llm_model="fake")
        try:
            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(server.url)
            page.wait_for_selector("#question textarea")
            page.get_by_text("Settings").click()
            page.get_by_text("Answer mode").wait_for()
            assert page.get_by_label("LLM: write an answer from the passages").is_checked()
            answer = ask(page, "Which cities are in the Greater Bay Area?")
            assert "Shenzhen and Guangzhou [1]" in answer and fake.requests
            assert "hong-kong-ai.txt" in page.locator("#sources").inner_text()
            context.close()
        finally:
            server.app.close()

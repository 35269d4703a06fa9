"""The chat speaks the browser's language: English, Traditional or Simplified Chinese, in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import CHROMIUM, DEBIAN_FAQ, TIMEOUT_MS, ask, free_port, write

from qa import Settings, build_index
from qa.web import serve

pytest.importorskip("playwright")
pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium is not installed (make browser)", allow_module_level=True)

OFF_TOPIC = "How do I bake sourdough bread?"


@pytest.fixture(scope="module")
def url(tmp_path_factory, embedder):
    base = tmp_path_factory.mktemp("i18n")
    write(base / "corpus", "debian-faq.md", DEBIAN_FAQ)
    settings = Settings(corpus=base / "corpus", index=base / "index", cache=base / "cache")
    build_index(settings)
    port = free_port()
    app = serve(settings, port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    app.close()


def open_in(browser, url: str, locale: str):
    context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 950})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.wait_for_selector("#question textarea")
    return page


@pytest.mark.parametrize(
    ("locale", "ask_button", "index_tab", "refused", "closest", "documents"),
    [
        ("zh-TW", "提問", "索引", "語料庫中沒有涉及這個問題的內容。", "最接近的段落（找不到答案）", "語料庫資料夾"),
        ("zh-CN", "提问", "索引", "语料库中没有涉及这个问题的内容。", "最接近的段落（未找到答案）", "语料库文件夹"),
        ("en-US", "Ask", "Index", "The corpus does not cover this question.", "Closest passages", "Corpus folder"),
    ],
)
def test_labels_and_a_refusal_are_in_the_browsers_language(
    browser, url, locale, ask_button, index_tab, refused, closest, documents
):
    page = open_in(browser, url, locale)
    try:
        assert page.locator("#ask").inner_text().strip() == ask_button
        answer = ask(page, OFF_TOPIC)
        assert answer.startswith(refused)
        assert closest in page.locator("#sources").inner_text()
        page.get_by_role("tab", name=index_tab).click()
        page.wait_for_function(f"document.querySelector('#index-info').innerText.includes({documents!r})")
    finally:
        page.context.close()

"""Take the README's screenshots of the chat at 1400 and 420 px wide: python docs/screenshots/take.py

The corpus is the browser tests' (a Debian FAQ in Markdown, a packaging guide in HTML, a PDF on mirrors)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent.parent / "tests")]

from helpers import TIMEOUT_MS, ask, chromium, free_port  # noqa: E402
from test_web_chat import DESKTOP, PHONE, make_corpus  # noqa: E402

from qa import Settings, build_index  # noqa: E402
from qa.web import serve  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, chromium() as browser:
        base = Path(folder)
        make_corpus(base / "corpus")
        settings = Settings(corpus=base / "corpus", index=base / "index", cache=base / "cache")
        build_index(settings)
        port = free_port()
        app = serve(settings, port=port, block=False)
        try:
            for viewport in (DESKTOP, PHONE):
                page = browser.new_context(viewport=viewport).new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_selector("#chat button.example")
                page.screenshot(path=str(HERE / f"examples-{viewport['width']}.png"))
                ask(page, "How do I put a package on hold?")
                ask(page, "Where is the mirror list kept?")
                page.wait_for_function("document.querySelector('#sources .qa-page-image').complete")
                page.locator("#chat [data-testid='bot']").last.locator('a[href="#source-2-1"]').click()
                page.wait_for_timeout(500)
                page.screenshot(path=str(HERE / f"chat-{viewport['width']}.png"), full_page=True)
                if viewport is DESKTOP:
                    page.get_by_role("tab", name="Index").click()
                    page.wait_for_function("document.querySelector('#documents').innerText.includes('.pdf')")
                    page.screenshot(path=str(HERE / "index-1400.png"), full_page=True)
                page.context.close()
        finally:
            app.close()


if __name__ == "__main__":
    main()

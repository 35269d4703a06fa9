"""What the app shows, as HTML and Markdown: cited sources with highlights and page images, the sync state."""

from __future__ import annotations

import base64
import html
import re
import time
from collections.abc import Iterator

from qa import Answer, Citation, Index, Settings, SyncState
from qa.pages import page_image

EMPTY_SOURCES = '<div class="qa-empty">Sources of the latest answer appear here.</div>'
SEARCHING = '<div class="qa-empty">Searching the documents…</div>'
STREAM_STEPS = 12


def sync_markdown(state: SyncState) -> str:
    """One line for the index panel: in sync, updating N files, or the last error."""
    if state.state == "in_sync":
        return f"in sync, watching for changes (checked {md(state.checked_at)})"
    if state.state == "updating":
        return f"**updating: {state.files} file{'s' if state.files != 1 else ''}**…"
    if state.state == "error":
        return f"**last error:** {md(state.error)}"
    if state.state == "stopped":
        return "not watching" + (f" (last error: {md(state.error)})" if state.error else "")
    return "checking the corpus…"


def md(text: str) -> str:
    return html.escape(text).replace("*", "&#42;").replace("_", "&#95;").replace("`", "&#96;")


def _lines(c: Citation) -> str:
    where = f"line {c.line_start}" if c.line_start == c.line_end else f"lines {c.line_start}–{c.line_end}"
    return where + (f", page {c.page}" if c.page else "")


def escape(text: str) -> str:
    return html.escape(text).replace("$", "&#36;")


def _context(index: Index, c: Citation) -> str:
    """The cited text highlighted inside its paragraph of the retrieved chunk, all HTML-escaped."""
    for hit in index.search(c.text, k=5):
        chunk = hit.chunk
        if chunk.source == c.source and chunk.start <= c.start and c.end <= chunk.end:
            a, b = c.start - chunk.start, c.end - chunk.start
            text = chunk.text
            left = text.rfind("\n\n", 0, a)
            left = 0 if left < 0 else left + 2
            right = text.find("\n\n", b)
            right = len(text) if right < 0 else right
            return f"{escape(text[left:a])}<mark>{escape(text[a:b])}</mark>{escape(text[b:right])}"
    return f"<mark>{escape(c.text)}</mark>"


def _page_figure(settings: Settings, c: Citation) -> str:
    """The page of a PDF or image citation with its boxes highlighted, or "" where there is no page to show."""
    if not c.boxes:
        return ""
    page = c.boxes[0].page
    image = page_image(settings, c.source, page)
    if image is None:
        return ""
    marks = "".join(
        f'<span class="qa-highlight" style="left:{100 * b.x0 / image.width:.2f}%;top:{100 * b.y0 / image.height:.2f}%;'
        f'width:{100 * (b.x1 - b.x0) / image.width:.2f}%;height:{100 * (b.y1 - b.y0) / image.height:.2f}%"></span>'
        for b in c.boxes
        if b.page == page
    )
    data = base64.b64encode(image.png).decode("ascii")
    return (
        f'<figure class="qa-page"><div class="qa-page-frame"><img class="qa-page-image" '
        f'alt="page {page} of {escape(c.source)}" src="data:image/png;base64,{data}">{marks}</div>'
        f"<figcaption>Page {page}</figcaption></figure>"
    )


def sources_html(index: Index, answer: Answer) -> str:
    """The citations of an answer, or the closest passages of a refusal, labelled as such."""
    if not answer.citations:
        return EMPTY_SOURCES
    title = "Sources" if answer.answered else "Closest passages (no answer found)"
    parts = [f'<div class="qa-sources{"" if answer.answered else " qa-refused"}">']
    parts.append(f'<div class="qa-sources-title">{title}</div>')
    if answer.reason and not answer.answered:
        parts.append(f'<div class="qa-reason">Why: {escape(answer.reason)}</div>')
    for sentence in answer.unsupported_sentences:
        parts.append(f'<div class="qa-warning">Not supported by the passages: {escape(sentence)}</div>')
    for c in answer.citations:
        passage = _context(index, c) if answer.answered and answer.mode == "extractive" else escape(c.text)
        parts.append(
            f'<div class="qa-source"><div class="qa-source-head"><span class="qa-marker">[{c.id}]</span>'
            f'<span class="qa-file">{escape(c.source)}</span> · {_lines(c)}</div>'
            f'{_page_figure(index.settings, c)}<div class="qa-passage">{passage}</div></div>'
        )
    parts.append("</div>")
    return "".join(parts)


SHORT = re.compile(r"^\*\*[^\n]*\*\*\n\n")  # the bold short answer above an answer's text


def shown(answer: Answer) -> str:
    """The answer as the chat shows it: the short answer in bold above the cited text, a notice below."""
    short = f"**{chat_text(answer.short.text)}**\n\n" if answer.short else ""
    return short + chat_text(answer.answer) + (f"\n\n_{chat_text(answer.notice)}_" if answer.notice else "")


def turns_of(chat: list[dict]) -> list[tuple[str, str]]:
    """The (question, answer) turns of a chat as the browser sent it back, so a follow-up is understood by
    whichever app process answers it: the conversation lives in the page, not in one server's memory."""
    turns = []
    for asked, answered in zip(chat, chat[1:]):
        if asked.get("role") == "user" and answered.get("role") == "assistant":
            answer = _message_text(answered)
            if not answer.startswith("⚠️"):
                turns.append((_message_text(asked), SHORT.sub("", answer).split("\n\n_", 1)[0]))
    return turns


def _message_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):  # Gradio sends a message's content back as a list of typed parts
        content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "").replace("&lt;", "<").replace("&gt;", ">")


def chat_text(text: str) -> str:
    """Document text shown as Markdown in the chat: tags stay visible text, never markup."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def progressive(text: str) -> Iterator[str]:
    """Reveal a finished text a few words at a time."""
    words = text.split(" ")
    step = max(1, len(words) // STREAM_STEPS)
    for end in range(step, len(words) + step, step):
        yield " ".join(words[:end])
        time.sleep(0.02)

"""What the app shows, as HTML and Markdown: cited sources with highlights and page images, the sync state."""

from __future__ import annotations

import base64
import html
import os
import re
import time
from collections.abc import Iterable, Iterator, Sequence

from qa import Answer, Box, Citation, Index, SyncState
from qa.answer import NOT_COVERED
from qa.history import MARKER, Turn
from qa.pages import page_image
from qa.ui_i18n import ENGLISH, Text


def empty_sources(t: Text = ENGLISH) -> str:
    return f'<div class="qa-empty">{t.SOURCES_EMPTY}</div>'


def searching(t: Text = ENGLISH) -> str:
    return f'<div class="qa-empty">{t.SOURCES_SEARCHING}</div>'


EMPTY_SOURCES = empty_sources()
STREAM_STEPS = 12
CLOSEST = re.compile(r" The closest passages are ((?:\[\d+\] ?)+)\.$")
LETTER_POINTS = 612  # a page's width is taken as a Letter page's, in points, to size its text on screen
READABLE_PX_PER_POINT = 1.3  # 9-point text about 12 px high; a narrower card scrolls the page sideways instead


def sync_markdown(state: SyncState, t: Text = ENGLISH) -> str:
    """One line for the index panel: in sync, updating N files, or the last error."""
    if state.state == "in_sync":
        return t.SYNC_IN_SYNC.format(checked=md(state.checked_at))
    if state.state == "updating":
        return (t.SYNC_UPDATING_ONE if state.files == 1 else t.SYNC_UPDATING).format(files=state.files)
    if state.state == "error":
        return t.SYNC_ERROR.format(error=md(state.error))
    if state.state == "stopped":
        return t.SYNC_STOPPED + (t.SYNC_STOPPED_ERROR.format(error=md(state.error)) if state.error else "")
    return t.SYNC_CHECKING


def md(text: str) -> str:
    return html.escape(text).replace("*", "&#42;").replace("_", "&#95;").replace("`", "&#96;")


def _lines(c: Citation, t: Text) -> str:
    if c.line_start == c.line_end:
        where = t.CARD_LINE.format(line=c.line_start)
    else:
        where = t.CARD_LINES.format(start=c.line_start, end=c.line_end)
    return where + (t.CARD_PAGE.format(page=c.page) if c.page else "")


def escape(text: str) -> str:
    return html.escape(text).replace("$", "&#36;")


def _context(index: Index, c: Citation) -> str:
    """The cited text highlighted inside the chunk that holds it, all HTML-escaped."""
    chunk = index.snapshot.chunk_around(c.source, c.start, c.end)
    if chunk is None:
        return f"<mark>{escape(c.text)}</mark>"
    a, b = c.start - chunk.start, c.end - chunk.start
    text = chunk.text
    return f"{escape(text[:a])}<mark>{escape(text[a:b])}</mark>{escape(text[b:])}"


def card_id(turn: int, n: int) -> str:
    return f"source-{turn}-{n}"


def _changed(index: Index, source: str, t: Text) -> str:
    """Why the page of corpus file `source` cannot be shown as it was indexed: removed or changed; "" if neither."""
    path = os.path.join(index.settings.corpus, source)
    row = index.snapshot.documents(source).get(source)
    try:
        info = os.stat(path)
    except OSError:
        return t.PAGE_REMOVED
    if row is not None and (info.st_size != row.size or abs(info.st_mtime - row.mtime) > 1e-3):
        return t.PAGE_CHANGED
    return ""


def _page_figure(index: Index, cited: list[Citation], page: int, t: Text) -> str:
    """Page `page` of the citations' file, drawn once with every cited line boxed and numbered; a note instead
    where the file has been removed or changed since it was indexed."""
    source = cited[0].source
    problem = _changed(index, source, t)
    image = None if problem else page_image(index.settings, source, page)
    if image is None:
        return f'<div class="qa-page-note">{escape(problem or t.PAGE_UNREADABLE).format(page=page)}</div>'
    boxes = [(c.id, b) for c in cited for b in c.boxes if b.page == page]
    w, h = image.width, image.height
    x0, y0, x1, y1 = _crop([b for _, b in boxes], w, h)
    marks = "".join(
        f'<span class="qa-highlight" data-n="{n}" style="left:{100 * b.x0 / w:.3f}%;top:{100 * b.y0 / h:.3f}%;'
        f'width:{100 * (b.x1 - b.x0) / w:.3f}%;height:{100 * (b.y1 - b.y0) / h:.3f}%"></span>'
        for n, b in boxes
    )
    data = base64.b64encode(image.png).decode("ascii")
    sheet = (
        f'<div class="qa-page-sheet" style="width:{100 * w / (x1 - x0):.3f}%;left:{-100 * x0 / (x1 - x0):.3f}%;'
        f'top:{-100 * y0 / (y1 - y0):.3f}%"><img class="qa-page-image" alt="page {page} of {escape(source)}" '
        f'src="data:image/png;base64,{data}">{marks}</div>'
    )
    numbers = ", ".join(f"[{n}]" for n in dict.fromkeys(n for n, _ in boxes))
    return (
        f'<figure class="qa-page" title="{escape(t.PAGE_OPEN)}" tabindex="0"><div class="qa-page-scroll">'
        f'<div class="qa-page-crop" style="aspect-ratio:{x1 - x0:.1f} / {y1 - y0:.1f};'
        f'min-width:{READABLE_PX_PER_POINT * LETTER_POINTS * (x1 - x0) / w:.0f}px">{sheet}</div></div>'
        f"<figcaption>{escape(t.PAGE_CAPTION.format(page=page, numbers=numbers))}</figcaption></figure>"
    )


def _crop(boxes: list[Box], w: float, h: float) -> tuple[float, float, float, float]:
    """The part of a w x h page shown in the card: the boxes with a margin, at least half the page wide."""
    x0 = max(0.0, min(b.x0 for b in boxes) - 0.04 * w)
    x1 = min(w, max(b.x1 for b in boxes) + 0.04 * w)
    if x1 - x0 < w / 2:
        x0 = min(max(0.0, (x0 + x1) / 2 - w / 4), w / 2)
        x1 = x0 + w / 2
    y0 = max(0.0, min(b.y0 for b in boxes) - 0.05 * h)
    y1 = min(h, max(b.y1 for b in boxes) + 0.05 * h)
    return x0, y0, x1, y1


def sources_html(index: Index, answer: Answer, turn: int = 0, t: Text = ENGLISH) -> str:
    """The citations of an answer, or the closest passages of a refusal, labelled as such; each card has the id
    its [n] in the chat links to, and a cited page is drawn once, in the card of its first citation."""
    if not answer.citations:
        return empty_sources(t)
    title = t.SOURCES_TITLE if answer.answered else t.CLOSEST_TITLE
    parts = [f'<div class="qa-sources{"" if answer.answered else " qa-refused"}" data-turn="{turn}">']
    parts.append(f'<div class="qa-sources-title">{title}</div>')
    if answer.reason and not answer.answered:
        parts.append(f'<div class="qa-reason">{escape(t.WHY.format(reason=answer.reason))}</div>')
    for sentence in answer.unsupported_sentences:
        parts.append(f'<div class="qa-warning">{escape(t.UNSUPPORTED.format(sentence=sentence))}</div>')
    pages: dict[tuple[str, int], list[Citation]] = {}
    for c in answer.citations:
        for page in dict.fromkeys(b.page for b in c.boxes):
            pages.setdefault((c.source, page), []).append(c)
    for c in answer.citations:
        passage = _context(index, c) if answer.answered and answer.mode == "extractive" else escape(c.text)
        figures = []
        problem = _changed(index, c.source, t) if c.page and not c.boxes else ""
        if problem:  # an earlier answer's page whose file the current index no longer places
            figures.append(f'<div class="qa-page-note">{escape(problem.format(page=c.page))}</div>')
        for page in dict.fromkeys(b.page for b in c.boxes):
            cited = pages[(c.source, page)]
            if cited[0] is c:
                figures.append(_page_figure(index, cited, page, t))
            else:
                figures.append(
                    f'<div class="qa-page-note">{escape(t.PAGE_ABOVE.format(page=page, n=cited[0].id))}</div>'
                )
        parts.append(
            f'<div class="qa-source" id="{card_id(turn, c.id)}"><div class="qa-source-head">'
            f'<span class="qa-marker">[{c.id}]</span><span class="qa-file">{escape(c.source)}</span> · {_lines(c, t)}'
            f'</div>{"".join(figures)}<div class="qa-passage">{passage}</div></div>'
        )
    parts.append("</div>")
    return "".join(parts)


def linked(text: str, turn: int, ids: Iterable[int]) -> str:
    """Chat Markdown in which each [n] of a cited passage links to its source card."""
    known = set(ids)

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return f"[[{n}]](#{card_id(turn, n)})" if n in known else match.group(0)

    return MARKER.sub(link, text)


def chat_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """The chat as Gradio shows it, from the stored turns; turn numbers start at 1."""
    messages = []
    for number, turn in enumerate(turns, start=1):
        messages.append({"role": "user", "content": chat_text(turn.question)})
        messages.append({"role": "assistant", "content": turn_text(turn, number)})
    return messages


def turn_text(turn: Turn, number: int) -> str:
    return linked(turn.shown, number, (c.id for c in turn.citations))


def shown(answer: Answer, t: Text = ENGLISH) -> str:
    """The answer as the chat shows it: the short answer in bold above the cited text, a notice below."""
    short = f"**{chat_text(answer.short.text)}**\n\n" if answer.short else ""
    said = refusal_text(answer, t) if not answer.answered else answer.answer
    return short + chat_text(said) + (f"\n\n_{chat_text(answer.notice)}_" if answer.notice else "")


def refusal_text(answer: Answer, t: Text) -> str:
    """A refusal with the library's own sentences in the reader's language; its reason stays as the library says it."""
    said = answer.answer
    if said.startswith(NOT_COVERED):
        said = t.REFUSED + said[len(NOT_COVERED) :]
    closest = CLOSEST.search(said)
    if closest:
        said = said[: closest.start()] + " " + t.CLOSEST_ARE.format(markers=closest.group(1))
    return said


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

"""The chat in the browser (Gradio) and its HTTP API: a thin skin over the public API."""

from __future__ import annotations

import base64
import html
import logging
import os
import re
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from qa import (
    Answer,
    Citation,
    Index,
    IndexMissingError,
    QAError,
    Settings,
    SyncState,
    Watcher,
    WatchEvent,
    build_index,
    corpus_changed,
    open_index,
)
from qa.files import human_size
from qa.generate import llm_configured
from qa.loaders import SUPPORTED
from qa.pages import page_image
from qa.serialize import answer_json, search_json

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "hong-kong-ai.txt"
EXAMPLES = (
    "What does the government do to support AI?",
    "Which cities are in the Greater Bay Area?",
    "How is AI used in finance?",
    "What challenges does Hong Kong's AI sector face?",
)
NO_INDEX = "There is no index yet. Open the **Index** tab and click **Rebuild index** (or run `qa index`)."
NO_INDEX_WATCHING = "There is no index yet; it is being built from the corpus. Ask again in a moment."
SYNC_REFRESH_SECONDS = 2.0
EMPTY_SOURCES = '<div class="qa-empty">Sources of the latest answer appear here.</div>'
STREAM_STEPS = 12
CSS = """
.qa-sources { display: flex; flex-direction: column; gap: 10px; }
.qa-sources-title { font-weight: 600; font-size: 1.05em; }
.qa-refused .qa-sources-title { color: var(--body-text-color-subdued); }
.qa-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px;
  background: var(--background-fill-secondary); }
.qa-source-head { font-size: 0.9em; margin-bottom: 4px; }
.qa-marker { font-weight: 700; margin-right: 4px; }
.qa-file { font-family: var(--font-mono); }
.qa-passage { white-space: pre-wrap; max-height: 14em; overflow-y: auto; line-height: 1.45; font-size: 0.92em; }
.qa-passage mark { background: #fde68a; color: #1f2937; padding: 0 2px; border-radius: 3px; }
.qa-warning { color: #b45309; font-size: 0.9em; }
.qa-reason { font-size: 0.95em; margin: 0.2em 0 0.6em; }
.qa-empty { color: var(--body-text-color-subdued); padding: 8px 0; }
.qa-page { margin: 0 0 8px; }
.qa-page-frame { position: relative; width: 100%; border: 1px solid var(--border-color-primary); }
.qa-page-image { display: block; width: 100%; height: auto; }
.qa-highlight { position: absolute; background: rgba(250, 204, 21, 0.35); outline: 2px solid #f59e0b;
  border-radius: 2px; pointer-events: none; }
.qa-page figcaption { font-size: 0.85em; color: var(--body-text-color-subdued); }
"""


def safe_name(name: str) -> str | None:
    """The bare file name of an upload: no path parts, control characters or leading dots; None if nothing is left."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = base.strip().lstrip(".").strip()
    if not base or len(base.encode()) > 200:
        return None
    return base


def add_documents(
    settings: Settings, paths: Sequence[str], overwrite: bool = False
) -> tuple[list[str], list[tuple[str, str]]]:
    """Copy uploaded files into the corpus; returns the names added and (name, reason) for each refused file."""
    root = os.path.realpath(settings.corpus)
    os.makedirs(root, exist_ok=True)
    added: list[str] = []
    refused: list[tuple[str, str]] = []
    for path in paths:
        shown = os.path.basename(path)
        name = safe_name(shown)
        reason = _refusal(path, name, root, settings, overwrite)
        if reason:
            refused.append((name or shown, reason))
            continue
        assert name is not None
        try:
            _copy_into(path, os.path.join(root, name), root, settings.max_upload_bytes)
        except OSError as exc:
            refused.append((name, f"could not be written ({exc.strerror or exc})"))
            continue
        added.append(name)
    return added, refused


def _refusal(path: str, name: str | None, root: str, settings: Settings, overwrite: bool) -> str:
    if name is None:
        return "the file name is not usable; rename the file"
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in SUPPORTED:
        return f"unsupported type {suffix or '(no extension)'}; supported: {', '.join(sorted(SUPPORTED))}"
    if os.path.getsize(path) > settings.max_upload_bytes:
        return f"larger than the {human_size(settings.max_upload_bytes)} upload limit"
    dest = os.path.join(root, name)
    if os.path.commonpath([root, os.path.realpath(dest)]) != root:
        return "it would be written outside the corpus"
    if os.path.lexists(dest):
        if not overwrite:
            return "a file of that name is already in the corpus; tick Overwrite to replace it"
        if os.path.islink(dest) or not os.path.isfile(dest):
            return "a file of that name is already in the corpus and is not a regular file"
    return ""


def _copy_into(src: str, dest: str, root: str, limit: int) -> None:
    """Write through a hidden temp file in the corpus, then rename, so the indexer never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as data:
            written = 0
            while block := data.read(1 << 20):
                written += len(block)
                if written > limit:
                    raise OSError(f"larger than the {human_size(limit)} upload limit")
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    folder = os.open(root, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


class Service:
    """The index the app answers from; swapped for a newer version only after a rebuild has finished.

    With a watcher, the corpus is re-indexed in the background as files change, and each completed
    version is switched to as soon as it is written.
    """

    def __init__(self, settings: Settings, watcher: Watcher | None = None) -> None:
        self.settings = settings
        self.watcher = watcher
        self._lock = threading.Lock()
        self.index: Index | None = None
        self.problem = ""
        try:
            self.index = open_index(settings)
        except IndexMissingError:
            self.problem = NO_INDEX_WATCHING if watcher else NO_INDEX
        except QAError as exc:
            self.problem = f"{exc}. Click **Rebuild index** in the Index tab."

    def require(self) -> Index:
        """The index to answer from, switched to a version a `qa index` run has completed since."""
        try:
            self.reload()
        except IndexMissingError:
            pass
        except QAError as exc:
            log.warning("kept the index in use: %s", exc)
        if self.index is None:
            raise QAError(self.problem or NO_INDEX)
        return self.index

    def reload(self) -> None:
        with self._lock:
            if self.index is None:
                self.index = open_index(self.settings)
            else:
                self.index.reload()
            self.problem = ""

    def on_watch(self, event: WatchEvent) -> None:
        """Log what the watcher did, and answer from a version it wrote right away."""
        if event.kind == "updated":
            try:
                self.reload()
            except QAError as exc:
                log.warning("kept the index in use: %s", exc)
        elif event.kind == "error":
            log.warning("re-indexing the corpus failed: %s", event.error)
        for skipped in event.skipped:
            log.warning("%s %s: %s", "partly indexed" if skipped.partial else "skipped", skipped.source, skipped.reason)

    def info_markdown(self) -> str:
        if self.watcher is not None:
            stale = sync_markdown(self.watcher.state())
        else:
            try:
                stale = "**yes**, click Rebuild index" if corpus_changed(self.settings) else "no"
            except QAError as exc:
                stale = f"unknown ({_md(str(exc))})"
        label = "Sync with the corpus" if self.watcher is not None else "Corpus changed since the build"
        if self.index is None:
            sync = f"\n- **{label}:** {stale}" if self.watcher is not None else ""
            return f"{self.problem or NO_INDEX}\n\n- **Corpus folder:** {_md(str(self.settings.corpus))}{sync}"
        info = self.index.info()
        rows = (
            ("Documents", info.documents),
            ("Chunks", info.chunks),
            ("Embedding model", info.model),
            ("Encoder", " ".join(p for p in (info.backend, info.precision, info.device and f"on {info.device}") if p)),
            ("Built at", info.built_at),
            ("Corpus folder", self.settings.corpus),
        )
        lines = [f"- **{name}:** {_md(str(value))}" for name, value in rows]
        return "\n".join(lines + [f"- **{label}:** {stale}"])


def sync_markdown(state: SyncState) -> str:
    """One line for the index panel: in sync, updating N files, or the last error."""
    if state.state == "in_sync":
        return f"in sync, watching for changes (checked {_md(state.checked_at)})"
    if state.state == "updating":
        return f"**updating: {state.files} file{'s' if state.files != 1 else ''}**…"
    if state.state == "error":
        return f"**last error:** {_md(state.error)}"
    if state.state == "stopped":
        return "not watching" + (f" (last error: {_md(state.error)})" if state.error else "")
    return "checking the corpus…"


def _md(text: str) -> str:
    return html.escape(text).replace("*", "&#42;").replace("_", "&#95;").replace("`", "&#96;")


def _lines(c: Citation) -> str:
    where = f"line {c.line_start}" if c.line_start == c.line_end else f"lines {c.line_start}–{c.line_end}"
    return where + (f", page {c.page}" if c.page else "")


def _escape(text: str) -> str:
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
            return f"{_escape(text[left:a])}<mark>{_escape(text[a:b])}</mark>{_escape(text[b:right])}"
    return f"<mark>{_escape(c.text)}</mark>"


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
        f'alt="page {page} of {_escape(c.source)}" src="data:image/png;base64,{data}">{marks}</div>'
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
        parts.append(f'<div class="qa-reason">Why: {_escape(answer.reason)}</div>')
    for sentence in answer.unsupported_sentences:
        parts.append(f'<div class="qa-warning">Not supported by the passages: {_escape(sentence)}</div>')
    for c in answer.citations:
        passage = _context(index, c) if answer.answered and answer.mode == "extractive" else _escape(c.text)
        parts.append(
            f'<div class="qa-source"><div class="qa-source-head"><span class="qa-marker">[{c.id}]</span>'
            f'<span class="qa-file">{_escape(c.source)}</span> · {_lines(c)}</div>'
            f'{_page_figure(index.settings, c)}<div class="qa-passage">{passage}</div></div>'
        )
    parts.append("</div>")
    return "".join(parts)


def _shown(answer: Answer) -> str:
    return _chat_text(answer.answer) + (f"\n\n_{_chat_text(answer.notice)}_" if answer.notice else "")


def _chat_text(text: str) -> str:
    """Document text shown as Markdown in the chat: tags stay visible text, never markup."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _progressive(text: str) -> Iterator[str]:
    """Reveal a finished text a few words at a time."""
    words = text.split(" ")
    step = max(1, len(words) // STREAM_STEPS)
    for end in range(step, len(words) + step, step):
        yield " ".join(words[:end])
        time.sleep(0.02)


def _example_text(evt: gr.SelectData) -> str:
    return evt.value["text"]


class App(gr.Blocks):
    """The Blocks app; closing it also stops its corpus watcher."""

    corpus_watcher: Watcher | None = None

    def close(self, verbose: bool = True) -> None:
        if self.corpus_watcher is not None:
            self.corpus_watcher.stop()
        super().close(verbose)


def build_app(settings: Settings, watcher: Watcher | None = None) -> App:
    """The Blocks app: chat with streamed, cited answers, sources, index status, rebuild and upload.

    With a watcher (not yet started), the index panel shows the sync state and refreshes itself.
    """
    service = Service(settings, watcher)
    if watcher is not None:
        watcher.listener = service.on_watch
    has_default = (Path(settings.corpus) / DEFAULT_SOURCE).is_file()
    llm = llm_configured(settings)

    def respond(question: str, chat: list[dict], turns: list[tuple[str, str]], k: float, mode: str) -> Iterator[Any]:
        question = (question or "").strip()
        if not question:
            yield chat, turns, gr.skip(), ""
            return
        chat = chat + [{"role": "user", "content": _chat_text(question)}, {"role": "assistant", "content": "…"}]
        yield chat, turns, '<div class="qa-empty">Searching the documents…</div>', ""
        try:
            index = service.require()
            streamed = ""
            chosen = mode if llm else "extractive"
            stream = index.stream(question, int(k), turns, mode=chosen)
            for part in stream:
                if part and not streamed and chosen == "extractive":
                    for shown in _progressive(part):
                        chat[-1] = {"role": "assistant", "content": _chat_text(shown)}
                        yield chat, turns, gr.skip(), ""
                streamed += part
                chat[-1] = {"role": "assistant", "content": _chat_text(streamed)}
                yield chat, turns, gr.skip(), ""
            answer = stream.answer
            chat[-1] = {"role": "assistant", "content": _shown(answer)}
            turns = turns + [(question, answer.answer)]
            yield chat, turns, sources_html(index, answer), ""
        except QAError as exc:
            chat[-1] = {"role": "assistant", "content": f"⚠️ {_escape(str(exc))}"}
            yield chat, turns, EMPTY_SOURCES, ""
        except Exception:
            log.exception("answering %r failed", question)
            chat[-1] = {"role": "assistant", "content": "⚠️ Something went wrong; the server log has details."}
            yield chat, turns, EMPTY_SOURCES, ""

    def rebuild(progress: gr.Progress = gr.Progress()) -> tuple[str, str]:
        progress(0, desc="Reading the corpus")
        try:
            report = build_index(
                settings,
                progress=lambda done, total, stage="embedding", source="": progress(
                    (done, total),
                    desc=f"OCR {source}" if stage == "ocr" else "Embedding",
                    unit="pages" if stage == "ocr" else "chunks",
                ),
            )
            service.reload()
        except QAError as exc:
            return f"⚠️ {_md(str(exc))}", service.info_markdown()
        except Exception:
            log.exception("rebuilding the index failed")
            return "⚠️ Rebuilding failed; the server log has details.", service.info_markdown()
        if not report.wrote:
            status = "The index is up to date."
        else:
            status = (
                f"Index updated in {report.seconds:.1f} s: added {len(report.added)}, changed {len(report.changed)}, "
                f"removed {len(report.removed)} files; {report.chunks_embedded} chunks embedded."
            )
        status += "".join(f"\n- skipped {_md(s.source)}: {_md(s.reason)}" for s in report.skipped)
        return status, service.info_markdown()

    def upload(files: list[str] | None, overwrite: bool) -> tuple[str, Any, str]:
        if not files:
            return "Choose one or more files first.", gr.skip(), gr.skip()
        try:
            added, refused = add_documents(settings, files, overwrite)
        except Exception:
            log.exception("upload failed")
            return "⚠️ The upload failed; the server log has details.", None, service.info_markdown()
        lines = []
        if added:
            names = ", ".join(f"**{_md(n)}**" for n in added)
            then = "They are indexed in a few seconds."
            if watcher is None:
                then = "Click **Rebuild index** in the Index tab to search them."
            lines.append(f"Added {names}. {then}")
        lines += [f"- Refused **{_md(name)}**: {_md(reason)}" for name, reason in refused]
        return "\n".join(lines), None, service.info_markdown()

    def api_ask(question: str) -> dict[str, Any]:
        """Answer a question; the same JSON object as `qa ask --json`."""
        try:
            return answer_json(service.require().stream(question, mode="auto").answer)
        except QAError as exc:
            raise gr.Error(str(exc)) from None

    def api_search(question: str) -> dict[str, Any]:
        """The passages that match a query; the same JSON object as `qa search --json`."""
        try:
            return search_json(question, service.require().search(question))
        except QAError as exc:
            raise gr.Error(str(exc)) from None

    placeholder = (
        "### Ask a question about your documents\n"
        "Answers quote the documents, mark each quote with **[n]**, and list the sources on the right. "
        "Follow-up questions use the previous turn."
    )
    if service.index is None:
        placeholder += "\n\n" + service.problem
    private: dict[str, Any] = {"api_visibility": "private"}

    with App(title="Ask the documents", analytics_enabled=False, delete_cache=(3600, 86400)) as app:
        gr.Markdown("# Ask the documents\nQuestions are answered only from the files in the corpus, with citations.")
        turns = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=380):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,
                    height=520,
                    placeholder=placeholder,
                    buttons=["copy", "copy_all"],
                    examples=[{"text": q} for q in EXAMPLES] if has_default else None,
                    feedback_options=None,
                    allow_tags=False,
                    elem_id="chat",
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask a question and press Enter",
                        show_label=False,
                        scale=5,
                        container=False,
                        max_length=2000,
                        elem_id="question",
                        autofocus=True,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                with gr.Accordion("Settings", open=False):
                    k = gr.Slider(1, 20, value=settings.k, step=1, label="Passages to read (k)")
                    mode = gr.Radio(
                        [
                            ("Extractive: quote the documents", "extractive"),
                            ("LLM: write an answer from the passages", "llm"),
                        ],
                        value="llm" if llm else "extractive",
                        label="Answer mode",
                        visible=llm,
                    )
            with gr.Column(scale=2, min_width=320), gr.Tabs():
                with gr.Tab("Sources", elem_id="tab-sources"):
                    sources = gr.HTML(EMPTY_SOURCES, js_on_load=None, elem_id="sources")
                with gr.Tab("Index", elem_id="tab-index"):
                    info = gr.Markdown(elem_id="index-info")
                    rebuild_button = gr.Button("Rebuild index", variant="secondary", elem_id="rebuild")
                    status = gr.Markdown(elem_id="rebuild-status")
                with gr.Tab("Add documents", elem_id="tab-upload"):
                    files = gr.File(
                        file_count="multiple",
                        elem_id="upload",
                        label=f"Files ({', '.join(sorted(SUPPORTED))}; up to {human_size(settings.max_upload_bytes)} each)",
                    )
                    overwrite = gr.Checkbox(label="Overwrite files of the same name", value=False)
                    add_button = gr.Button("Add to corpus", elem_id="add")
                    upload_status = gr.Markdown(elem_id="upload-status")

        chat_io: dict[str, Any] = {
            "inputs": [question, chatbot, turns, k, mode],
            "outputs": [chatbot, turns, sources, question],
        }
        question.submit(respond, **chat_io, **private)
        send.click(respond, **chat_io, **private)
        chatbot.example_select(_example_text, None, question, **private).then(respond, **chat_io, **private)
        chatbot.clear(lambda: ([], EMPTY_SOURCES), None, [turns, sources], **private)
        rebuild_button.click(rebuild, None, [status, info], concurrency_limit=1, concurrency_id="corpus", **private)
        add_button.click(
            upload,
            [files, overwrite],
            [upload_status, files, info],
            concurrency_limit=1,
            concurrency_id="corpus",
            **private,
        )
        app.load(service.info_markdown, None, info, **private)
        if watcher is not None:
            timer = gr.Timer(SYNC_REFRESH_SECONDS)
            timer.tick(service.info_markdown, None, info, show_progress="hidden", queue=False, **private)
        gr.api(api_ask, api_name="ask")
        gr.api(api_search, api_name="search")
    app.corpus_watcher = watcher
    return app


def _auth(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise QAError("auth must look like user:password (QA_AUTH or --auth)")
    return user, password


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | None = None,
    block: bool = True,
    inbrowser: bool = False,
    watch: bool | None = None,
) -> App:
    """Start the app; with block=False return the running app (call .close() to stop it).

    With `watch` (default: settings.watch) the corpus is re-indexed by itself as its files change.
    """
    credentials = _auth(auth or settings.auth)
    if credentials is None and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s without a password; set QA_AUTH=user:password", host)
    watcher = Watcher(settings) if (settings.watch if watch is None else watch) else None
    app = build_app(settings, watcher)
    app.queue(default_concurrency_limit=2, max_size=32)
    if watcher is not None:
        watcher.start()
    try:
        app.launch(
            server_name=host,
            server_port=port,
            auth=credentials,
            share=False,
            inbrowser=inbrowser,
            prevent_thread_lock=not block,
            max_file_size=settings.max_upload_bytes,
            blocked_paths=[os.path.realpath(settings.corpus), os.path.realpath(settings.index)],
            ssr_mode=False,
            mcp_server=False,
            pwa=False,
            enable_monitoring=False,
            show_error=False,
            quiet=not block,
            footer_links=["api"],
            theme=gr.themes.Soft(
                primary_hue="indigo",
                font=["ui-sans-serif", "system-ui", "sans-serif"],
                font_mono=["ui-monospace", "SFMono-Regular", "monospace"],
            ),
            css=CSS,
        )
    except BaseException:
        app.close()
        raise
    if block and watcher is not None:
        watcher.stop()
    return app

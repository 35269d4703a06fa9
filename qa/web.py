"""The chat in the browser (Gradio) and its HTTP API: the layout, wired to the handlers of qa.service."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import gradio as gr

from qa import QAError, Settings, Watcher
from qa.files import human_size
from qa.generate import llm_configured
from qa.loaders import SUPPORTED
from qa.service import Service
from qa.views import EMPTY_SOURCES

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "hong-kong-ai.txt"
EXAMPLES = (
    "What does the government do to support AI?",
    "Which cities are in the Greater Bay Area?",
    "How is AI used in finance?",
    "What challenges does Hong Kong's AI sector face?",
)
SYNC_REFRESH_SECONDS = 2.0
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
            "inputs": [question, chatbot, k, mode],
            "outputs": [chatbot, sources, question],
        }
        question.submit(service.respond, **chat_io, **private)
        send.click(service.respond, **chat_io, **private)
        chatbot.example_select(_example_text, None, question, **private).then(service.respond, **chat_io, **private)
        chatbot.clear(lambda: EMPTY_SOURCES, None, sources, **private)
        rebuild_button.click(
            service.rebuild, None, [status, info], concurrency_limit=1, concurrency_id="corpus", **private
        )
        add_button.click(
            service.upload,
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
        gr.api(service.api_ask, api_name="ask")
        gr.api(service.api_search, api_name="search")
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

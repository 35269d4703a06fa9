"""The chat in the browser (Gradio) and its HTTP API: the layout, wired to the handlers of qa.service."""

from __future__ import annotations

import json
import logging
import os
from importlib.resources import files as package_files
from typing import Any

import gradio as gr

from qa import QAError, Settings, Watcher
from qa import ui_text as text
from qa.files import human_size
from qa.generate import llm_configured
from qa.loaders import SUPPORTED
from qa.service import Service
from qa.ui_i18n import i18n as translations
from qa.views import EMPTY_SOURCES

log = logging.getLogger(__name__)

SYNC_REFRESH_SECONDS = 2.0
EXPORT_FILE = "conversation.md"
HISTORY_KEY = "qa-chat-history"  # the browser's localStorage key of the conversation
# The conversation stays in the browser: read from localStorage when the page loads, written after each answer.
LOAD_HISTORY = f"""() => {{
  try {{ return [JSON.parse(localStorage.getItem({json.dumps(HISTORY_KEY)}) || "null")]; }}
  catch (error) {{ return [null]; }}
}}"""
SAVE_HISTORY = f"""(history) => {{
  try {{ localStorage.setItem({json.dumps(HISTORY_KEY)}, JSON.stringify(history)); }}
  catch (error) {{ console.warn("the conversation could not be saved in this browser", error); }}
}}"""
DOWNLOAD = f"""(markdown) => {{
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([markdown], {{type: "text/markdown"}}));
  link.download = {json.dumps(EXPORT_FILE)};
  document.body.appendChild(link);
  link.click();
  setTimeout(() => {{ URL.revokeObjectURL(link.href); link.remove(); }}, 1000);
}}"""


def _asset(name: str) -> str:
    return package_files("qa").joinpath(name).read_text(encoding="utf-8")


def _example_text(evt: gr.SelectData) -> str:
    return evt.value["text"]


class App(gr.Blocks):
    """The Blocks app; closing it also stops its corpus watcher."""

    corpus_watcher: Watcher | None = None
    translations: gr.I18n | None = None

    def close(self, verbose: bool = True) -> None:
        if self.corpus_watcher is not None:
            self.corpus_watcher.stop()
        super().close(verbose)


def build_app(settings: Settings, watcher: Watcher | None = None) -> App:
    """The Blocks app: chat with streamed, cited answers kept in the browser, sources, the documents and their
    index, upload. With a watcher (not yet started), the index panel shows the sync state and refreshes itself."""
    service = Service(settings, watcher)
    if watcher is not None:
        watcher.listener = service.on_watch
    llm = llm_configured(settings)
    i18n = gr.I18n(**translations())
    private: dict[str, Any] = {"api_visibility": "private"}

    with App(title=text.TITLE, analytics_enabled=False, delete_cache=(3600, 86400)) as app:
        app.translations = i18n
        gr.Markdown(i18n("INTRO"))
        history = gr.JSON(visible=False)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=380):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,
                    height=520,
                    placeholder=service.placeholder(),
                    buttons=["copy", "copy_all"],
                    feedback_options=None,
                    allow_tags=False,
                    elem_id="chat",
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder=i18n("QUESTION_PLACEHOLDER"),
                        show_label=False,
                        scale=5,
                        container=False,
                        max_length=2000,
                        elem_id="question",
                        autofocus=True,
                    )
                    send = gr.Button(i18n("ASK"), variant="primary", scale=1, min_width=80, elem_id="ask")
                with gr.Row():
                    new_chat = gr.Button(i18n("NEW_CHAT"), size="sm", elem_id="new-chat")
                    export = gr.Button(i18n("EXPORT"), size="sm", elem_id="export")
                with gr.Accordion(i18n("SETTINGS"), open=False):
                    k = gr.Slider(1, 20, value=settings.k, step=1, label=i18n("PASSAGES_K"))
                    mode = gr.Radio(
                        [(i18n("MODE_EXTRACTIVE"), "extractive"), (i18n("MODE_LLM"), "llm")],
                        value="llm" if llm else "extractive",
                        label=i18n("ANSWER_MODE"),
                        visible=llm,
                    )
                export_text = gr.Textbox(elem_id="export-text", elem_classes="qa-hidden", container=False)
                cited_turn = gr.Textbox(elem_id="cited-turn", elem_classes="qa-hidden", container=False)
            with gr.Column(scale=2, min_width=320), gr.Tabs():
                with gr.Tab(i18n("TAB_SOURCES"), elem_id="tab-sources"):
                    sources = gr.HTML(EMPTY_SOURCES, elem_id="sources")
                with gr.Tab(i18n("TAB_INDEX"), elem_id="tab-index"):
                    status = gr.Markdown(elem_id="rebuild-status", min_height=40)
                    rebuild_button = gr.Button(i18n("REBUILD"), variant="secondary", elem_id="rebuild")
                    info = gr.Markdown(elem_id="index-info")
                    gr.Markdown(i18n("DOCUMENTS_TITLE"))
                    listed = gr.Dataframe(
                        headers=[
                            text.COLUMN_NAME,
                            text.COLUMN_TYPE,
                            text.COLUMN_PAGES,
                            text.COLUMN_CHUNKS,
                            text.COLUMN_INDEXED,
                        ],
                        interactive=False,
                        wrap=True,
                        column_widths=["36%", "12%", "13%", "13%", "26%"],
                        elem_id="documents",
                        show_search="none",
                    )
                    skipped = gr.Markdown(elem_id="skipped")
                    with gr.Row(equal_height=True):
                        remove_choice = gr.Dropdown(label=i18n("REMOVE_CHOICE"), choices=[], elem_id="remove-choice")
                        remove_button = gr.Button(i18n("REMOVE"), variant="stop", size="sm", elem_id="remove")
                    with gr.Row(visible=False, elem_id="remove-confirm") as confirm:
                        confirm_text = gr.Markdown(elem_id="remove-question")
                        remove_yes = gr.Button(i18n("REMOVE_YES"), variant="stop", size="sm", elem_id="remove-yes")
                        remove_no = gr.Button(i18n("REMOVE_NO"), size="sm", elem_id="remove-no")
                with gr.Tab(i18n("TAB_UPLOAD"), elem_id="tab-upload"):
                    upload = gr.File(
                        file_count="multiple",
                        file_types=sorted(SUPPORTED),
                        elem_id="upload",
                        label=text.UPLOAD_LABEL.format(
                            types=", ".join(sorted(SUPPORTED)), size=human_size(settings.max_upload_bytes)
                        ),
                    )
                    overwrite = gr.Checkbox(label=i18n("OVERWRITE"), value=False)
                    add_button = gr.Button(i18n("ADD"), elem_id="add")
                    upload_status = gr.Markdown(elem_id="upload-status")

        chat_io: dict[str, Any] = {
            "inputs": [question, history, k, mode],
            "outputs": [chatbot, sources, question, history],
        }
        save: dict[str, Any] = {"fn": None, "inputs": [history], "outputs": None, "js": SAVE_HISTORY}
        question.submit(service.respond, **chat_io, **private).then(**save)
        send.click(service.respond, **chat_io, **private).then(**save)
        chatbot.example_select(_example_text, None, question, **private).then(
            service.respond, **chat_io, **private
        ).then(**save)
        for clear in (new_chat.click, chatbot.clear):
            clear(service.new_chat, None, [chatbot, sources, history], **private).then(**save)
        export.click(service.export, history, export_text, **private).then(None, export_text, None, js=DOWNLOAD)
        cited_turn.change(service.turn_sources, [cited_turn, history], sources, show_progress="hidden", **private)

        index_outputs = [status, info, listed, skipped, remove_choice]
        corpus: dict[str, Any] = {"concurrency_limit": 1, "concurrency_id": "corpus", "show_progress_on": [status]}
        rebuild_button.click(service.rebuild, None, index_outputs, **corpus, **private).then(
            service.examples_update, None, chatbot, **private
        )
        remove_button.click(service.ask_to_remove, remove_choice, [confirm_text, confirm], **private)
        remove_no.click(lambda: gr.Row(visible=False), None, confirm, **private)
        remove_yes.click(service.remove, remove_choice, [*index_outputs, confirm], **corpus, **private).then(
            service.examples_update, None, chatbot, **private
        )
        add_button.click(service.upload, [upload, overwrite], [upload_status, upload, info], **corpus, **private).then(
            service.documents_view, None, [listed, skipped, remove_choice], **private
        )
        app.load(service.restore, history, [chatbot, sources, history], js=LOAD_HISTORY, **private).then(**save)
        app.load(service.info_markdown, None, info, **private)
        app.load(service.documents_view, None, [listed, skipped, remove_choice], **private)
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
            i18n=app.translations,
            server_name=host,
            server_port=port,
            auth=credentials,
            share=False,
            inbrowser=inbrowser,
            prevent_thread_lock=True,
            max_file_size=settings.max_upload_bytes,
            blocked_paths=[os.path.realpath(settings.corpus), os.path.realpath(settings.index)],
            ssr_mode=False,
            mcp_server=False,
            pwa=False,
            enable_monitoring=False,
            show_error=False,
            quiet=True,  # Gradio's own banner suggests share=True, which the README advises against
            footer_links=["api"],
            theme=gr.themes.Soft(
                primary_hue="indigo",
                font=["ui-sans-serif", "system-ui", "sans-serif"],
                font_mono=["ui-monospace", "SFMono-Regular", "monospace"],
            ),
            css=_asset("web.css"),
            js=_asset("web.js"),
        )
    except BaseException:
        app.close()
        raise
    if block:
        print(f"The chat is at {app.local_url} (this machine only; see the README before serving it to others).")
        try:
            app.block_thread()
        finally:
            if watcher is not None:
                watcher.stop()
    return app

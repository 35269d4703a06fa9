"""The app's state and its handlers: the index it answers from, and what each button and the chat do.

Handlers are plain methods, so tests call them without a server; qa.web lays them out and wires them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any, cast

import gradio as gr
from gradio.components.chatbot import ExampleMessage, Message, MessageDict

from qa import (
    BuildProgress,
    Index,
    IndexMissingError,
    QAError,
    Settings,
    Watcher,
    WatchEvent,
    build_index,
    corpus_changed,
    open_index,
)
from qa.documents import documents, remove_document, skipped_files
from qa.examples import suggested_questions
from qa.generate import llm_configured
from qa.history import Turn, dump, follow_up_turns, load, to_markdown, turn_of
from qa.serialize import answer_json, search_json
from qa.types import BuildReport
from qa.ui_i18n import ENGLISH, Text, locale_of
from qa.uploads import add_documents
from qa.views import (
    chat_messages,
    chat_text,
    empty_sources,
    escape,
    md,
    progressive,
    searching,
    shown,
    sources_html,
    sync_markdown,
    turn_text,
)

log = logging.getLogger(__name__)

REVEAL_UP_TO_TURNS = 50  # past this, revealing words in steps redraws the long chat a dozen times: shown at once


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
        self._problem = ("", "")  # why there is no index: (the ui_text name of the sentence, the error it names)
        self._examples: tuple[str, tuple[str, ...]] = ("", ())  # (index version, questions)
        try:
            self.index = open_index(settings)
        except IndexMissingError:
            self._problem = ("NO_INDEX_WATCHING" if watcher else "NO_INDEX", "")
        except QAError as exc:
            self._problem = ("INDEX_UNUSABLE", str(exc))

    def require(self) -> Index:
        """The index to answer from, switched to a version a `qa index` run has completed since."""
        try:
            self.reload()
        except IndexMissingError:
            pass
        except QAError as exc:
            log.warning("kept the index in use: %s", exc)
        if self.index is None:
            raise QAError(self.problem())
        return self.index

    def reload(self) -> None:
        with self._lock:
            if self.index is None:
                self.index = open_index(self.settings)
            else:
                self.index.reload()
            self._problem = ("", "")

    def problem(self, t: Text = ENGLISH) -> str:
        """Why there is no index to answer from, and what to do; "" when there is one."""
        name, error = self._problem
        if self.index is not None:
            return ""
        return getattr(t, name or "NO_INDEX").format(problem=error)

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

    def respond(
        self, question: str, history: Any, k: float, mode: str, request: gr.Request | None = None
    ) -> Iterator[Any]:
        """The chat handler: yields (chat, sources HTML, question box, history) as the answer streams in. The
        earlier turns come from the history the browser keeps and sends, so any app process can answer the next
        question; the history changes only when an answer is complete."""
        t = reader_text(request)
        question = (question or "").strip()
        turns = load(history)
        if not question:
            yield gr.skip(), gr.skip(), "", gr.skip()
            return
        chat = chat_messages(turns) + [
            {"role": "user", "content": chat_text(question)},
            {"role": "assistant", "content": "…"},
        ]
        yield chat, searching(t), "", gr.skip()
        try:
            index = self.require()
            streamed = ""
            chosen = mode if llm_configured(self.settings) else "extractive"
            stream = index.stream(question, int(k), follow_up_turns(turns), mode=chosen)
            for part in stream:
                if part and not streamed and chosen == "extractive" and len(turns) < REVEAL_UP_TO_TURNS:
                    for revealed in progressive(part):
                        chat[-1] = {"role": "assistant", "content": chat_text(revealed)}
                        yield chat, gr.skip(), "", gr.skip()
                streamed += part
                chat[-1] = {"role": "assistant", "content": chat_text(streamed)}
                yield chat, gr.skip(), "", gr.skip()
            answer = stream.answer
            turns += (turn_of(answer, shown(answer, t)),)
            chat[-1] = {"role": "assistant", "content": turn_text(turns[-1], len(turns))}
            yield chat, sources_html(index, answer, len(turns), t), "", dump(turns)
        except QAError as exc:
            yield self._failed(chat, turns, question, self.problem(t) or str(exc), t)
        except Exception:
            log.exception("answering %r failed", question)
            yield self._failed(chat, turns, question, t.FAILED, t)

    @staticmethod
    def _failed(chat: list[dict], turns: tuple[Turn, ...], question: str, problem: str, t: Text) -> tuple[Any, ...]:
        """The chat and history with the problem in place of an answer; it is kept, but never asked on from."""
        failed = Turn(question, "", f"⚠️ {escape(problem)}", False)
        chat[-1] = {"role": "assistant", "content": failed.shown}
        return chat, empty_sources(t), "", dump((*turns, failed))

    def restore(self, history: Any, request: gr.Request | None = None) -> tuple[Any, str, dict[str, Any]]:
        """On page load: the chat and the latest answer's sources from the history the browser kept, with example
        questions from the documents; a history the app cannot read starts an empty one."""
        t = reader_text(request)
        turns = load(history)
        messages = cast(list[MessageDict | Message], chat_messages(turns))
        chat = gr.Chatbot(value=messages, examples=self.example_list(), placeholder=self.placeholder(t))
        return chat, self.turn_sources(str(len(turns)), history, request), dump(turns)

    def placeholder(self, t: Text = ENGLISH) -> str:
        """What the empty chat says: how to ask, and why there is no index if there is none."""
        problem = self.problem(t)
        return t.PLACEHOLDER + (f"\n\n{problem}" if problem else "")

    def new_chat(self, request: gr.Request | None = None) -> tuple[Any, str, dict[str, Any]]:
        return gr.Chatbot(value=[], examples=self.example_list()), empty_sources(reader_text(request)), dump(())

    def examples_update(self) -> Any:
        return gr.Chatbot(examples=self.example_list())

    def example_list(self) -> list[ExampleMessage] | None:
        questions = self.examples()
        return [ExampleMessage(text=q) for q in questions] if questions else None

    def examples(self) -> tuple[str, ...]:
        """Questions from the indexed documents that the index answers; worked out once per index version."""
        try:
            index = self.require()
        except QAError:
            return ()
        version = index.snapshot.version
        if self._examples[0] != version:
            try:
                self._examples = (version, suggested_questions(index))
            except QAError as exc:
                log.warning("no example questions: %s", exc)
                self._examples = (version, ())
        return self._examples[1]

    def turn_sources(self, turn: str, history: Any, request: gr.Request | None = None) -> str:
        """The sources of turn `turn` (1-based; what follows a colon is ignored) of the history, for a [n] of an
        earlier answer."""
        t = reader_text(request)
        turns = load(history)
        try:
            number = int(turn.partition(":")[0])
        except ValueError:
            return gr.skip()
        if not 1 <= number <= len(turns) or self.index is None:
            return empty_sources(t)
        index = self.index
        return sources_html(index, index.located(turns[number - 1].as_answer()), number, t)

    def export(self, history: Any, request: gr.Request | None = None) -> str:
        return to_markdown(load(history), reader_text(request).EXPORT_TITLE)

    def rebuild(
        self, request: gr.Request | None = None, progress: gr.Progress = gr.Progress()
    ) -> tuple[str, str, Any, str, Any]:
        """The Rebuild index button: (status line, index info, documents, skipped files, remove menu)."""
        t = reader_text(request)
        progress(0, desc=t.PROGRESS_READING)

        def report_progress(step: BuildProgress) -> None:
            if step.stage == "ocr":
                desc, unit = t.PROGRESS_OCR.format(source=step.source), t.UNIT_PAGES
            elif step.stage == "ray":
                desc, unit = t.PROGRESS_RAY.format(chunks=step.chunks_done), t.UNIT_FILES
            elif step.stage == "multilingual":
                desc, unit = t.PROGRESS_MULTILINGUAL.format(done=step.done, total=step.total), t.UNIT_CHUNKS
            else:
                desc, unit = (
                    t.PROGRESS_EMBEDDING.format(done=step.files_done, total=step.files_total),
                    t.UNIT_CHUNKS,
                )
            progress((step.done, step.total), desc=desc, unit=unit)

        try:
            report = build_index(self.settings, progress=report_progress)
            self.reload()
        except QAError as exc:
            return f"⚠️ {md(str(exc))}", self.info_markdown(request), *self.documents_view(request)
        except Exception:
            log.exception("rebuilding the index failed")
            return t.BUILD_FAILED, self.info_markdown(request), *self.documents_view(request)
        status = build_status(report, t)
        status += "".join(
            "\n" + t.SKIPPED_LINE.format(source=md(s.source), reason=md(s.reason)) for s in report.skipped
        )
        return status, self.info_markdown(request), *self.documents_view(request)

    def documents_view(self, request: gr.Request | None = None) -> tuple[Any, str, Any]:
        """The Index tab's list: (a row per document, the skipped files and why, the remove menu)."""
        t = reader_text(request)
        headers = [t.COLUMN_NAME, t.COLUMN_TYPE, t.COLUMN_PAGES, t.COLUMN_CHUNKS, t.COLUMN_INDEXED]
        if self.index is None:
            return gr.Dataframe([], headers=headers), t.NO_DOCUMENTS, gr.Dropdown(choices=[], value=None)
        listed = documents(self.index)
        rows = [[d.source, d.kind, d.pages or "", d.chunks, d.indexed_at.replace("T", " ").rstrip("Z")] for d in listed]
        lines = [
            (t.PARTLY_LINE if s.partial else t.SKIPPED_LINE).format(source=md(s.source), reason=md(s.reason))
            for s in skipped_files(self.index)
        ]
        skipped = "\n".join([t.SKIPPED_TITLE, *lines]) if lines else ""
        return gr.Dataframe(rows, headers=headers), skipped, gr.Dropdown(choices=[d.source for d in listed], value=None)

    def ask_to_remove(self, source: str | None, request: gr.Request | None = None) -> tuple[str, Any]:
        """The first click on Remove: (the question to confirm, the confirmation row shown)."""
        t = reader_text(request)
        if not source:
            return t.REMOVE_PICK, gr.Row(visible=False)
        return t.REMOVE_CONFIRM.format(source=f"**{md(source)}**"), gr.Row(visible=True)

    def remove(
        self, source: str | None, request: gr.Request | None = None, progress: gr.Progress = gr.Progress()
    ) -> tuple[str, str, Any, str, Any, Any]:
        """Yes on the confirmation: delete the file from the corpus and update the index as for any change:
        (status, index info, documents, skipped files, remove menu, confirmation row hidden)."""
        t = reader_text(request)
        hidden = gr.Row(visible=False)
        if not source:
            return t.REMOVE_PICK, gr.skip(), gr.skip(), gr.skip(), gr.skip(), hidden
        try:
            remove_document(self.settings, source)
        except QAError as exc:
            return f"⚠️ {md(str(exc))}", self.info_markdown(request), *self.documents_view(request), hidden
        if self.watcher is not None:
            done = t.REMOVED.format(source=md(source), then=t.REMOVED_WATCHING)
            return done, self.info_markdown(request), *self.documents_view(request), hidden
        status, info, rows, skipped, menu = self.rebuild(request, progress)
        return t.REMOVED.format(source=md(source), then=status), info, rows, skipped, menu, hidden

    def upload(
        self, files: list[str] | None, overwrite: bool, request: gr.Request | None = None
    ) -> tuple[str, Any, str]:
        """The Add to corpus button: (status, cleared file list, index info)."""
        t = reader_text(request)
        if not files:
            return t.UPLOAD_NOTHING, gr.skip(), gr.skip()
        try:
            added, refused = add_documents(self.settings, files, overwrite)
        except Exception:
            log.exception("upload failed")
            return t.UPLOAD_FAILED, None, self.info_markdown(request)
        lines = []
        if added:
            names = ", ".join(f"**{md(n)}**" for n in added)
            then = t.UPLOAD_WATCHING
            if self.watcher is None:
                then = t.UPLOAD_REBUILD
            lines.append(t.UPLOAD_ADDED.format(names=names, then=then))
        lines += [t.UPLOAD_REFUSED.format(name=md(name), reason=md(reason)) for name, reason in refused]
        return "\n".join(lines), None, self.info_markdown(request)

    def api_ask(self, question: str) -> dict[str, Any]:
        """Answer a question; the same JSON object as `qa ask --json`."""
        try:
            return answer_json(self.require().stream(question, mode="auto").answer)
        except QAError as exc:
            raise gr.Error(str(exc)) from None

    def api_search(self, question: str) -> dict[str, Any]:
        """The passages that match a query; the same JSON object as `qa search --json`."""
        try:
            return search_json(question, self.require().search(question))
        except QAError as exc:
            raise gr.Error(str(exc)) from None

    def info_markdown(self, request: gr.Request | None = None) -> str:
        """The Index tab's summary: counts, model, encoder, build time, corpus folder, and whether it is in sync."""
        t = reader_text(request)
        if self.watcher is not None:
            stale = sync_markdown(self.watcher.state(), t)
        else:
            try:
                stale = t.CHANGED_YES if corpus_changed(self.settings) else t.CHANGED_NO
            except QAError as exc:
                stale = t.CHANGED_UNKNOWN.format(problem=md(str(exc)))
        label = t.INFO_SYNC if self.watcher is not None else t.INFO_CHANGED
        if self.index is None:
            sync = f"\n- **{label}:** {stale}" if self.watcher is not None else ""
            return f"{self.problem(t)}\n\n- **{t.INFO_CORPUS}:** {md(str(self.settings.corpus))}{sync}"
        info = self.index.info()
        rows = (
            (t.INFO_DOCUMENTS, info.documents),
            (t.INFO_CHUNKS, info.chunks),
            (t.INFO_MODEL, info.model),
            (
                t.INFO_ENCODER,
                " ".join(p for p in (info.backend, info.precision, info.device and f"on {info.device}") if p),
            ),
            (t.INFO_BUILT, info.built_at),
            (t.INFO_CORPUS, self.settings.corpus),
        )
        lines = [f"- **{name}:** {md(str(value))}" for name, value in rows]
        return "\n".join(lines + [f"- **{label}:** {stale}"])


def reader_text(request: gr.Request | None) -> Text:
    """The app's strings in the first language of the browser that sent the request."""
    return Text(locale_of(request.headers.get("accept-language") if request is not None else None))


def build_status(report: BuildReport, t: Text = ENGLISH) -> str:
    """What a build did, accounting for every chunk in the index."""
    if not report.wrote:
        return t.BUILD_UP_TO_DATE
    return t.BUILD_UPDATED.format(
        seconds=report.seconds,
        added=len(report.added),
        changed=len(report.changed),
        removed=len(report.removed),
        chunks=chunk_accounting(report, t),
    )


def chunk_accounting(report: BuildReport, t: Text = ENGLISH) -> str:
    counted = (
        (report.chunks_resumed, t.CHUNKS_RESUMED),
        (report.chunks_reused, t.CHUNKS_REUSED),
        (report.chunks_repeated, t.CHUNKS_REPEATED),
        (report.chunks_kept, t.CHUNKS_KEPT),
    )
    parts = [t.CHUNKS_EMBEDDED.format(count=report.chunks_embedded)]
    parts += [label.format(count=count) for count, label in counted if count]
    return t.CHUNKS_IN_INDEX.format(total=report.chunks_total, parts=", ".join(parts))

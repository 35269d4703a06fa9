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
from qa import ui_text as text
from qa.documents import documents, remove_document, skipped_files
from qa.examples import suggested_questions
from qa.generate import llm_configured
from qa.history import Turn, dump, follow_up_turns, load, to_markdown, turn_of
from qa.serialize import answer_json, search_json
from qa.types import BuildReport
from qa.uploads import add_documents
from qa.views import (
    EMPTY_SOURCES,
    SEARCHING,
    chat_messages,
    chat_text,
    escape,
    md,
    progressive,
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
        self.problem = ""
        self._examples: tuple[str, tuple[str, ...]] = ("", ())  # (index version, questions)
        try:
            self.index = open_index(settings)
        except IndexMissingError:
            self.problem = text.NO_INDEX_WATCHING if watcher else text.NO_INDEX
        except QAError as exc:
            self.problem = text.INDEX_UNUSABLE.format(problem=exc)

    def require(self) -> Index:
        """The index to answer from, switched to a version a `qa index` run has completed since."""
        try:
            self.reload()
        except IndexMissingError:
            pass
        except QAError as exc:
            log.warning("kept the index in use: %s", exc)
        if self.index is None:
            raise QAError(self.problem or text.NO_INDEX)
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

    def respond(self, question: str, history: Any, k: float, mode: str) -> Iterator[Any]:
        """The chat handler: yields (chat, sources HTML, question box, history) as the answer streams in. The
        earlier turns come from the history the browser keeps and sends, so any app process can answer the next
        question; the history changes only when an answer is complete."""
        question = (question or "").strip()
        turns = load(history)
        if not question:
            yield gr.skip(), gr.skip(), "", gr.skip()
            return
        chat = chat_messages(turns) + [
            {"role": "user", "content": chat_text(question)},
            {"role": "assistant", "content": "…"},
        ]
        yield chat, SEARCHING, "", gr.skip()
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
            turns += (turn_of(answer, shown(answer)),)
            chat[-1] = {"role": "assistant", "content": turn_text(turns[-1], len(turns))}
            yield chat, sources_html(index, answer, len(turns)), "", dump(turns)
        except QAError as exc:
            yield self._failed(chat, turns, question, str(exc))
        except Exception:
            log.exception("answering %r failed", question)
            yield self._failed(chat, turns, question, text.FAILED)

    @staticmethod
    def _failed(chat: list[dict], turns: tuple[Turn, ...], question: str, problem: str) -> tuple[Any, ...]:
        """The chat and history with the problem in place of an answer; it is kept, but never asked on from."""
        failed = Turn(question, "", f"⚠️ {escape(problem)}", False)
        chat[-1] = {"role": "assistant", "content": failed.shown}
        return chat, EMPTY_SOURCES, "", dump((*turns, failed))

    def restore(self, history: Any) -> tuple[Any, str, dict[str, Any]]:
        """On page load: the chat and the latest answer's sources from the history the browser kept, with example
        questions from the documents; a history the app cannot read starts an empty one."""
        turns = load(history)
        messages = cast(list[MessageDict | Message], chat_messages(turns))
        chat = gr.Chatbot(value=messages, examples=self.example_list())
        return chat, self.turn_sources(str(len(turns)), history), dump(turns)

    def new_chat(self) -> tuple[Any, str, dict[str, Any]]:
        return gr.Chatbot(value=[], examples=self.example_list()), EMPTY_SOURCES, dump(())

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

    def turn_sources(self, turn: str, history: Any) -> str:
        """The sources of turn `turn` (1-based; what follows a colon is ignored) of the history, for a [n] of an
        earlier answer."""
        turns = load(history)
        try:
            number = int(turn.partition(":")[0])
        except ValueError:
            return gr.skip()
        if not 1 <= number <= len(turns) or self.index is None:
            return EMPTY_SOURCES
        index = self.index
        return sources_html(index, index.located(turns[number - 1].as_answer()), number)

    def export(self, history: Any) -> str:
        return to_markdown(load(history), text.EXPORT_TITLE)

    def rebuild(self, progress: gr.Progress = gr.Progress()) -> tuple[str, str, list[list[Any]], str, Any]:
        """The Rebuild index button: (status line, index info, documents, skipped files, remove menu)."""
        progress(0, desc=text.PROGRESS_READING)

        def report_progress(step: BuildProgress) -> None:
            if step.stage == "ocr":
                desc, unit = text.PROGRESS_OCR.format(source=step.source), text.UNIT_PAGES
            elif step.stage == "ray":
                desc, unit = text.PROGRESS_RAY.format(chunks=step.chunks_done), text.UNIT_FILES
            else:
                desc, unit = (
                    text.PROGRESS_EMBEDDING.format(done=step.files_done, total=step.files_total),
                    text.UNIT_CHUNKS,
                )
            progress((step.done, step.total), desc=desc, unit=unit)

        try:
            report = build_index(self.settings, progress=report_progress)
            self.reload()
        except QAError as exc:
            return f"⚠️ {md(str(exc))}", self.info_markdown(), *self.documents_view()
        except Exception:
            log.exception("rebuilding the index failed")
            return text.BUILD_FAILED, self.info_markdown(), *self.documents_view()
        status = build_status(report)
        status += "".join(f"\n- skipped {md(s.source)}: {md(s.reason)}" for s in report.skipped)
        return status, self.info_markdown(), *self.documents_view()

    def documents_view(self) -> tuple[list[list[Any]], str, Any]:
        """The Index tab's list: (a row per document, the skipped files and why, the remove menu)."""
        if self.index is None:
            return [], text.NO_DOCUMENTS, gr.Dropdown(choices=[], value=None)
        listed = documents(self.index)
        rows = [[d.source, d.kind, d.pages or "", d.chunks, d.indexed_at.replace("T", " ").rstrip("Z")] for d in listed]
        lines = [
            (text.PARTLY_LINE if s.partial else text.SKIPPED_LINE).format(source=md(s.source), reason=md(s.reason))
            for s in skipped_files(self.index)
        ]
        skipped = "\n".join([text.SKIPPED_TITLE, *lines]) if lines else ""
        return rows, skipped, gr.Dropdown(choices=[d.source for d in listed], value=None)

    def ask_to_remove(self, source: str | None) -> tuple[str, Any]:
        """The first click on Remove: (the question to confirm, the confirmation row shown)."""
        if not source:
            return text.REMOVE_PICK, gr.Row(visible=False)
        return text.REMOVE_CONFIRM.format(source=f"**{md(source)}**"), gr.Row(visible=True)

    def remove(
        self, source: str | None, progress: gr.Progress = gr.Progress()
    ) -> tuple[str, str, list[list[Any]], str, Any, Any]:
        """Yes on the confirmation: delete the file from the corpus and update the index as for any change:
        (status, index info, documents, skipped files, remove menu, confirmation row hidden)."""
        hidden = gr.Row(visible=False)
        if not source:
            return text.REMOVE_PICK, gr.skip(), gr.skip(), gr.skip(), gr.skip(), hidden
        try:
            remove_document(self.settings, source)
        except QAError as exc:
            return f"⚠️ {md(str(exc))}", self.info_markdown(), *self.documents_view(), hidden
        if self.watcher is not None:
            done = text.REMOVED.format(source=md(source), then=text.REMOVED_WATCHING)
            return done, self.info_markdown(), *self.documents_view(), hidden
        status, info, rows, skipped, menu = self.rebuild(progress)
        return text.REMOVED.format(source=md(source), then=status), info, rows, skipped, menu, hidden

    def upload(self, files: list[str] | None, overwrite: bool) -> tuple[str, Any, str]:
        """The Add to corpus button: (status, cleared file list, index info)."""
        if not files:
            return text.UPLOAD_NOTHING, gr.skip(), gr.skip()
        try:
            added, refused = add_documents(self.settings, files, overwrite)
        except Exception:
            log.exception("upload failed")
            return text.UPLOAD_FAILED, None, self.info_markdown()
        lines = []
        if added:
            names = ", ".join(f"**{md(n)}**" for n in added)
            then = text.UPLOAD_WATCHING
            if self.watcher is None:
                then = text.UPLOAD_REBUILD
            lines.append(text.UPLOAD_ADDED.format(names=names, then=then))
        lines += [f"- Refused **{md(name)}**: {md(reason)}" for name, reason in refused]
        return "\n".join(lines), None, self.info_markdown()

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

    def info_markdown(self) -> str:
        """The Index tab's summary: counts, model, encoder, build time, corpus folder, and whether it is in sync."""
        if self.watcher is not None:
            stale = sync_markdown(self.watcher.state())
        else:
            try:
                stale = text.CHANGED_YES if corpus_changed(self.settings) else text.CHANGED_NO
            except QAError as exc:
                stale = text.CHANGED_UNKNOWN.format(problem=md(str(exc)))
        label = text.INFO_SYNC if self.watcher is not None else text.INFO_CHANGED
        if self.index is None:
            sync = f"\n- **{label}:** {stale}" if self.watcher is not None else ""
            return f"{self.problem or text.NO_INDEX}\n\n- **{text.INFO_CORPUS}:** {md(str(self.settings.corpus))}{sync}"
        info = self.index.info()
        rows = (
            (text.INFO_DOCUMENTS, info.documents),
            (text.INFO_CHUNKS, info.chunks),
            (text.INFO_MODEL, info.model),
            (
                text.INFO_ENCODER,
                " ".join(p for p in (info.backend, info.precision, info.device and f"on {info.device}") if p),
            ),
            (text.INFO_BUILT, info.built_at),
            (text.INFO_CORPUS, self.settings.corpus),
        )
        lines = [f"- **{name}:** {md(str(value))}" for name, value in rows]
        return "\n".join(lines + [f"- **{label}:** {stale}"])


def build_status(report: BuildReport) -> str:
    """What a build did, accounting for every chunk in the index."""
    if not report.wrote:
        return text.BUILD_UP_TO_DATE
    return text.BUILD_UPDATED.format(
        seconds=report.seconds,
        added=len(report.added),
        changed=len(report.changed),
        removed=len(report.removed),
        chunks=chunk_accounting(report),
    )


def chunk_accounting(report: BuildReport) -> str:
    counted = (
        (report.chunks_resumed, text.CHUNKS_RESUMED),
        (report.chunks_reused, text.CHUNKS_REUSED),
        (report.chunks_repeated, text.CHUNKS_REPEATED),
        (report.chunks_kept, text.CHUNKS_KEPT),
    )
    parts = [text.CHUNKS_EMBEDDED.format(count=report.chunks_embedded)]
    parts += [label.format(count=count) for count, label in counted if count]
    return text.CHUNKS_IN_INDEX.format(total=report.chunks_total, parts=", ".join(parts))

"""The app's state and its handlers: the index it answers from, and what each button and the chat do.

Handlers are plain methods, so tests call them without a server; qa.web lays them out and wires them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import gradio as gr

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
from qa.generate import llm_configured
from qa.serialize import answer_json, search_json
from qa.uploads import add_documents
from qa.views import (
    EMPTY_SOURCES,
    SEARCHING,
    chat_text,
    escape,
    md,
    progressive,
    shown,
    sources_html,
    sync_markdown,
    turns_of,
)

log = logging.getLogger(__name__)

NO_INDEX = "There is no index yet. Open the **Index** tab and click **Rebuild index** (or run `qa index`)."
NO_INDEX_WATCHING = "There is no index yet; it is being built from the corpus. Ask again in a moment."


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

    def respond(self, question: str, chat: list[dict], k: float, mode: str) -> Iterator[Any]:
        """The chat handler: yields (chat, sources HTML, question box) as the answer streams in. The earlier turns
        come from the chat the browser sends, so any app process can answer the next question."""
        question = (question or "").strip()
        if not question:
            yield chat, gr.skip(), ""
            return
        turns = turns_of(chat)
        chat = chat + [{"role": "user", "content": chat_text(question)}, {"role": "assistant", "content": "…"}]
        yield chat, SEARCHING, ""
        try:
            index = self.require()
            streamed = ""
            chosen = mode if llm_configured(self.settings) else "extractive"
            stream = index.stream(question, int(k), turns, mode=chosen)
            for part in stream:
                if part and not streamed and chosen == "extractive":
                    for revealed in progressive(part):
                        chat[-1] = {"role": "assistant", "content": chat_text(revealed)}
                        yield chat, gr.skip(), ""
                streamed += part
                chat[-1] = {"role": "assistant", "content": chat_text(streamed)}
                yield chat, gr.skip(), ""
            answer = stream.answer
            chat[-1] = {"role": "assistant", "content": shown(answer)}
            yield chat, sources_html(index, answer), ""
        except QAError as exc:
            chat[-1] = {"role": "assistant", "content": f"⚠️ {escape(str(exc))}"}
            yield chat, EMPTY_SOURCES, ""
        except Exception:
            log.exception("answering %r failed", question)
            chat[-1] = {"role": "assistant", "content": "⚠️ Something went wrong; the server log has details."}
            yield chat, EMPTY_SOURCES, ""

    def rebuild(self, progress: gr.Progress = gr.Progress()) -> tuple[str, str]:
        """The Rebuild index button: (status line, index info)."""
        progress(0, desc="Reading the corpus")

        def report_progress(step: BuildProgress) -> None:
            if step.stage == "ocr":
                desc, unit = f"OCR {step.source}", "pages"
            elif step.stage == "ray":
                desc, unit = f"Embedding on Ray ({step.chunks_done} chunks)", "files"
            else:
                desc, unit = f"Embedding ({step.files_done} of {step.files_total} files done)", "chunks"
            progress((step.done, step.total), desc=desc, unit=unit)

        try:
            report = build_index(self.settings, progress=report_progress)
            self.reload()
        except QAError as exc:
            return f"⚠️ {md(str(exc))}", self.info_markdown()
        except Exception:
            log.exception("rebuilding the index failed")
            return "⚠️ Rebuilding failed; the server log has details.", self.info_markdown()
        if not report.wrote:
            status = "The index is up to date."
        else:
            status = (
                f"Index updated in {report.seconds:.1f} s: added {len(report.added)}, changed {len(report.changed)}, "
                f"removed {len(report.removed)} files; {report.chunks_embedded} chunks embedded."
            )
        status += "".join(f"\n- skipped {md(s.source)}: {md(s.reason)}" for s in report.skipped)
        return status, self.info_markdown()

    def upload(self, files: list[str] | None, overwrite: bool) -> tuple[str, Any, str]:
        """The Add to corpus button: (status, cleared file list, index info)."""
        if not files:
            return "Choose one or more files first.", gr.skip(), gr.skip()
        try:
            added, refused = add_documents(self.settings, files, overwrite)
        except Exception:
            log.exception("upload failed")
            return "⚠️ The upload failed; the server log has details.", None, self.info_markdown()
        lines = []
        if added:
            names = ", ".join(f"**{md(n)}**" for n in added)
            then = "They are indexed in a few seconds."
            if self.watcher is None:
                then = "Click **Rebuild index** in the Index tab to search them."
            lines.append(f"Added {names}. {then}")
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
        if self.watcher is not None:
            stale = sync_markdown(self.watcher.state())
        else:
            try:
                stale = "**yes**, click Rebuild index" if corpus_changed(self.settings) else "no"
            except QAError as exc:
                stale = f"unknown ({md(str(exc))})"
        label = "Sync with the corpus" if self.watcher is not None else "Corpus changed since the build"
        if self.index is None:
            sync = f"\n- **{label}:** {stale}" if self.watcher is not None else ""
            return f"{self.problem or NO_INDEX}\n\n- **Corpus folder:** {md(str(self.settings.corpus))}{sync}"
        info = self.index.info()
        rows = (
            ("Documents", info.documents),
            ("Chunks", info.chunks),
            ("Embedding model", info.model),
            ("Encoder", " ".join(p for p in (info.backend, info.precision, info.device and f"on {info.device}") if p)),
            ("Built at", info.built_at),
            ("Corpus folder", self.settings.corpus),
        )
        lines = [f"- **{name}:** {md(str(value))}" for name, value in rows]
        return "\n".join(lines + [f"- **{label}:** {stale}"])

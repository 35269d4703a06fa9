"""The public Python API: build an index, open it, search and ask."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from qa import indexer, storage
from qa.answer import extractive_answer, judge, refusal
from qa.answerability import Decision
from qa.config import Settings, Weights
from qa.embedding import Remembered, TextEncoder, get_question_embedder
from qa.encoders.use import multilingual_encoder
from qa.errors import EncoderError, LLMError, QAError
from qa.followup import earlier_answers, follow_up_query
from qa.layout import span_boxes
from qa.retrieval import Retrieval, retrieve
from qa.sparse import terms
from qa.types import Answer, BuildReport, Hit

History = Sequence[tuple[str, str]]
MAX_QUESTION_CHARS = 2_000


@dataclass(frozen=True)
class IndexInfo:
    version: str
    documents: int
    chunks: int
    model: str
    precision: str
    factory: str
    built_at: str
    backend: str = ""  # what embedded it: torch, onnx or sentence-transformers
    device: str = ""


def build_index(settings: Settings, rebuild: bool = False, progress: indexer.Progress | None = None) -> BuildReport:
    """Index the corpus; `progress` hears a BuildProgress of OCR pages, embedded chunks, or files back from Ray.
    An interrupted build's embedded chunks are kept, and the next build embeds only the rest."""
    return indexer.build(settings, rebuild=rebuild, progress=progress)


def corpus_changed(settings: Settings) -> bool:
    """True when the corpus differs from the current index (content hashes, no embedding)."""
    work = indexer.plan(settings)
    return bool(work.full or work.added or work.changed or work.removed)


def clean_question(question: str) -> str:
    return " ".join(question.split())[:MAX_QUESTION_CHARS]


class Index:
    """An opened index; `reload` switches to a newer version without disturbing readers of the old one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self.snapshot = storage.open_snapshot(settings.index, settings.model_name)
        self.embedder = get_question_embedder(settings)
        self.multilingual_problem = ""  # why the multilingual encoder could not load, once it was tried
        self._multilingual: Remembered | None = None

    def multilingual(self) -> TextEncoder | None:
        """The multilingual encoder, loaded on the first question that needs it; None when it cannot load."""
        if self.settings.model == "minilm" or self.multilingual_problem:
            return None  # a model that failed its checks once is not hashed again for every question
        try:
            if self._multilingual is None:
                self._multilingual = Remembered(multilingual_encoder())
            return self._multilingual
        except EncoderError as exc:
            self.multilingual_problem = str(exc)
            return None

    def reload(self) -> bool:
        """Open the current version if it is newer than the one in use; True when it switched."""
        folder = storage.current_folder(self.settings.index)
        if folder is None or folder.name == self.snapshot.version:
            return False
        fresh = storage.open_snapshot(self.settings.index, self.settings.model_name)
        with self._lock:
            self.snapshot = fresh
        return True

    @property
    def weights(self) -> Weights:
        """The answer's weights; with the English model alone (`--model minilm`) no word is read by the multilingual
        encoder."""
        answer = self.settings.answer
        return replace(answer, paraphrase=0.0) if self.settings.model == "minilm" else answer

    def info(self) -> IndexInfo:
        m = self.snapshot.manifest
        return IndexInfo(
            self.snapshot.version,
            m.documents,
            m.chunks,
            m.model,
            m.precision,
            m.factory,
            m.built_at,
            m.backend,
            m.device,
        )

    def retrieve(self, question: str, k: int | None = None) -> Retrieval:
        return retrieve(
            self.snapshot,
            self.embedder,
            clean_question(question),
            k or self.settings.k,
            self.settings.retrieval,
            self.multilingual,
        )

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        if not has_words(clean_question(query)):
            return []
        return list(self.retrieve(query, k).hits)

    def ask(
        self, question: str, k: int | None = None, history: History = (), strictness: float | None = None
    ) -> Answer:
        """Answer extractively; a follow-up is asked with the earlier turns' topic and never repeats their
        answers. `strictness` overrides the settings'."""
        question = clean_question(question)
        query = follow_up_query(question, history)
        unclear = unclear_question(query)
        if unclear:
            return Answer(question, unclear, False, (), reason=unclear)
        snapshot = self.snapshot
        retrieval = retrieve(
            snapshot, self.embedder, query, k or self.settings.k, self.settings.retrieval, self.multilingual
        )
        strictness = self.settings.strictness if strictness is None else strictness
        said = earlier_answers(question, history)
        answer = extractive_answer(
            question,
            retrieval,
            self.embedder,
            snapshot.sparse,
            self.weights,
            snapshot.sentences,
            strictness,
            said,
        )
        return self.located(answer, snapshot)

    def located(self, answer: Answer, snapshot: storage.Snapshot | None = None) -> Answer:
        """The answer with the page boxes of each citation, where its file has them (PDFs, images)."""
        snapshot = snapshot or self.snapshot
        citations = tuple(
            replace(c, boxes=span_boxes(snapshot.regions(c.source, c.start, c.end), c.start, c.end))
            for c in answer.citations
        )
        return replace(answer, citations=citations)

    def decision(self, query: str, retrieval: Retrieval | None = None) -> Decision:
        """Whether the passages answer `query`, by the same evidence as extractive answers."""
        snapshot = self.snapshot
        retrieval = retrieval or self.retrieve(query)
        return judge(
            query,
            retrieval,
            self.embedder,
            snapshot.sparse,
            self.weights,
            snapshot.sentences,
            self.settings.strictness,
        )[1]

    def stream(self, question: str, k: int | None = None, history: History = (), mode: str = "auto") -> AnswerStream:
        """The answer's text as it is produced, then the Answer as `.answer`; uses the LLM endpoint when configured."""
        return AnswerStream(self._parts(question, k, history, mode))

    def _parts(self, question: str, k: int | None, history: History, mode: str) -> Iterator[str | Answer]:
        """Text as it is produced, and last the Answer."""
        from qa import generate

        use_llm = mode == "llm" or (mode == "auto" and generate.llm_configured(self.settings))
        if not use_llm or not generate.llm_configured(self.settings):
            answer = self.ask(question, k, history)
            yield answer
            yield answer.answer
            return
        question = clean_question(question)
        unclear = unclear_question(question)
        if unclear:
            yield unclear
            yield Answer(question, unclear, False, (), reason=unclear)
            return
        try:
            query = generate.rewrite_question(self.settings, history, question)
            retrieval = self.retrieve(query, k)
            hits = retrieval.hits
            missing = self.decision(query, retrieval).reason if hits else ""
            if not hits or missing:
                answer = self.located(refusal(question, hits, missing))  # the model is not asked to make one up
                yield answer.answer
                yield answer
                return
            for part in generate.stream_answer(self.settings, question, history, hits):
                yield self.located(part) if isinstance(part, Answer) else part
        except LLMError as exc:
            answer = self.ask(question, k, history)
            notice = str(exc)
            yield f"\n{notice}\n\n"
            yield answer.answer
            yield replace(answer, notice=notice)


class AnswerStream:
    """Iterating yields the answer's text as it is produced; `answer` is the finished Answer (it reads the rest
    of the text first, if it has not been read)."""

    def __init__(self, parts: Iterator[str | Answer]) -> None:
        self._parts = parts
        self._answer: Answer | None = None

    @property
    def known(self) -> Answer | None:
        """The finished Answer where it came before its text (extractive answers), else None until the end."""
        return self._answer

    def __iter__(self) -> Iterator[str]:
        for part in self._parts:
            if isinstance(part, Answer):
                self._answer = part
            else:
                yield part

    @property
    def answer(self) -> Answer:
        if self._answer is None:
            for _ in self:
                pass
        if self._answer is None:
            raise QAError("no answer came back; try again")
        return self._answer


def has_words(text: str) -> bool:
    """Whether the text has a letter or digit to search for."""
    return any(ch.isalnum() for ch in text)


def unclear_question(question: str) -> str:
    """Why a question cannot be searched for, or "" when it can."""
    if not has_words(question):
        return "Please ask a question in words."
    if not terms(question):
        return "The question has only common words (such as what, is, the); ask with the words of your topic."
    return ""


def open_index(settings: Settings) -> Index:
    return Index(settings)

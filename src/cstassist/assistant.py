"""The assistant: one object that loads the model and index once and answers searches and questions.

Both the API and the CLI use it; it owns validation of questions and the audience rule.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

from .answerability import Judge, Model, Verdict
from .answering import Answerer, create_answerer
from .conversation import ConversationStore
from .database import DatabaseUnavailable
from .documents import Answer, Passage
from .embedding import Embedder, create_embedder
from .errors import BadRequest, NotFound
from .filters import Filters
from .followup import resolve
from .glossary import Vocabulary
from .index import DocumentInfo, Index
from .lexical import LexicalIndex, tokenize
from .outline import Outline
from .query_vectors import QueryVectors
from .retrieval import HybridRetriever, Mode
from .settings import Settings

MAX_K = 50
log = logging.getLogger(__name__)


def _model(settings: Settings) -> Model:
    """The bundled answerability model, with the thresholds the settings override (if any)."""
    model = Model.bundled()
    r = settings.retrieval
    if r.answer_at is not None or r.related_at is not None:
        model = replace(
            model,
            answer_at=model.answer_at if r.answer_at is None else r.answer_at,
            related_at=model.related_at if r.related_at is None else r.related_at,
        )
    return model


@dataclass
class Reply:
    answer: Answer
    conversation_id: str
    answer_id: str
    took_ms: float


class Assistant:
    def __init__(self, settings: Settings, index: Index, embedder: Embedder, answerer: Answerer | None = None) -> None:
        self.settings = settings
        self.index = index
        self.embedder = QueryVectors.around(embedder)  # a question asked again is embedded once
        self.retriever = HybridRetriever(index, self.embedder, settings.retrieval)
        self.outline = Outline(index.store, lambda: index.lexical().generation)
        self.vocabulary = Vocabulary(settings.glossary_file, index.store, settings.data_dir)
        self.answerer = answerer or create_answerer(settings.llm, settings.retrieval, self.outline)
        self.judge = Judge(_model(settings), settings.retrieval.broad_at)
        self.conversations = ConversationStore(index.db)

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> Assistant:
        index = Index(settings)
        assistant = cls(settings, index, embedder or create_embedder(settings.embedding))
        index.lexical()  # load (or rebuild) BM25 now, not on the first request
        assistant.vocabulary.glossary(("public",), index.lexical().generation)  # and learn the papers' acronyms now
        return assistant

    def _check_question(self, text: Any, what: str = "question") -> str:
        if not isinstance(text, str) or not text.strip():
            raise BadRequest(f"the {what} is empty")
        if len(text) > self.settings.limits.max_question_chars:
            raise BadRequest(f"the {what} is {len(text)} characters; the limit is {self.settings.limits.max_question_chars}")
        return text.strip()

    @staticmethod
    def _check_k(k: Any) -> int:
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            raise BadRequest(f"k must be an integer from 1 to {MAX_K}")
        return k

    def search(
        self,
        query: str,
        k: int = 5,
        audiences: tuple[str, ...] = ("public",),
        filters: dict[str, Any] | None = None,
        mode: Mode | None = None,
    ) -> list[Passage]:
        """The top ``k`` passages for ``query`` among documents the caller's audiences may see."""
        query = self._check_question(query, "query")
        flt = Filters.from_request(filters, audiences)
        lexical = self.index.lexical()
        return self.retriever.search(self.expand_query(query, flt, lexical)[0], self._check_k(k), flt, mode, lexical)

    def ask(
        self,
        question: str,
        k: int = 5,
        audiences: tuple[str, ...] = ("public",),
        filters: dict[str, Any] | None = None,
        conversation_id: str | None = None,
        mode: Mode | None = None,
        owner: str = "local",
    ) -> Reply:
        """A cited answer (or an abstention); follow-ups are resolved against the conversation.

        ``owner`` is the caller identity (``access.Caller.identity``): a ``conversation_id`` that ``owner`` did not
        start is treated as unknown, and the reply carries a new one. With the database unreachable the question
        is answered on its own, unrecorded."""
        started = time.perf_counter()
        question = self._check_question(question)
        k = self._check_k(k)
        flt = Filters.from_request(filters, audiences)
        if conversation_id is not None and (not isinstance(conversation_id, str) or not 8 <= len(conversation_id) <= 64):
            raise BadRequest("conversation_id must be a string of 8 to 64 characters")
        previous = None
        try:
            conversation_id, previous_query = self.conversations.resume(conversation_id, owner)
            remember = True
            query = resolve(question, previous_query)
            if query != question and previous_query:  # a follow-up: its answer must not repeat the last one
                previous = self.conversations.last_answer(conversation_id)
        except DatabaseUnavailable:
            log.warning("database unavailable: answering without conversation context")
            conversation_id, previous_query, remember = ConversationStore.new_id(), None, False
            query = question
        if previous is None and query != question and previous_query:
            # not recorded (the CLI and the evaluation keep no answer records): the same search answers it again
            previous = self._answer(previous_query, previous_query, k, flt, mode).text
        answer = self._answer(question, query, k, flt, mode, previous)
        answer_id = uuid.uuid4().hex
        if remember:
            try:
                self.conversations.add(conversation_id, question, query, answer_id, owner)
            except DatabaseUnavailable:
                log.warning("database unavailable: this turn is not remembered")
        return Reply(answer, conversation_id, answer_id, (time.perf_counter() - started) * 1000)

    def _answer(self, question: str, query: str, k: int, flt: Filters, mode: Mode | None, previous: str | None = None) -> Answer:
        lexical = self.index.lexical()
        query, explained = self.expand_query(query, flt, lexical)  # the words members use, and the papers' own acronyms
        # a broad question's key points may come from further down than k (the verdict reads the top k)
        passages = self.retriever.search(query, max(k, self.settings.retrieval.compose_passages), flt, mode, lexical)
        verdict = self.verdict(question, query, passages[:k], flt, lexical=lexical, known=explained)
        if verdict.scope is not None and not verdict.scope.broad:
            passages = passages[:k]
        return self.answerer.answer(question, query, passages, verdict, previous)

    def expand_query(self, query: str, flt: Filters, lexical: LexicalIndex | None = None) -> tuple[str, set[str]]:
        """``query`` with the glossary's other names for what it mentions, where the papers use those more."""
        lexical = lexical or self.index.lexical()

        def frequency(term: str) -> int:
            tokens = tokenize([term])[0]
            if not tokens:
                return 0
            _, df = lexical.document_frequency(tokens, flt)
            return min(df.get(t, 0) for t in tokens)

        return self.vocabulary.expand(query, flt.audiences, lexical.generation, frequency)

    def verdict(
        self,
        question: str,
        query: str,
        passages: list[Passage],
        flt: Filters,
        every_signal: bool = False,
        lexical: LexicalIndex | None = None,
        known: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> Verdict:
        """Whether ``passages`` answer the question: the outcome and the signals it was decided on. ``known``: words
        of the question the glossary explained (not unknown names, though the papers never use them)."""
        lexical = lexical or self.index.lexical()
        return self.judge.judge(
            query,
            question,
            passages,
            lambda tokens: lexical.document_frequency(tokens, flt),
            self.embedder.embed_query,
            every_signal,
            known,
        )

    def documents(self, audiences: tuple[str, ...]) -> list[DocumentInfo]:
        return self.index.documents(audiences)

    def document(self, document_id: str, audiences: tuple[str, ...]) -> DocumentInfo:
        for d in self.index.documents(audiences):
            if d.meta.document_id == document_id:
                return d
        raise NotFound(f"no document {document_id[:80]!r}")  # same answer whether it is missing or members-only

    def ready(self) -> dict[str, Any]:
        """Index and model state for /readyz, with ``database``: ok or unavailable."""
        status = self.index.status()
        status["model"] = self.embedder.name
        status["lexical_chunks"] = len(self.index.lexical())
        return status

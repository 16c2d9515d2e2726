"""Runs the gold set through the assistant, mode by mode, and scores every question.

For each mode (``hybrid`` is the product; ``dense`` and ``lexical`` are the baselines) every gold item
is asked through ``Assistant.ask`` exactly as a user would ask it, follow-ups in the conversation of
the question they follow; then the query the assistant actually searched with (after follow-up
resolution) is searched again for the ranked passages the retrieval metrics need.

>>> assistant = open_assistant(settings)
>>> report = evaluate(assistant, load_gold())
>>> report["summary"]["hybrid"]["hit_at_1"]
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cstassist.assistant import Assistant
from cstassist.conversation import ConversationStore
from cstassist.documents import Answer, Passage
from cstassist.embedding import Embedder, create_embedder
from cstassist.feedback import FeedbackStore
from cstassist.filters import Filters
from cstassist.followup import resolve
from cstassist.locking import DataDirBusy
from cstassist.retrieval import Mode
from cstassist.settings import Settings

from . import metrics
from .abstention import sweep
from .gold import DEFAULT_GOLD, GoldItem, Target

log = logging.getLogger("cstassist.evals")

MODES: tuple[Mode, ...] = ("hybrid", "dense", "lexical")
NDCG_AT = 10
SNIPPET_CHARS = 300


@dataclass(frozen=True)
class EvalOptions:
    k: int = 5
    modes: tuple[Mode, ...] = MODES
    # staff's view of the index: gold questions may be about members-only documents too
    audiences: tuple[str, ...] = ("public", "members")
    answers: bool = True  # False: retrieval only (enough for the abstention sweep, and quicker)


def open_assistant(settings: Settings, embedder: Embedder | None = None, ingest_corpus: bool = True) -> Assistant:
    """The assistant over ``settings.data_dir``, with the bundled corpus ingested first (incremental:
    nothing is re-done when the index is up to date). Evaluation turns go to an in-memory conversation
    store, not the data directory's."""
    embedder = embedder or create_embedder(settings.embedding)
    if ingest_corpus:
        from cstassist.ingest import ingest

        try:
            report = ingest(None, settings, embedder=embedder)
        except DataDirBusy:
            log.warning("the data directory is in use (a running service?); evaluating the index as it is")
        else:
            for name, reason in report.failed:
                log.warning("ingest failed for %s: %s", name, reason)
    assistant = Assistant.open(settings, embedder)
    assistant.conversations = ConversationStore(Path(":memory:"))
    return assistant


def evaluate(
    assistant: Assistant, items: list[GoldItem], options: EvalOptions | None = None, gold_path: Path | None = None
) -> dict[str, Any]:
    """Score every item in every mode; returns the whole report (see ``evals/README.md``)."""
    options = options or EvalOptions()
    questions = {mode: run_mode(assistant, items, mode, options) for mode in options.modes}
    summary = {mode: summarize(records, options.k) for mode, records in questions.items()}
    path = Path(gold_path or DEFAULT_GOLD)
    return {
        "format": 1,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "gold": {
            "path": str(path),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else None,
            "items": len(items),
            "answerable": sum(i.answerable for i in items),
            "unanswerable": sum(i.kind == "unanswerable" for i in items),
            "broad": sum(i.broad for i in items),
        },
        "k": options.k,
        "modes": list(options.modes),
        "answers": options.answers,
        "answerability": {
            "answer_at": assistant.judge.model.answer_at,
            "related_at": assistant.judge.model.related_at,
            "model": assistant.judge.model.info,
        },
        "answerer": type(assistant.answerer).__name__,
        "embedder": assistant.embedder.name,
        "index": assistant.index.status(),
        "unreachable": unreachable(assistant, items),
        "summary": summary,
        "sweep": {mode: sweep(records, current=assistant.judge.model.answer_at) for mode, records in questions.items()},
        "questions": questions,
    }


def run_mode(assistant: Assistant, items: list[GoldItem], mode: Mode, options: EvalOptions) -> list[dict[str, Any]]:
    """One record per item, in gold order (follow-ups after the question they follow)."""
    by_id = {i.id: i for i in items}
    conversation_of: dict[str, str] = {}  # item id -> the conversation it was asked in
    last_turn: dict[str, str] = {}  # conversation id -> the item asked last in it
    query_of: dict[str, str] = {}
    records = []
    assistant.search("school trust governance", k=options.k, audiences=options.audiences, mode=mode)  # warm-up, untimed
    for item in items:
        reply_answer, ask_ms = None, None
        if options.answers:
            conversation = None
            if item.follow_up_of:
                conversation = conversation_of.get(item.follow_up_of)
                if conversation is None or last_turn.get(conversation) != item.follow_up_of:
                    conversation = _replay(assistant, _chain(by_id, item.follow_up_of), mode, options)
            started = time.perf_counter()
            reply = _ask(assistant, item.question, options, conversation, mode)
            ask_ms = (time.perf_counter() - started) * 1000
            conversation_of[item.id] = reply.conversation_id
            last_turn[reply.conversation_id] = item.id
            reply_answer = reply.answer
            query = reply.answer.query
        else:
            previous = query_of.get(item.follow_up_of) if item.follow_up_of else None
            query = resolve(item.question.strip(), previous)
        query_of[item.id] = query
        started = time.perf_counter()
        passages = assistant.search(query, k=max(options.k, NDCG_AT), audiences=options.audiences, mode=mode)
        search_ms = (time.perf_counter() - started) * 1000
        record = score_retrieval(item, query, passages, options.k)
        record["search_ms"] = round(search_ms, 2)
        # the answerability signals of the same top passages the answer was judged on (what evals/answerability.py fits)
        flt = Filters.from_request(None, options.audiences)
        _, known = assistant.expand_query(query, flt)  # the glossary terms the live answer was judged knowing
        verdict = assistant.verdict(item.question.strip(), query, passages[: options.k], flt, every_signal=True, known=known)
        record["confidence"] = round(verdict.probability, 5)
        record["signals"] = {k: round(v, 5) for k, v in verdict.signals.items()}
        if reply_answer is not None:
            record["answer"] = score_answer(item, reply_answer)
            record["ask_ms"] = round(ask_ms or 0.0, 2)
            record["abstained"] = reply_answer.abstained
            record["abstention_correct"] = reply_answer.abstained == (item.kind == "unanswerable")
            record["outcome"] = reply_answer.outcome
        records.append(record)
    return records


def _chain(by_id: dict[str, GoldItem], item_id: str) -> list[GoldItem]:
    chain = [by_id[item_id]]
    while chain[0].follow_up_of:
        chain.insert(0, by_id[chain[0].follow_up_of])
    return chain


def _replay(assistant: Assistant, chain: list[GoldItem], mode: Mode, options: EvalOptions) -> str:
    """A fresh conversation holding exactly ``chain``'s turns (for a second follow-up of one question)."""
    conversation = None
    for item in chain:
        conversation = _ask(assistant, item.question, options, conversation, mode).conversation_id
    assert conversation is not None
    return conversation


def _ask(assistant: Assistant, question: str, options: EvalOptions, conversation: str | None, mode: Mode):  # type: ignore[no-untyped-def]
    """``Assistant.ask``, and the answer recorded as the API records it, so a follow-up sees what was answered."""
    reply = assistant.ask(question, k=options.k, audiences=options.audiences, conversation_id=conversation, mode=mode)
    FeedbackStore(assistant.conversations.db).record_answer(
        reply.answer_id, question, reply.answer.text, [], reply.answer.abstained
    )
    return reply


def covers(targets: tuple[Target, ...], passages: list[Passage]) -> list[set[int]]:
    """For each passage, the indexes of the targets whose evidence it carries."""
    return [{i for i, t in enumerate(targets) if t.matches(p.document_id, p.text)} for p in passages]


def score_retrieval(item: GoldItem, query: str, passages: list[Passage], k: int) -> dict[str, Any]:
    targets = item.targets
    cov = covers(targets, passages)
    record: dict[str, Any] = {
        "id": item.id,
        "kind": item.kind,
        "split": item.split,
        "category": item.category,
        "type": question_type(item),
        "question": item.question,
        "query": query,
        "documents": list(item.documents),
        "evidence": list(item.evidence),
        # what the answerer's abstention rule looks at: the best similarity among the top passages
        "best_similarity": max((p.similarity or 0.0 for p in passages[: min(k, 5)]), default=0.0),
        "retrieved": [
            {
                "chunk_id": p.chunk_id,
                "document_id": p.document_id,
                "section": p.section,
                "similarity": None if p.similarity is None else round(p.similarity, 4),
                "score": p.score,
                "hit": bool(c),
                "snippet": " ".join(p.text.split())[:SNIPPET_CHARS],
            }
            for p, c in zip(passages, cov)
        ],
    }
    if item.broad:
        # what the answer could state at best: the key points the top passages hold between them
        record["key_points_top3"] = _points_share(item, passages[:3])
        record["key_points_top10"] = _points_share(item, passages[:10])
    if item.answerable:
        record.update(
            first_hit_rank=metrics.first_hit_rank(cov, k),
            recall=metrics.recall_at(cov, len(targets), k),
            reciprocal_rank=metrics.reciprocal_rank(cov, k),
            ndcg=round(metrics.binary_ndcg(cov, len(targets), NDCG_AT), 4),
        )
    return record


def _points_share(item: GoldItem, passages: list[Passage]) -> float:
    stated = item.points_stated("\n".join(p.text for p in passages))
    return sum(stated) / len(stated) if stated else 0.0


def score_answer(item: GoldItem, answer: Answer) -> dict[str, Any]:
    targets = item.targets
    cited = [
        {
            "n": c.n,
            "document_id": c.passage.document_id,
            "chunk_id": c.passage.chunk_id,
            "relevant": any(t.matches(c.passage.document_id, c.passage.text) for t in targets),
        }
        for c in answer.citations
    ]
    text = metrics.strip_markers(answer.text)
    answered = not answer.abstained
    points = item.points_stated(text) if item.broad else []
    return {
        "text": answer.text,
        "abstained": answer.abstained,
        "citations": cited,
        "flagged": len(answer.flagged),
        "outcome": answer.outcome,
        # strict: the evidence is in what the member reads, not only in a passage the answer cites
        "evidence_in_text": any(t.found_in(text) for t in targets) if item.answerable and answered else None,
        "evidence_found": (
            answered
            and any(
                t.found_in(text) or any(t.matches(c.passage.document_id, c.passage.text) for c in answer.citations)
                for t in targets
            )
        )
        if item.answerable
        else None,
        "citation_precision": metrics.mean(c["relevant"] for c in cited) if item.answerable and answered and cited else None,
        "markers_resolve": metrics.markers_resolve(answer.text, (c.n for c in answer.citations)) if answered else None,
        # broad questions, strict like evidence_in_text: the key points stated in what the member reads
        "points_stated": points,
        "key_point_recall": metrics.key_point_recall(points) if item.broad else None,
        "words": len(text.split()),
    }


def question_type(item: GoldItem) -> str:
    if item.broad:
        return "broad"
    if not item.answerable:
        return "unanswerable"
    if item.follow_up_of:
        return "follow-up"
    return "multi-document" if len(item.documents) > 1 else "single-document"


def summarize(records: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """The headline numbers of one mode, over all items and for each split of the gold set."""
    out = summarize_records(records, k)
    out["by_split"] = {
        split: summarize_records(group, k)
        for split in ("dev", "heldout")
        if (group := [r for r in records if r.get("split", "dev") == split])
    }
    for group in out["by_split"].values():
        group.pop("by_type", None)
    return out


def summarize_records(records: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """The headline numbers of a set of records (None where nothing was measured)."""
    ans = [r for r in records if r["kind"] == "answerable"]
    una = [r for r in records if r["kind"] == "unanswerable"]
    broad = [r for r in records if r["kind"] == "broad"]
    broad_asked = [r for r in broad if "answer" in r]
    asked = [r for r in records if "answer" in r]
    out: dict[str, Any] = {
        "answerable": len(ans),
        "unanswerable": len(una),
        "hit_at_1": metrics.mean(r["first_hit_rank"] == 1 for r in ans),
        "recall_at_k": metrics.mean(r["recall"] for r in ans),
        "mrr": metrics.mean(r["reciprocal_rank"] for r in ans),
        "ndcg_at_10": metrics.mean(r["ndcg"] for r in ans),
        "evidence_in_answer": metrics.mean(r["answer"]["evidence_found"] for r in asked if r["kind"] == "answerable"),
        "citation_precision": metrics.mean(r["answer"]["citation_precision"] for r in asked),
        "citations_resolve": metrics.mean(r["answer"]["markers_resolve"] for r in asked),
        # outcomes: answerable questions should get `answer`, unanswerable ones `related` or `none`
        "answer_rate": metrics.mean(r["outcome"] == "answer" for r in asked if r["kind"] == "answerable"),
        "evidence_in_answer_text": metrics.mean(
            r["answer"]["evidence_in_text"] for r in asked if r["kind"] == "answerable" and r["outcome"] == "answer"
        ),
        "false_answer_rate": metrics.mean(r["outcome"] == "answer" for r in asked if r["kind"] == "unanswerable"),
        "unanswerable_related": metrics.mean(r["outcome"] == "related" for r in asked if r["kind"] == "unanswerable"),
        "unanswerable_none": metrics.mean(r["outcome"] == "none" for r in asked if r["kind"] == "unanswerable"),
        "abstention_accuracy": metrics.mean(r["abstained"] for r in asked if r["kind"] == "unanswerable"),
        "false_abstention": metrics.mean(r["abstained"] for r in asked if r["kind"] == "answerable"),
        "search_ms_p50": metrics.percentile([r["search_ms"] for r in records], 50),
        "search_ms_p95": metrics.percentile([r["search_ms"] for r in records], 95),
        "ask_ms_p50": metrics.percentile([r["ask_ms"] for r in asked], 50),
        "ask_ms_p95": metrics.percentile([r["ask_ms"] for r in asked], 95),
        "broad": len(broad),
        # broad questions: key-point recall (strict, answer text only), the share given at least half their key
        # points, and the ceiling retrieval leaves (key points held by the top 3 / top 10 passages)
        "key_point_recall": metrics.mean(r["answer"]["key_point_recall"] for r in broad_asked),
        "broad_half_points": metrics.mean(metrics.half_stated(r["answer"]["points_stated"]) for r in broad_asked),
        "broad_answer_rate": metrics.mean(r["outcome"] == "answer" for r in broad_asked),
        "broad_words_p50": metrics.percentile([r["answer"]["words"] for r in broad_asked], 50),
        "key_points_top3": metrics.mean(r["key_points_top3"] for r in broad),
        "key_points_top10": metrics.mean(r["key_points_top10"] for r in broad),
        "by_type": {},
    }
    for kind in ("single-document", "multi-document", "follow-up"):
        group = [r for r in ans if r["type"] == kind]
        if group:
            out["by_type"][kind] = {
                "n": len(group),
                "hit_at_1": metrics.mean(r["first_hit_rank"] == 1 for r in group),
                "recall_at_k": metrics.mean(r["recall"] for r in group),
                "mrr": metrics.mean(r["reciprocal_rank"] for r in group),
            }
    return out


def unreachable(assistant: Assistant, items: list[GoldItem]) -> list[dict[str, str]]:
    """Targets whose evidence is in no indexed passage at all: no retrieval can find them (a gold or
    chunking problem, reported apart from retrieval misses)."""
    chunks: dict[str, list[str]] = {}
    for _, texts, metas, _ in assistant.index.store.iter_all():
        for text, meta in zip(texts, metas):
            chunks.setdefault(str(meta.get("document_id", "")), []).append(text)
    out = []
    for item in items:
        for t in item.targets:
            if not any(t.matches(t.document_id, text) for text in chunks.get(t.document_id, [])):
                out.append({"id": item.id, "document_id": t.document_id, "evidence": " | ".join(t.evidence)})
    return out

"""POST /v1/search and POST /v1/ask (JSON or server-sent events)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from cstassist.assistant import Reply
from cstassist.database import DatabaseUnavailable

from .deps import CallerDep, ServicesDep, session_headers
from .schemas import ERRORS, AskIn, AskOut, CitationOut, PassageOut, PointOut, SearchIn, SearchOut

router = APIRouter(prefix="/v1", tags=["query"])
log = logging.getLogger("cstassist.api")


def _filters(body: SearchIn | AskIn) -> dict[str, Any] | None:
    return body.filters.model_dump(exclude_none=True) if body.filters else None


def _json(payload: dict[str, Any], request: Request) -> Response:
    """The payload as JSON, serialised once by orjson (the route's response model still documents it), with the
    anonymous session's headers (a response built by hand does not get those the dependencies set)."""
    return Response(orjson.dumps(payload), media_type="application/json", headers=session_headers(request))


async def _require_documents(services: Any) -> None:
    if not services.documents_known():  # counted at most every few seconds, off the event loop
        await run_in_threadpool(services.require_documents)


@router.post("/search", response_model=SearchOut, responses=ERRORS)
async def search(body: SearchIn, request: Request, caller: CallerDep, services: ServicesDep) -> Any:
    """The top passages for a query, with their citation facts (503 `not_ready` when the index holds no documents)."""
    await _require_documents(services)
    started = time.perf_counter()
    results = await run_in_threadpool(services.assistant.search, body.query, body.k, caller.audiences, _filters(body))
    out = SearchOut(results=[PassageOut.of(p) for p in results], took_ms=round((time.perf_counter() - started) * 1000, 2))
    return _json(out.model_dump(), request)


def _payload(reply: Reply) -> dict[str, Any]:
    return AskOut(
        answer=reply.answer.text,
        outcome=reply.answer.outcome,
        confidence=None if reply.answer.confidence is None else round(reply.answer.confidence, 4),
        citations=[CitationOut.of(c) for c in reply.answer.citations],
        points=[PointOut(**p) for p in reply.answer.points],
        abstained=reply.answer.abstained,
        conversation_id=reply.conversation_id,
        answer_id=reply.answer_id,
        took_ms=round(reply.took_ms, 2),
    ).model_dump()


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _stream(reply: Reply) -> AsyncIterator[str]:
    yield _sse("meta", {"conversation_id": reply.conversation_id, "answer_id": reply.answer_id})
    words = reply.answer.text.split(" ")
    for i in range(0, len(words), 4):
        piece = " ".join(words[i : i + 4])
        yield _sse("token", {"text": piece if i == 0 else " " + piece})
    yield _sse("done", _payload(reply))


@router.post(
    "/ask",
    response_model=AskOut,
    responses={**ERRORS, 200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE events meta/token/done"}},
)
async def ask(body: AskIn, request: Request, caller: CallerDep, services: ServicesDep) -> Any:
    """A short answer quoted from CST's papers, cited (`outcome` answer); or, when the guidance does not answer the
    question, the closest passages framed as such (`related`) or a plain "not found" (`none`). An index that holds
    no documents at all (nothing ingested, or a mistyped CSTASSIST_DATA_DIR) is a 503 `not_ready` saying so."""
    await _require_documents(services)
    reply = await run_in_threadpool(
        services.assistant.ask,
        body.question,
        body.k,
        caller.audiences,
        _filters(body),
        body.conversation_id,
        owner=caller.identity,
    )
    payload = _payload(reply)
    services.metrics.answered(reply.answer.abstained)

    def record() -> None:  # database writes: kept off the event loop, in one hop
        services.feedback.record_answer(
            reply.answer_id, body.question, reply.answer.text, payload["citations"], reply.answer.abstained, caller.identity
        )
        # the outcome and confidence too, for the staff console's questions report
        request.app.state.console.questions.record(reply.answer_id, reply.answer.outcome, reply.answer.confidence)

    try:
        await run_in_threadpool(record)
    except DatabaseUnavailable:
        log.warning("database unavailable: answer %s is not recorded (feedback on it will be refused)", reply.answer_id)
    if body.stream or "text/event-stream" in request.headers.get("accept", ""):
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **session_headers(request)}
        return StreamingResponse(_stream(reply), media_type="text/event-stream", headers=headers)
    return _json(payload, request)

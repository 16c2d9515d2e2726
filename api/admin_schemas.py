"""Request and response bodies of /v1/admin (the staff console's API; documented at /docs)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .schemas import ErrorOut


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SignInIn(_Strict):
    key: str = Field(min_length=1, max_length=200, description="An admin key (`cstassist keys create --scope admin`).")


class SessionOut(BaseModel):
    key_id: str
    actor: str
    via: Literal["key", "session"]
    csrf: str | None = Field(None, description="Send it back as X-CSRF-Token on every POST and DELETE of the session.")
    idle_s: int = Field(description="The session ends after this many seconds without a request.")


class StaffDocumentOut(BaseModel):
    document_id: str
    title: str
    file: str
    kind: str
    published: str | None = None
    author: str | None = None
    url: str | None = None
    audience: str
    superseded_by: str | None = None
    layout: str = "prose"
    status: Literal["indexed", "failed", "hidden text dropped", "superseded", "retired", "pending"]
    error: str | None = Field(None, description="Why the last upload or re-index failed, in one line.")
    dropped: str | None = Field(None, description="What the last ingest dropped or redacted (hidden text), in one line.")
    chunks: int
    uploaded: bool = Field(description="The file is kept by the console (it can be re-indexed from it).")
    updated_at: float | None = None


class StaffDocumentsOut(BaseModel):
    documents: list[StaffDocumentOut]


class JobStarted(BaseModel):
    job_id: str
    document_id: str | None = None


class JobOut(BaseModel):
    job_id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float = Field(description="0 to 1.")
    stage: str
    error: str | None = None
    result: dict[str, Any]
    actor: str
    created_at: float
    updated_at: float


class PassageRowOut(BaseModel):
    chunk_id: str
    ordinal: int
    section: str = Field(description="The heading path, ' > '-joined.")
    page: int | None
    hidden_text: bool
    audience: str | None
    text: str


class PassagesOut(BaseModel):
    document_id: str
    passages: list[PassageRowOut]


class AuditOut(BaseModel):
    entries: list[dict[str, Any]] = Field(description="{at, actor, action, target, detail}, newest first.")


class GoldCandidateIn(_Strict):
    answer_id: str = Field(min_length=1, max_length=64)


class EvalIn(_Strict):
    modes: list[Literal["hybrid", "dense", "lexical"]] = Field(default_factory=lambda: ["hybrid"], min_length=1, max_length=3)
    k: int = Field(5, ge=1, le=50)
    limit: int | None = Field(None, ge=1, le=100_000, description="Run only the gold set's first N items (a quick check).")


ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {s: {"model": ErrorOut} for s in (400, 401, 403, 404, 413, 415, 422, 429)}

"""Request and response bodies of /v1 (they document the API at /docs)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from cstassist.documents import Citation, Passage


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Date = Annotated[str, StringConstraints(pattern=r"^[1-9]\d{3}(-(0?[1-9]|1[0-2])(-(0?[1-9]|[12]\d|3[01]))?)?$")]


def _whole_number(v: Any) -> Any:
    """JSON Schema counts 5.0 as an integer; accept it, but never "5" or true."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


K = Annotated[int, Field(ge=1, le=50), BeforeValidator(_whole_number)]
# at least one character that is not whitespace to Python either: \x1c-\x1f are whitespace to str.strip() (so the
# question would be empty) but not to the schema's regex engine; found by the OpenAPI fuzzing
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"[^\s\x1c-\x1f]")]


class FiltersIn(_Strict):
    document_id: Name | None = None
    document_ids: list[Name] | None = Field(None, min_length=1, max_length=100)
    kind: Name | None = None
    kinds: list[Name] | None = Field(None, min_length=1, max_length=100)
    published_from: Date | None = Field(None, description="YYYY, YYYY-MM or YYYY-MM-DD")
    published_to: Date | None = Field(None, description="YYYY, YYYY-MM or YYYY-MM-DD")


class SearchIn(_Strict):
    query: Text = Field(..., description="What to search for (1-2000 characters).")
    k: K = 5
    filters: FiltersIn | None = None


class AskIn(_Strict):
    question: Text = Field(..., description="The question (1-2000 characters).")
    conversation_id: str | None = Field(
        None, min_length=8, max_length=64, description="Continue a conversation (from a previous reply)."
    )
    k: K = 5
    filters: FiltersIn | None = None
    stream: bool = Field(False, description="Stream the answer as server-sent events.")


class PassageOut(BaseModel):
    chunk_id: str
    document_id: str
    title: str
    section: str
    page: int | None
    published: str | None
    url: str | None
    superseded_by: str | None = Field(None, description="Id of the newer document that replaces this one, if any.")
    superseded_by_title: str | None = None
    source: str
    text: str
    score: float

    @classmethod
    def of(cls, p: Passage) -> PassageOut:
        return cls(**p.citation_facts(), source=p.source, text=p.text, score=p.score)


class SearchOut(BaseModel):
    results: list[PassageOut]
    took_ms: float


class CitationOut(BaseModel):
    n: int
    chunk_id: str
    document_id: str
    title: str
    section: str
    page: int | None = Field(None, description="The page of the quoted sentence (PDFs; null for other formats).")
    page_end: int | None = Field(None, description="The last page of the quote: page + 1 when it turns a page.")
    published: str | None
    url: str | None
    superseded_by: str | None = Field(None, description="Id of the newer document that replaces this one, if any.")
    superseded_by_title: str | None = None
    text: str

    @classmethod
    def of(cls, c: Citation) -> CitationOut:
        return cls(**c.as_dict())


class PointOut(BaseModel):
    text: str = Field(..., description="One or two sentences quoted from the cited passage (or a section heading).")
    n: int = Field(..., description="The citation number (`citations[].n`) the point is quoted from.")
    label: str = Field("", description="The section heading the point comes under, where it helps.")
    document_id: str
    section: str
    title: str


class AskOut(BaseModel):
    answer: str = Field(..., description="What the member reads; its sentences end with [n] citation markers.")
    outcome: Literal["answer", "related", "none"] = Field(
        ...,
        description="answer: the guidance answers the question and `answer` quotes it, cited. related: CST's guidance "
        "does not answer it directly; `answer` says so and lists the closest passages (cited), to be shown as such. "
        "none: nothing relevant was found; no citations.",
    )
    confidence: float | None = Field(
        None, description="The answerability model's probability (0-1) that the top passages answer the question."
    )
    citations: list[CitationOut]
    points: list[PointOut] = Field(
        default_factory=list,
        description="A broad question's composed answer: its key points (also in `answer`, one per line after the lead), "
        "each with its citation number `n`; empty for a one-fact answer.",
    )
    abstained: bool = Field(..., description="True when outcome is not `answer` (kept for clients written before outcomes).")
    conversation_id: str
    answer_id: str
    took_ms: float


class DocumentOut(BaseModel):
    document_id: str
    title: str
    kind: str
    published: str | None
    author: str | None
    url: str | None
    source: str
    chunks: int


class DocumentsOut(BaseModel):
    documents: list[DocumentOut]


class TokenIn(_Strict):
    subject: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:@-]+$",
        description="The portal's own id for the member the token is for (not shown to anyone). Tokens minted for the "
        "same subject share that member's conversations and answers, so a conversation survives a token refresh; "
        "unset: a fresh random subject per token.",
    )


class TokenOut(BaseModel):
    token: str
    expires_at: int
    scope: str


class FeedbackIn(_Strict):
    answer_id: str = Field(..., min_length=1, max_length=64)
    rating: Literal["up", "down"]
    comment: str | None = Field(None, max_length=2000)


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {s: {"model": ErrorOut} for s in (400, 401, 404, 413, 422, 429, 503)}

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
    """Narrow the passages searched; every filter given must hold (unset: no restriction)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"published_from": "2022", "kinds": ["guidance", "report"]}]})

    document_id: Name | None = Field(
        None, description="Only this document (an id from GET /v1/documents).", examples=["what-is-a-strong-trust-2022"]
    )
    document_ids: list[Name] | None = Field(
        None, min_length=1, max_length=100, description="Only these documents (1-100 ids).", examples=[["taking-stock-2019"]]
    )
    kind: Name | None = Field(None, description="Only documents of this kind, as the manifest names it.", examples=["guidance"])
    kinds: list[Name] | None = Field(
        None, min_length=1, max_length=100, description="Only documents of these kinds.", examples=[["guidance", "report"]]
    )
    published_from: Date | None = Field(
        None, description="Only documents published on or after this date: YYYY, YYYY-MM or YYYY-MM-DD.", examples=["2022-01"]
    )
    published_to: Date | None = Field(
        None, description="Only documents published on or before this date: YYYY, YYYY-MM or YYYY-MM-DD.", examples=["2024-12-31"]
    )


class SearchIn(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"query": "reviewing the chief executive's performance", "k": 5}]})

    query: Text = Field(
        ..., description="What to search for (1-2000 characters).", examples=["reviewing the chief executive's performance"]
    )
    k: K = Field(5, description="How many passages to return (1-50).")
    filters: FiltersIn | None = Field(None, description="Narrow the documents searched (unset: all the caller may see).")


class AskIn(_Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"question": "How many domains of an effective trust does CST propose?"}]}
    )

    question: Text = Field(
        ...,
        description="The question, in plain English (1-2000 characters).",
        examples=["How many domains of an effective trust does CST propose?"],
    )
    conversation_id: str | None = Field(
        None,
        min_length=8,
        max_length=64,
        description='Continue a conversation: the conversation_id of a previous reply (a follow-up such as "and how '
        'often?" is then read in its context). Unset: a new conversation.',
    )
    k: K = Field(5, description="How many passages the answer may draw on (1-50).")
    filters: FiltersIn | None = Field(None, description="Narrow the documents searched (unset: all the caller may see).")
    stream: bool = Field(
        False,
        description="Stream the answer as server-sent events (meta, token..., done); also chosen by Accept: text/event-stream.",
    )


_CHUNK = "Stable id of the passage (changes only when its text or position changes)."
_DOC = "Id of the document the passage is from (see GET /v1/documents)."
_SECTION = "The heading path of the passage in its document, e.g. 'Governance > The board'."
_PAGE = "Page number in a PDF; null for other formats."
_PUBLISHED = "Publication date of the document (YYYY, YYYY-MM or YYYY-MM-DD), when known."
_URL = "Where the document can be read in full, when the manifest gives one."
_SUPERSEDED = (
    "Id of the newer document that replaces this one, when the caller may see it; null otherwise "
    "(a members-only replacement is never named to others)."
)
_SUPERSEDED_TITLE = "Title of that newer document (null when superseded_by is)."


class PassageOut(BaseModel):
    chunk_id: str = Field(..., description=_CHUNK)
    document_id: str = Field(..., description=_DOC)
    title: str = Field(..., description="Title of the document.")
    section: str = Field(..., description=_SECTION)
    page: int | None = Field(..., description=_PAGE)
    published: str | None = Field(..., description=_PUBLISHED)
    url: str | None = Field(..., description=_URL)
    superseded_by: str | None = Field(None, description=_SUPERSEDED)
    superseded_by_title: str | None = Field(None, description=_SUPERSEDED_TITLE)
    source: str = Field(..., description="The file the document was ingested from, relative to its corpus folder.")
    text: str = Field(..., description="The passage's text as indexed.")
    score: float = Field(..., description="Relevance from the hybrid search (higher is better; comparable within one reply).")

    @classmethod
    def of(cls, p: Passage) -> PassageOut:
        return cls(**p.citation_facts(), source=p.source, text=p.text, score=p.score)


class SearchOut(BaseModel):
    results: list[PassageOut] = Field(..., description="The best passages first.")
    took_ms: float = Field(..., description="Time the search took on the server, in milliseconds.")


class CitationOut(BaseModel):
    n: int = Field(..., description="The number of the [n] marker in the answer that points here (from 1).")
    chunk_id: str = Field(..., description=_CHUNK)
    document_id: str = Field(..., description=_DOC)
    title: str = Field(..., description="Title of the document.")
    section: str = Field(..., description=_SECTION)
    page: int | None = Field(None, description="The page of the quoted sentence (PDFs; null for other formats).")
    page_end: int | None = Field(None, description="The last page of the quote: page + 1 when it turns a page.")
    published: str | None = Field(..., description=_PUBLISHED)
    url: str | None = Field(..., description=_URL)
    superseded_by: str | None = Field(None, description=_SUPERSEDED)
    superseded_by_title: str | None = Field(None, description=_SUPERSEDED_TITLE)
    text: str = Field(..., description="The cited passage, to show beside the answer.")

    @classmethod
    def of(cls, c: Citation) -> CitationOut:
        return cls(**c.as_dict())


class PointOut(BaseModel):
    text: str = Field(..., description="One or two sentences quoted from the cited passage (or a section heading).")
    n: int = Field(..., description="The citation number (`citations[].n`) the point is quoted from.")
    label: str = Field("", description="The section heading the point comes under, where it helps.")
    document_id: str = Field(..., description=_DOC)
    section: str = Field(..., description=_SECTION)
    title: str = Field(..., description="Title of the document the point is quoted from.")


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
    citations: list[CitationOut] = Field(..., description="The passages the answer cites, in [n] order; empty for none.")
    points: list[PointOut] = Field(
        default_factory=list,
        description="A broad question's composed answer: its key points (also in `answer`, one per line after the lead), "
        "each with its citation number `n`; empty for a one-fact answer.",
    )
    abstained: bool = Field(..., description="True when outcome is not `answer` (kept for clients written before outcomes).")
    conversation_id: str = Field(..., description="Send it back as conversation_id to ask a follow-up in this conversation.")
    answer_id: str = Field(..., description="Identifies this answer for POST /v1/feedback.")
    took_ms: float = Field(..., description="Time the answer took on the server, in milliseconds.")


class DocumentOut(BaseModel):
    document_id: str = Field(..., description="The document's id (a filter value, and in every citation).")
    title: str = Field(..., description="Title of the document.")
    kind: str = Field(..., description="What sort of document it is, as the manifest names it (e.g. guidance, report).")
    published: str | None = Field(..., description=_PUBLISHED)
    author: str | None = Field(..., description="Who wrote it, when the manifest says.")
    url: str | None = Field(..., description=_URL)
    source: str = Field(..., description="The file the document was ingested from, relative to its corpus folder.")
    chunks: int = Field(..., description="How many passages of it are in the index.")


class DocumentsOut(BaseModel):
    documents: list[DocumentOut] = Field(..., description="Every document the caller may see, by id.")


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
    token: str = Field(..., description="The member token: send it as `Authorization: Bearer <token>` from the browser.")
    expires_at: int = Field(..., description="When the token stops working (Unix time, seconds).")
    scope: str = Field(..., description="What the token may read: `members` (members-only and public papers).")


class FeedbackIn(_Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"answer_id": "3f2c9a1b7d5e4c6a", "rating": "up", "comment": "Clear and well sourced."}]}
    )

    answer_id: str = Field(..., min_length=1, max_length=64, description="The answer_id of the reply being rated.")
    rating: Literal["up", "down"] = Field(..., description="up: helpful; down: not helpful.")
    comment: str | None = Field(None, max_length=2000, description="What was good or wrong (optional, up to 2000 characters).")


class ErrorBody(BaseModel):
    code: str = Field(..., description="A stable machine-readable code, e.g. rate_limited, invalid_request, not_ready.")
    message: str = Field(..., description="One line for people: what was wrong and, where it helps, what to do.")


class ErrorOut(BaseModel):
    error: ErrorBody = Field(..., description="What went wrong.")


ERRORS: dict[int | str, dict[str, Any]] = {s: {"model": ErrorOut} for s in (400, 401, 404, 413, 422, 429, 503)}

"""The shared vocabulary: documents, chunks and citations, with the metadata a citation needs."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Audience = Literal["public", "members"]
AUDIENCES: tuple[str, ...] = ("public", "members")


@dataclass(frozen=True)
class DocumentMeta:
    """Facts about one source document, from the manifest or inferred."""

    document_id: str
    title: str
    source: str  # path relative to the ingest root, for people
    kind: str = "document"
    published: str | None = None  # "YYYY", "YYYY-MM" or "YYYY-MM-DD"
    author: str | None = None
    url: str | None = None
    audience: Audience = "public"
    superseded_by: str | None = None  # the document id that replaces this one (manifest ``superseded_by``)
    superseded_by_title: str | None = None
    superseded_by_audience: str | None = None  # who may see the replacement; others are not told of it

    @property
    def published_ord(self) -> int:
        """``published`` as a sortable integer YYYYMMDD (missing parts as 0); 0 when unknown."""
        return published_ord(self.published)


def published_ord(value: str | None) -> int:
    if not value:
        return 0
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", str(value).strip())
    if not m:
        return 0
    y, mo, d = m.group(1), m.group(2) or 0, m.group(3) or 0
    return int(y) * 10000 + int(mo) * 100 + int(d)


@dataclass(frozen=True)
class Chunk:
    """A passage short enough to quote, with where it came from."""

    chunk_id: str
    document_id: str
    text: str
    section: str  # heading path joined with " > "; "" when the document has no headings
    ordinal: int  # position in the document
    page: int | None = None
    hidden_text: bool = False
    page_breaks: tuple[tuple[int, int], ...] = ()  # (char offset, page from there on) where the text turns a page

    def metadata(self, doc: DocumentMeta) -> dict[str, Any]:
        """Flat metadata as stored beside the vector (Chroma accepts str/int/float/bool only)."""
        meta: dict[str, Any] = {
            "document_id": doc.document_id,
            "title": doc.title,
            "source": doc.source,
            "kind": doc.kind,
            "audience": doc.audience,
            "published": doc.published or "",
            "published_ord": doc.published_ord,
            "author": doc.author or "",
            "url": doc.url or "",
            "section": self.section,
            "ordinal": self.ordinal,
            "page": self.page if self.page is not None else -1,
            "page_breaks": format_page_breaks(self.page_breaks),
            "hidden_text": self.hidden_text,
            "superseded_by": doc.superseded_by or "",
            "superseded_by_title": doc.superseded_by_title or "",
            "superseded_by_audience": doc.superseded_by_audience or "",
        }
        return meta


def format_page_breaks(breaks: tuple[tuple[int, int], ...]) -> str:
    """Page turns as Chroma can store them (scalars only): "812:3;1604:4" = page 3 from char 812, ..."""
    return ";".join(f"{offset}:{page}" for offset, page in breaks)


def parse_page_breaks(value: str) -> tuple[tuple[int, int], ...]:
    out = []
    for item in str(value or "").split(";"):
        offset, _, page = item.partition(":")
        if offset.isdigit() and page.isdigit():
            out.append((int(offset), int(page)))
    return tuple(out)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.strip()) >= 12]


def chunk_id(document_id: str, text: str, occurrence: int) -> str:
    """Stable id from content: the same passage in the same document always gets the same id."""
    h = hashlib.sha256(f"{document_id}\x00{occurrence}\x00{text}".encode()).hexdigest()
    return f"{document_id[:40]}-{h[:16]}"


@dataclass
class Passage:
    """A retrieved chunk with its citation facts and scores."""

    chunk_id: str
    document_id: str
    title: str
    section: str
    page: int | None
    published: str | None
    url: str | None
    source: str
    text: str
    kind: str = ""
    audience: str = "public"
    score: float = 0.0
    similarity: float | None = None  # cosine similarity to the query, when the dense search saw it
    superseded_by: str | None = None  # the id of the document that replaces this passage's document
    superseded_by_title: str | None = None
    window_scores: tuple[float, ...] = ()  # cosine of each of its sentence windows (cstassist.windows), when stored
    ranks: dict[str, int] = field(default_factory=dict)
    ordinal: int = -1  # position in its document (chunk order), -1 when not known
    page_breaks: tuple[tuple[int, int], ...] = ()  # where the text turns a page (see ``pages_of``)
    # the windows' own vectors, kept for signals that compare them with a variant of the query
    window_vectors: Any = field(default=None, repr=False, compare=False)

    def set_windows(self, vectors: Any, query_vector: Any) -> None:
        """Keep the passage's window vectors and each one's cosine to ``query_vector`` (none stored: nothing)."""
        if vectors is not None:
            self.window_vectors = vectors
            self.window_scores = tuple((vectors @ query_vector).tolist())  # the same floats as float(x) of each

    @property
    def window_similarity(self) -> float | None:
        """The best sentence window's cosine to the query; None when the passage has no windows stored."""
        return max(self.window_scores) if self.window_scores else None

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Passage:
        page = int(meta.get("page", -1))
        return cls(
            chunk_id=chunk_id,
            document_id=str(meta.get("document_id", "")),
            title=str(meta.get("title", "")),
            section=str(meta.get("section", "")),
            page=page if page >= 0 else None,
            published=str(meta.get("published") or "") or None,
            url=str(meta.get("url") or "") or None,
            source=str(meta.get("source", "")),
            text=text,
            kind=str(meta.get("kind", "")),
            audience=str(meta.get("audience", "public")),
            superseded_by=str(meta.get("superseded_by") or "") or None,
            superseded_by_title=str(meta.get("superseded_by_title") or "") or None,
            ordinal=int(meta.get("ordinal", -1)),
            page_breaks=parse_page_breaks(str(meta.get("page_breaks") or "")),
        )

    def page_at(self, offset: int) -> int | None:
        """The page the character at ``offset`` of the text is on (None for documents without pages)."""
        page = self.page
        for at, p in self.page_breaks:
            if at <= offset:
                page = p
        return page

    def pages_of(self, quote: str) -> tuple[int | None, int | None]:
        """The first and last page of ``quote`` in this passage: the page of the quoted sentence, a range
        when it turns a page. Compared with whitespace collapsed and case ignored; a quote that is not
        found whole is placed by the sentences of it that are; not found at all: the passage's own page.

        >>> passage.pages_of("The board reviews the chief executive's performance every year.")
        (2, 2)
        """
        if not self.page_breaks or not quote.strip():
            return self.page, self.page
        spans = [s for s in (self._find(q) for q in [quote, *_sentences(quote)]) if s is not None]
        if not spans:
            return self.page, self.page
        start, end = (
            spans[0]
            if spans[0][1] - spans[0][0] >= len(" ".join(quote.split())) * 0.9
            else (
                min(s for s, _ in spans),
                max(e for _, e in spans),
            )
        )
        return self.page_at(start), self.page_at(max(start, end - 1))

    def _find(self, quote: str) -> tuple[int, int] | None:
        """Where ``quote`` lies in the text (offsets in the text), whitespace and case aside."""
        words = quote.lower().split()
        if not words:
            return None
        pattern = r"\s+".join(re.escape(w) for w in words)
        m = re.search(pattern, self.text.lower())
        return (m.start(), m.end()) if m else None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("window_vectors", None)
        return out

    def citation_facts(self) -> dict[str, Any]:
        """What a citation shows: where the passage comes from (document, section, page, date, link)."""
        return {
            "chunk_id": self.chunk_id,
            "document_id": self.document_id,
            "title": self.title,
            "section": self.section,
            "page": self.page,
            "published": self.published,
            "url": self.url,
            "superseded_by": self.superseded_by,
            "superseded_by_title": self.superseded_by_title,
        }


@dataclass
class Citation:
    """Passage ``n`` of an answer, and what the answer quotes from it (its page is the quote's page)."""

    n: int
    passage: Passage
    quote: str = ""

    @property
    def pages(self) -> tuple[int | None, int | None]:
        """First and last page of the quote (the passage's page when nothing is quoted or it has no pages)."""
        return self.passage.pages_of(self.quote)

    def as_dict(self) -> dict[str, Any]:
        first, last = self.pages
        return {"n": self.n, **self.passage.citation_facts(), "page": first, "page_end": last, "text": self.passage.text}


def quotes_of(text: str, n: int) -> str:
    """What an answer says against marker ``[n]``: each sentence or line that ends with it, markers removed."""
    out = []
    for part in re.split(r"(?<=\])\s*(?:\n+|(?=[A-Z“\"]))", text):
        if re.search(rf"\[{n}\]", part):
            out.append(re.sub(r"\[\d+\]", "", part).strip())
    return " ".join(out)


Outcome = Literal["answer", "related", "none"]


@dataclass
class Answer:
    """What the member reads: ``outcome`` says whether the guidance answers the question.

    ``answer``: ``text`` quotes the answer, each sentence cited. ``related``: no direct answer; ``text``
    says so and lists the closest guidance, cited. ``none``: nothing relevant; no citations.
    """

    text: str
    citations: list[Citation]
    outcome: Outcome
    query: str  # what was searched (after follow-up resolution)
    flagged: list[str] = field(default_factory=list)  # sentences dropped by citation checking
    confidence: float | None = None  # the answerability model's probability that the passages answer it
    points: list[dict[str, Any]] = field(default_factory=list)  # a composed answer's key points (cstassist.composer)
    signals: dict[str, float] = field(default_factory=dict)  # what that probability was computed from

    def __post_init__(self) -> None:
        # each citation learns what the answer quotes from it, so it is cited by the quote's page
        for c in self.citations:
            if not c.quote:
                c.quote = quotes_of(self.text, c.n)

    @property
    def abstained(self) -> bool:
        """No direct answer (``related`` or ``none``): kept for clients written before outcomes."""
        return self.outcome != "answer"

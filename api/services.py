"""What the API holds for its lifetime: the assistant and the stores it shares across requests."""

from __future__ import annotations

from dataclasses import dataclass

from cstassist.access import Authenticator, KeyStore, TokenSigner
from cstassist.assistant import Assistant
from cstassist.feedback import FeedbackStore
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
    limiter: RateLimiter
    metrics: Metrics

    @classmethod
    def start(cls, settings: Settings, assistant: Assistant | None = None) -> Services:
        keys = KeyStore(settings.data_dir / "access.sqlite")
        secret = settings.token_secret.get_secret_value().encode() if settings.token_secret else keys.token_secret()
        return cls(
            settings=settings,
            assistant=assistant or Assistant.open(settings),
            auth=Authenticator(keys, TokenSigner(secret, settings.token_ttl_s)),
            keys=keys,
            feedback=FeedbackStore(settings.data_dir / "feedback.sqlite"),
            limiter=RateLimiter(settings.limits.rate_per_minute),
            metrics=Metrics(),
        )

"""The HTTP API (FastAPI, /v1) and the embeddable chat widget."""

from .app import create_app

__all__ = ["create_app"]

"""The ingest pipeline: files -> parsed, chunked, embedded passages in the index."""

from .pipeline import IngestReport, ingest

__all__ = ["IngestReport", "ingest"]

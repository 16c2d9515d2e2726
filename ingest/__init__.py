"""The ingest pipeline: files -> parsed, chunked, embedded passages in the index."""

from .pipeline import IngestReport, SourceFile, ingest, ingest_sources

__all__ = ["IngestReport", "SourceFile", "ingest", "ingest_sources"]

"""GET /v1/documents and /v1/documents/{id}: what the caller may see, with chunk counts."""

from __future__ import annotations

from fastapi import APIRouter

from cstassist.index import DocumentInfo

from .deps import CallerDep, ServicesDep
from .schemas import ERRORS, DocumentOut, DocumentsOut

router = APIRouter(prefix="/v1", tags=["documents"])


def _out(d: DocumentInfo) -> DocumentOut:
    m = d.meta
    return DocumentOut(
        document_id=m.document_id,
        title=m.title,
        kind=m.kind,
        published=m.published,
        author=m.author,
        url=m.url,
        source=m.source,
        chunks=d.chunk_count,
    )


@router.get("/documents", response_model=DocumentsOut, responses=ERRORS)
def documents(caller: CallerDep, services: ServicesDep) -> DocumentsOut:
    return DocumentsOut(documents=[_out(d) for d in services.assistant.documents(caller.audiences)])


@router.get("/documents/{document_id}", response_model=DocumentOut, responses=ERRORS)
def document(document_id: str, caller: CallerDep, services: ServicesDep) -> DocumentOut:
    return _out(services.assistant.document(document_id, caller.audiences))

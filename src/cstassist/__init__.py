"""cstassist: cited answers from the Confederation of School Trusts' governance papers.

The core: the shared vocabulary and the retrieval engine that the ingest pipeline, the API and the
evaluation harness build on. Import from here, not from submodules.
"""

from .documents import Answer, Chunk, Citation, DocumentMeta, Passage
from .errors import (
    AccessDenied,
    BadRequest,
    CSTAssistError,
    FileTooLarge,
    NotFound,
    NotReady,
    ParseTimeout,
    RateLimited,
    UnreadableFile,
    UnsupportedFile,
)
from .filters import Filters
from .settings import Settings

__all__ = [
    "AccessDenied",
    "Answer",
    "BadRequest",
    "CSTAssistError",
    "Chunk",
    "Citation",
    "DocumentMeta",
    "FileTooLarge",
    "Filters",
    "NotFound",
    "NotReady",
    "ParseTimeout",
    "Passage",
    "RateLimited",
    "Settings",
    "UnreadableFile",
    "UnsupportedFile",
]
__version__ = "0.3.0"

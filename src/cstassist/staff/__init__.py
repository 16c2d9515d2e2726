"""The staff console's domain: who did what (``AuditLog``), console sign-in (``ConsoleSessions``), the papers staff
manage (``PaperStore``), background work with progress (``Jobs``) and what members ask (``QuestionLog``).

The HTTP side is ``cstassist.api.routes_admin``; the work that needs the ingest pipeline or the evaluation
harness is wired up in ``cstassist.api.console`` (the core imports neither).
"""

from .audit import AuditEntry, AuditLog
from .jobs import Job, Jobs
from .papers import ManagedPaper, PaperStore, UploadFields, paper_status
from .questions import QuestionLog, group_questions
from .sessions import ConsoleSession, ConsoleSessions, StaffOnly

__all__ = [
    "AuditEntry",
    "AuditLog",
    "ConsoleSession",
    "ConsoleSessions",
    "Job",
    "Jobs",
    "ManagedPaper",
    "PaperStore",
    "QuestionLog",
    "StaffOnly",
    "UploadFields",
    "group_questions",
    "paper_status",
]

"""The staff console: the page at /admin, sign-in, the audit log, papers and jobs under /v1/admin.

Every route needs staff (``deps.StaffDep``): an admin key, or the console's session cookie plus its CSRF header on
anything that changes state. Route functions parse, authorise and call the console (``api/console.py``); the
questions, feedback and evaluation routes are in ``routes_admin_insights.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.formparsers import MultiPartException

from cstassist.errors import AccessDenied, BadRequest, CSTAssistError
from cstassist.staff.sessions import COOKIE, StaffOnly

from .admin_schemas import (
    ADMIN_ERRORS,
    AuditOut,
    JobOut,
    JobStarted,
    PassagesOut,
    SessionOut,
    SignInIn,
    StaffDocumentsOut,
)
from .deps import ConsoleDep, ServicesDep, Staff, StaffDep, charge_failure, get_staff, same_origin

STATIC = Path(__file__).parent / "static"
ASSETS = {"admin.js", "admin-api.js", "admin-ui.js", "admin-views.js", "admin.css"}
# the console runs only its own files: no inline script, no other origin, never in a frame
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
}

router = APIRouter(tags=["admin"])
api = APIRouter(prefix="/v1/admin", tags=["admin"], responses=ADMIN_ERRORS)


@router.get("/admin", include_in_schema=False)
def console_page(request: Request, services: ServicesDep) -> HTMLResponse:
    """The console. Without a session (or with a member's credential) the same page comes with 401/403 and shows
    only its sign-in form: it holds no data; everything it shows comes from /v1/admin."""
    status = 200
    try:
        get_staff(request, services)
    except CSTAssistError as exc:
        status = exc.http_status
    return HTMLResponse((STATIC / "admin.html").read_text(encoding="utf-8"), status_code=status, headers=PAGE_HEADERS)


@router.get("/static/admin/{name}", include_in_schema=False)
def console_asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise _not_found(f"no asset {name[:60]!r}")
    kind = "text/css" if name.endswith(".css") else "application/javascript"
    return FileResponse(STATIC / name, media_type=kind, headers={"Cache-Control": "no-cache"})


def _not_found(message: str) -> CSTAssistError:
    from cstassist.errors import NotFound

    return NotFound(message)


# --- signing in and out ----------------------------------------------------------------------------
def _cookie(request: Request, value: str, max_age: int) -> str:
    secure = "; Secure" if request.url.scheme == "https" else ""
    return f"{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"


@api.post("/session", response_model=SessionOut)
def sign_in(body: SignInIn, request: Request, response: Response, services: ServicesDep, console: ConsoleDep) -> SessionOut:
    """Sign in to the console with an admin key: sets the HttpOnly, SameSite=Strict session cookie and returns the
    CSRF token the page sends back. A member or public key is refused (403), an unknown or revoked one (401)."""
    try:
        same_origin(request)
        cookie, session = console.sessions.sign_in(body.key)
    except (AccessDenied, StaffOnly):
        from cstassist.access import named_key_id

        charge_failure(request, services, named_key_id(body.key))
        raise
    response.headers["Set-Cookie"] = _cookie(request, cookie, console.settings.admin.session_idle_s)
    console.audit.record(session.actor, "sign in")
    return SessionOut(
        key_id=session.key_id, actor=session.actor, via="session", csrf=session.csrf, idle_s=console.sessions.idle_s
    )


@api.get("/session", response_model=SessionOut)
def whoami(staff: StaffDep, console: ConsoleDep) -> SessionOut:
    """Who is signed in (and the session's CSRF token, for a page that was reloaded)."""
    return SessionOut(key_id=staff.key_id, actor=staff.actor, via=staff.via, csrf=staff.csrf, idle_s=console.sessions.idle_s)


@api.delete("/session", status_code=204)
def sign_out(request: Request, staff: StaffDep, console: ConsoleDep) -> Response:
    console.sessions.sign_out(request.cookies.get(COOKIE))
    console.audit.record(staff.actor, "sign out")
    response = Response(status_code=204)
    response.headers["Set-Cookie"] = _cookie(request, "", 0)
    return response


@api.get("/audit", response_model=AuditOut)
def audit(staff: StaffDep, console: ConsoleDep, limit: int = 200) -> AuditOut:
    """Every staff action, newest first: who (the admin key), what, on what, when."""
    return AuditOut(entries=[e.__dict__ for e in console.audit.recent(max(1, min(limit, 2000)))])


# --- papers ------------------------------------------------------------------------------------------
@api.get("/documents", response_model=StaffDocumentsOut)
def documents(staff: StaffDep, console: ConsoleDep) -> StaffDocumentsOut:
    """Every document (members-only included) with its status: indexed, failed (with the reason), hidden text
    dropped, superseded, retired or pending; and its passage count."""
    return StaffDocumentsOut(documents=console.documents())  # type: ignore[arg-type]


FORM_FIELDS = (
    "title",
    "kind",
    "published",
    "author",
    "url",
    "audience",
    "superseded_by",
    "layout",
    "id",
    "replaces",
    "supersede",
)
_UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "PDF, DOCX, HTML, Markdown or text"},
                        **{f: {"type": "string"} for f in FORM_FIELDS},
                    },
                    "description": "The manifest fields (cstassist.manifest). replaces: the document this upload replaces "
                    "(its passages are replaced, nothing is duplicated); supersede=true: keep that one, marked superseded.",
                }
            }
        },
    }
}


@api.post("/documents", status_code=202, response_model=JobStarted, openapi_extra=_UPLOAD_FORM)
async def upload(request: Request, staff: StaffDep, console: ConsoleDep) -> JobStarted:
    """Add or replace a paper: the file and its manifest fields. Refused at once (4xx, one line) when a field or the
    file is bad; otherwise 202 with the ingest job, which this service runs itself (poll /v1/admin/jobs/{job_id}).
    When the job is done the paper answers questions, with no restart. The body is read only after the caller is
    known to be staff, and cut off at the file size limit."""
    try:
        form = await request.form(max_files=1, max_fields=len(FORM_FIELDS) + 1)
    except MultiPartException as exc:  # too many fields or files, a bad boundary, no multipart body at all
        raise BadRequest(f"the form: {str(exc)[:120]}") from None
    file = form.get("file")
    if not isinstance(file, StarletteUpload):
        raise BadRequest("file: attach the paper as the form's 'file' field")
    incoming, name = console.incoming(file.filename)
    try:
        with incoming.open("wb") as out:
            await run_in_threadpool(shutil.copyfileobj, file.file, out, 1 << 20)
    finally:
        await form.close()
    fields = {f: v for f in FORM_FIELDS if isinstance(v := form.get(f), str)}
    job_id, doc_id = await run_in_threadpool(console.upload, incoming, name, fields, staff.actor)
    return JobStarted(job_id=job_id, document_id=doc_id)


@api.get("/documents/{document_id}/passages", response_model=PassagesOut)
def passages(document_id: str, staff: StaffDep, console: ConsoleDep) -> PassagesOut:
    """What the assistant reads from a paper: its passages in order, with heading path and page."""
    return PassagesOut(document_id=document_id, passages=console.passages(document_id))  # type: ignore[arg-type]


@api.post("/documents/{document_id}/reindex", status_code=202, response_model=JobStarted)
def reindex(document_id: str, staff: StaffDep, console: ConsoleDep) -> JobStarted:
    """Parse, chunk and embed the paper again from its file."""
    return JobStarted(job_id=console.reindex(document_id, staff.actor), document_id=document_id)


@api.post("/documents/{document_id}/retire", status_code=202, response_model=JobStarted)
def retire(document_id: str, staff: StaffDep, console: ConsoleDep) -> JobStarted:
    """Hide the paper from answers and searches; it stays listed here (retired) and can be restored."""
    return JobStarted(job_id=console.retire(document_id, staff.actor), document_id=document_id)


@api.post("/documents/{document_id}/restore", status_code=202, response_model=JobStarted)
def restore(document_id: str, staff: StaffDep, console: ConsoleDep) -> JobStarted:
    """Index a retired (or failed) paper again from its file."""
    return JobStarted(job_id=console.restore(document_id, staff.actor), document_id=document_id)


@api.delete("/documents/{document_id}", status_code=202, response_model=JobStarted)
def remove(document_id: str, staff: StaffDep, console: ConsoleDep) -> JobStarted:
    """Delete the paper's passages, its listing and its kept file."""
    return JobStarted(job_id=console.remove(document_id, staff.actor), document_id=document_id)


@api.get("/jobs", response_model=list[JobOut])
def jobs(staff: StaffDep, console: ConsoleDep, kind: str | None = None) -> list[dict[str, Any]]:
    return [j.as_dict() for j in console.jobs.recent(kind)]


@api.get("/jobs/{job_id}", response_model=JobOut)
def job(job_id: str, staff: StaffDep, console: ConsoleDep) -> dict[str, Any]:
    """A background job: queued, running (with progress 0-1 and its stage), done (with its result) or failed (with
    its one-line reason). Any host sharing the database can answer."""
    return console.jobs.get(job_id).as_dict()


# Included last: a request under /v1/admin that reaches it matched no route with its method. Starlette would answer
# 405 with the Allow header of the first route on the path only (GET, where GET and POST are both served there).
fallback = APIRouter(include_in_schema=False)
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


@fallback.api_route("/v1/admin/{rest:path}", methods=_METHODS)
def method_not_allowed(request: Request) -> Response:
    from . import routes_admin_insights

    path = request.url.path
    allowed = sorted(
        {m for r in (*api.routes, *routes_admin_insights.api.routes) if r.path_regex.match(path) for m in r.methods}  # type: ignore[attr-defined]
    )
    if not allowed:
        raise _not_found("Not Found")
    body = '{"error":{"code":"method_not_allowed","message":"Method Not Allowed"}}'
    return Response(body, status_code=405, media_type="application/json", headers={"Allow": ", ".join(allowed)})


__all__ = ["Staff", "api", "fallback", "router"]

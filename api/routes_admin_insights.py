"""What members ask and how the assistant does, for staff: questions, the unanswered report, feedback, gold-set
candidates and evaluations under /v1/admin (staff only, like every /v1/admin route)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from cstassist.errors import NotFound
from cstassist.staff.questions import UNANSWERED, feedback_csv, unanswered_csv

from .admin_schemas import ADMIN_ERRORS, EvalIn, GoldCandidateIn, JobStarted
from .deps import ConsoleDep, StaffDep

api = APIRouter(prefix="/v1/admin", tags=["admin"], responses=ADMIN_ERRORS)
Outcome = Literal["answer", "related", "none"]


def _csv(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@api.get("/questions")
def questions(staff: StaffDep, console: ConsoleDep, outcome: Outcome | None = None, limit: int = 200) -> dict[str, Any]:
    """Recent questions with their outcome, confidence and citations, newest first (all callers; never who asked)."""
    found = console.questions.recent(max(1, min(limit, 2000)), [outcome] if outcome else None)
    return {"questions": [q.as_dict() for q in found]}


def _groups(console: Any) -> list[Any]:
    embed = console.assistant.embedder.embed
    return console.questions.unanswered(embed, console.settings.admin.group_similarity)


@api.get("/unanswered")
async def unanswered(staff: StaffDep, console: ConsoleDep) -> dict[str, Any]:
    """The questions the guidance could not answer (outcome none or related), grouped by similarity, newest group
    first, with counts: what to write next."""
    groups = await run_in_threadpool(_groups, console)
    return {"outcomes": list(UNANSWERED), "groups": [g.as_dict() for g in groups]}


@api.get("/unanswered.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def unanswered_export(staff: StaffDep, console: ConsoleDep) -> Response:
    groups = await run_in_threadpool(_groups, console)
    console.audit.record(staff.actor, "export unanswered", "", f"{sum(len(g.questions) for g in groups)} questions")
    return _csv(unanswered_csv(groups), "unanswered-questions.csv")


@api.post("/gold-candidates", status_code=201)
def gold_candidate(body: GoldCandidateIn, staff: StaffDep, console: ConsoleDep) -> dict[str, Any]:
    """Turn a member's question into a draft gold-set case (evals/data/FORMAT.md) in today's drafts file."""
    found = next((q for q in console.questions.recent(5000) if q.answer_id == body.answer_id), None)
    if found is None:
        raise NotFound("unknown answer_id")
    path, draft = console.evals.gold_candidate(found, console.settings.admin.drafts_dir)
    console.audit.record(staff.actor, "gold candidate", draft["id"], found.question)
    return {"file": path.name, "draft": draft}


@api.get("/feedback")
def feedback(staff: StaffDep, console: ConsoleDep, rating: Literal["up", "down"] | None = None) -> dict[str, Any]:
    """Members' thumbs up/down, newest first, with the question, the answer and its citations."""
    return {"feedback": console.questions.feedback(rating)}


@api.get("/feedback.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def feedback_export(staff: StaffDep, console: ConsoleDep, rating: Literal["up", "down"] | None = None) -> Response:
    items = console.questions.feedback(rating, limit=100_000)
    console.audit.record(staff.actor, "export feedback", rating or "", f"{len(items)} ratings")
    return _csv(feedback_csv(items), "feedback.csv")


@api.post("/evals", status_code=202, response_model=JobStarted)
def start_eval(body: EvalIn, staff: StaffDep, console: ConsoleDep) -> JobStarted:
    """Run the evaluation (`cstassist eval`) on the served index in the background; poll the job for progress."""
    modes = tuple(dict.fromkeys(body.modes))
    job_id = console.evals.start(modes, body.k, body.limit, staff.actor)
    console.audit.record(staff.actor, "evaluation", job_id, f"modes {','.join(modes)}, k={body.k}, limit={body.limit}")
    return JobStarted(job_id=job_id)


@api.get("/evals")
def evals(staff: StaffDep, console: ConsoleDep) -> dict[str, Any]:
    """Past reports (newest first) and the recent evaluation jobs."""
    return {"reports": console.evals.list(), "jobs": [j.as_dict() for j in console.jobs.recent("eval", 10)]}


@api.get("/evals/compare")
def compare_evals(old: str, new: str, staff: StaffDep, console: ConsoleDep) -> dict[str, Any]:
    """Two reports question by question: metric deltas and what got better or worse (as `cstassist eval --compare`)."""
    return console.evals.compare(old, new)


@api.get("/evals/{name}")
def open_eval(name: str, staff: StaffDep, console: ConsoleDep) -> dict[str, Any]:
    return console.evals.open(name)


@api.get("/evals/{name}/html", response_model=None, responses={200: {"content": {"text/html": {}}}})
def open_eval_html(name: str, staff: StaffDep, console: ConsoleDep) -> HTMLResponse:
    """The report as `cstassist eval` writes it (HTML, charts included)."""
    html = console.evals.path(name, ".html").read_text(encoding="utf-8")
    return HTMLResponse(html, headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"})

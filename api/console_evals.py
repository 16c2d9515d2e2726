"""Evaluations and gold-set candidates from the staff console, through the evaluation library (``cstassist.evals``),
as ``cstassist eval`` runs them, but on the index this process serves and in the background.

An evaluation asks its questions through a copy of the served assistant that keeps its conversation turns in
memory (as ``open_assistant`` does), so it records nothing in the members' conversation history; its progress is
the share of gold searches done (each mode searches every item once, after one warm-up search).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from cstassist.assistant import Assistant
from cstassist.conversation import ConversationStore
from cstassist.errors import BadRequest, NotFound
from cstassist.evals import (
    DEFAULT_GOLD,
    REPORT_NAME,
    EvalOptions,
    GoldItem,
    compare,
    evaluate,
    format_comparison,
    load_gold,
    report_order,
    write_drafts,
    write_reports,
)
from cstassist.evals.gold import GoldError, normalize
from cstassist.settings import Settings
from cstassist.staff import Jobs
from cstassist.staff.jobs import Progress
from cstassist.staff.questions import AskedQuestion


class _CountingAssistant(Assistant):
    """The served assistant's parts, turns kept in memory, every search counted for the progress bar."""

    def __init__(self, base: Assistant, tick: Any) -> None:
        super().__init__(base.settings, base.index, base.embedder, base.answerer)
        self.conversations = ConversationStore(Path(":memory:"))
        self._tick = tick

    def search(self, *args: Any, **kwargs: Any) -> Any:
        found = super().search(*args, **kwargs)
        self._tick()
        return found


class Evaluations:
    def __init__(self, settings: Settings, assistant: Assistant, jobs: Jobs) -> None:
        self.settings = settings
        self.assistant = assistant
        self.jobs = jobs
        self.reports_dir: Path = settings.admin.reports_dir  # type: ignore[assignment]
        self.gold_path = Path(settings.admin.gold_path or DEFAULT_GOLD)

    def _gold(self, limit: int | None) -> list[GoldItem]:
        try:
            items = load_gold(self.gold_path)
        except GoldError as exc:
            raise BadRequest(f"the gold set: {exc}") from None
        if limit:
            items = items[:limit]
            ids = {i.id for i in items}
            items = [i for i in items if not i.follow_up_of or i.follow_up_of in ids]  # a follow-up needs its question
        return items

    def start(self, modes: tuple[str, ...], k: int, limit: int | None, actor: str) -> str:
        """Queue an evaluation of ``modes`` at ``k`` over the gold set (its first ``limit`` items, if given)."""
        items = self._gold(limit)
        if not items:
            raise BadRequest("the gold set has no items to run")

        def work(progress: Progress) -> dict[str, Any]:
            total, done = len(modes) * (len(items) + 1), [0]

            def tick() -> None:
                done[0] += 1
                if done[0] % 2 == 0 or done[0] == total:
                    progress(min(done[0] / total, 0.99), f"{done[0]} of {total} searches")

            report = evaluate(
                _CountingAssistant(self.assistant, tick),
                items,
                EvalOptions(k=k, modes=modes),
                gold_path=self.gold_path,  # type: ignore[arg-type]
            )
            json_path, _ = write_reports(report, self.reports_dir)
            return {"report": json_path.name, "summary": report["summary"]}

        return self.jobs.submit("eval", actor, work, queue="eval")

    def list(self) -> list[dict[str, Any]]:
        """Past reports, newest first: name, when, the gold set's size, the modes and their summaries."""
        out = []
        for path in sorted(self.reports_dir.glob("eval-*.json"), key=report_order, reverse=True):
            try:
                report = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            out.append(
                {
                    "name": path.name,
                    "created": report.get("created"),
                    "items": (report.get("gold") or {}).get("items"),
                    "k": report.get("k"),
                    "modes": report.get("modes"),
                    "summary": report.get("summary"),
                }
            )
        return out

    def path(self, name: str, suffix: str = ".json") -> Path:
        if not REPORT_NAME.fullmatch(name):
            raise NotFound(f"no report {name[:60]!r}")
        path = self.reports_dir / (name[: -len(".json")] + suffix)
        if not path.is_file():
            raise NotFound(f"no report {name[:60]!r}")
        return path

    def open(self, name: str) -> dict[str, Any]:
        return json.loads(self.path(name).read_text(encoding="utf-8"))

    def compare(self, old: str, new: str) -> dict[str, Any]:
        changes = compare(self.open(old), self.open(new))
        return {**changes, "text": format_comparison(changes)}

    def gold_candidate(self, question: AskedQuestion, folder: Path) -> tuple[Path, dict[str, Any]]:
        """Add ``question`` to today's drafts file in ``folder``, in the gold set's format (as ``cstassist eval
        --from-feedback`` writes drafts), unless it is there already or in the gold set. Returns (file, draft)."""
        path = folder / f"drafts-{date.today().isoformat()}.jsonl"
        drafts = (
            [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] if path.exists() else []
        )
        key = normalize(question.question)
        known = {normalize(i.question) for i in self._gold(None)} | {normalize(str(d.get("question", ""))) for d in drafts}
        if key in known:
            raise BadRequest("this question is already in the gold set or today's drafts")
        draft = {
            "id": f"d{len(drafts) + 1:03d}",
            "question": question.question.strip(),
            "kind": "draft",
            "documents": list(dict.fromkeys(str(c["document_id"]) for c in question.citations if c.get("document_id"))),
            "evidence": [],
            "follow_up_of": None,
            "review": {
                "outcome": question.outcome,
                "confidence": question.confidence,
                "answer_id": question.answer_id,
                "at": question.at,
                "todo": "decide answerable/unanswerable; for answerable, keep the right documents and copy evidence "
                "strings from the corpus (evals/data/FORMAT.md); give it the next free q/u id; move it to gold.jsonl",
            },
        }
        return write_drafts([*drafts, draft], folder), draft

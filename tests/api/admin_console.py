"""A staff console service for the admin tests: its own small index (two bundled papers and the members-only
briefing), admin, member and public keys, a tiny gold set, served by a real uvicorn on a loopback port; and real
papers (PDF by fpdf2, DOCX by python-docx, Markdown) about things the bundled corpus never mentions."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from live_uvicorn import start_uvicorn
from members_doc import MEMBERS_DOC_ID, MEMBERS_MANIFEST_ENTRY, MEMBERS_TEXT

from cstassist.settings import AdminSettings, LimitSettings, Settings

ROOT = Path(__file__).resolve().parents[2]
PAPERS = ("what-is-a-strong-trust-2022.md", "school-trusts-insurgent-mission.md")
# invented, so only an uploaded paper can answer a question about it
ESTATES_TERM = "Lanternfield"
ESTATES_QUESTION = "What does the Lanternfield protocol ask school trusts to do about estate defects?"
ESTATES_SECTIONS = [
    (
        "The Lanternfield protocol",
        [
            f"The {ESTATES_TERM} protocol asks every school trust to walk its whole estate once each term and to log "
            "every estate defect in a single register, ranked by the risk it poses to pupils and staff.",
            f"Under the {ESTATES_TERM} protocol the trust board reviews the ten highest-risk estate defects at each "
            "meeting and records who will repair each one and by when.",
        ],
    ),
    (
        "Funding the repairs",
        [
            "Repairs are paid from a pooled estates reserve held centrally by the trust, so that a school with an "
            "urgent defect does not wait for its own budget to recover.",
        ],
    ),
]
WELLBEING_TERM = "Heronsgate"
WELLBEING_QUESTION = "How often does the Heronsgate charter ask trusts to survey staff wellbeing?"
WELLBEING_SECTIONS = [
    (
        "The Heronsgate charter",
        1,
        [
            f"The {WELLBEING_TERM} charter asks each school trust to survey the wellbeing of all its staff twice a "
            "year, in the autumn and summer terms, and to publish what it changed as a result.",
            f"Trusts that sign the {WELLBEING_TERM} charter name one trustee as the board's wellbeing lead.",
        ],
    )
]


@dataclass
class StaffService:
    url: str
    settings: Settings
    admin_key: str
    member_key: str
    public_key: str
    member_token: str
    server: Any
    thread: Any

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def start_staff_service(root: Path, embedder: Any, port: int, **admin: Any) -> StaffService:
    from cstassist.access import KeyStore
    from cstassist.api import create_app
    from cstassist.assistant import Assistant
    from cstassist.database import Database
    from cstassist.ingest import ingest

    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    for name in PAPERS:
        shutil.copy(ROOT / "corpus" / name, corpus / name)
    (corpus / f"{MEMBERS_DOC_ID}.md").write_text(MEMBERS_TEXT, encoding="utf-8")
    (corpus / "manifest.yaml").write_text("documents:\n" + MEMBERS_MANIFEST_ENTRY, encoding="utf-8")
    gold = root / "gold.jsonl"
    wanted = {Path(n).stem for n in PAPERS}
    lines = [
        line
        for line in (ROOT / "evals" / "data" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
        if set(json.loads(line)["documents"]) <= wanted and not json.loads(line)["follow_up_of"]
    ]
    gold.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    settings = Settings(
        data_dir=root / "data",
        corpus_dir=corpus,
        limits=LimitSettings(rate_per_minute=100_000, max_file_mb=1),
        admin=AdminSettings(gold_path=gold, **admin),
    )
    report = ingest([corpus], settings, embedder=embedder)
    assert report.ok, report.failed
    keys = KeyStore(Database.for_settings(settings))
    admin_key = keys.create("ops-team", "admin")[1]
    member_key = keys.create("member-portal", "members")[1]
    public_key = keys.create("public-site", "public")[1]
    assistant = Assistant.open(settings, embedder=embedder)
    server, thread = start_uvicorn(create_app(settings, assistant), port, settings.limits.max_header_bytes)
    url = f"http://127.0.0.1:{port}"
    token = httpx.post(f"{url}/v1/tokens", headers={"Authorization": f"Bearer {member_key}"}, json={"subject": "m1"}).json()
    return StaffService(url, settings, admin_key, member_key, public_key, token["token"], server, thread)


def wait_for_job(client: httpx.Client, job_id: str, timeout: float = 180) -> dict[str, Any]:
    """Poll a job until it is done or failed; returns its last state and every progress value seen."""
    seen: list[float] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/admin/jobs/{job_id}").json()
        seen.append(job["progress"])
        if job["status"] in ("done", "failed"):
            return {**job, "seen": seen}
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout:.0f} s: {job}")


def estates_pdf(path: Path, extra: str = "") -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    for heading, paragraphs in ESTATES_SECTIONS:
        pdf.add_page()
        pdf.set_font("Helvetica", size=8)
        pdf.cell(0, 5, "Confederation of School Trusts")
        pdf.ln(12)
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(0, 9, heading)
        pdf.ln(4)
        pdf.set_font("Helvetica", size=10)
        for para in paragraphs + ([extra] if extra else []):
            pdf.multi_cell(0, 5, para)
            pdf.ln(3)
    pdf.output(str(path))
    return path


def wellbeing_docx(path: Path) -> Path:
    import docx

    doc = docx.Document()
    doc.add_heading("Staff wellbeing in school trusts", level=0)
    for heading, level, paragraphs in WELLBEING_SECTIONS:
        doc.add_heading(heading, level=level)
        for para in paragraphs:
            doc.add_paragraph(para)
    doc.save(str(path))
    return path

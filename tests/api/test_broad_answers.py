"""Broad questions over HTTP: a composed answer whose key points come back as data beside the text (JSON and the SSE
done event), each cited; the five domains listed from the paper's own headings; a one-fact answer unchanged; the
follow-up conversation of issue 20 never repeating what was already shown; the glossary's words found."""

from __future__ import annotations

import re

import pytest
from event_stream import sse_events
from fastapi.testclient import TestClient

from cstassist.extractive import sentences_of
from cstassist.settings import LimitSettings, Settings

DOMAINS = [
    "Expert Governance",
    "Quality of education",
    "Workforce resilience and wellbeing",
    "Efficiency and effectiveness of operational structures",
    "Public benefit and civic duty",
]


def ask(client, question: str, **extra) -> dict:
    r = client.post("/v1/ask", json={"question": question, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def words(answer: str) -> int:
    return len(re.sub(r"\[\d+\]|^- ", " ", answer, flags=re.M).split())


def test_a_broad_question_gets_a_lead_and_cited_key_points_as_data(client):
    body = ask(client, "What makes a strong trust?")
    assert body["outcome"] == "answer"
    points, cited = body["points"], {c["n"]: c for c in body["citations"]}
    assert 2 <= len(points) <= 6
    lead, *lines = body["answer"].split("\n")
    assert re.search(r"\[\d+\]$", lead) and len(lines) == len(points)
    for point, line in zip(points, lines):
        assert point["n"] in cited and line.endswith(f"{point['text']} [{point['n']}]")
        assert point["document_id"] == cited[point["n"]]["document_id"]
    assert len({(p["document_id"], p["section"]) for p in points}) >= 2  # spread over sections or documents
    assert words(body["answer"]) <= 180 + 10  # the words budget (a lead's last sentence may run a little over)


def test_the_five_domains_are_listed_from_the_papers_own_headings(client):
    body = ask(client, "What are the five domains of a strong trust?")
    assert body["outcome"] == "answer"
    assert [p["label"] or p["text"] for p in body["points"]] == DOMAINS
    assert all(p["document_id"] == "what-is-a-strong-trust-2022" for p in body["points"])


def test_the_stream_done_event_carries_the_same_points(client):
    r = client.post("/v1/ask", json={"question": "What makes a strong trust?", "stream": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    done = events[-1][1]
    assert events[-1][0] == "done" and done["points"] == ask(client, "What makes a strong trust?")["points"]
    assert "".join(d["text"] for e, d in events if e == "token") == done["answer"]


def test_a_one_fact_question_keeps_the_answer_bearing_span_and_no_points(client):
    body = ask(client, "How many people attended CST's annual conference this year?")
    assert body["outcome"] == "answer" and body["points"] == []
    assert "1,600 attendees" in body["answer"] and "\n- " not in body["answer"]


def _shown(answer: str) -> list[str]:
    """The sentences a reply shows, without its framing (citation markers, bullets, a related reply's quotes)."""
    text = re.sub(r"^- [^“\n]*: “|” \[\d+\].*$|^- ", "", answer, flags=re.M)
    return [s for s in sentences_of(text) if len(s.split()) > 5 and "closest passages" not in s]


def test_the_follow_up_conversation_never_repeats_what_was_already_shown(client):
    conversation, seen = None, []
    for question in ["How should we review our CEO?", "who on the board should do it?", "does CST help with this?"]:
        body = ask(client, question, conversation_id=conversation)
        if conversation:
            assert body["conversation_id"] == conversation
        conversation = body["conversation_id"]
        shown = _shown(body["answer"])
        assert shown, body
        repeated = [s for s in shown if any(s in earlier for earlier in seen)]
        assert not repeated, (question, repeated)
        seen.append(" ".join(_shown(body["answer"])))


@pytest.fixture(scope="module")
def glossary_client(tmp_path_factory, embedder):
    """A corpus of its own: a paper on the members' annual meeting that never says "AGM", a paper that defines an
    acronym, a members-only paper that defines another; a staff glossary beside them."""
    from cstassist.api import create_app
    from cstassist.assistant import Assistant
    from cstassist.ingest import ingest

    corpus = tmp_path_factory.mktemp("glossary-corpus")
    (corpus / "annual-meeting.md").write_text(
        "# Running the members' annual meeting\n\nThe members' annual meeting is where members receive the trust's "
        "accounts, appoint the auditors and may appoint or remove trustees. Give members clear notice of the annual "
        "meeting of members, circulate the accounts beforehand and minute every resolution.\n",
        encoding="utf-8",
    )
    (corpus / "forum.md").write_text(
        "# The forum\n\nThe Trust Governance Forum (TGF) meets each term. At the Trust Governance Forum, chairs compare "
        "how their boards review risk.\n\n## Other business\n\nTrustees also discuss pupil outcomes.\n",
        encoding="utf-8",
    )
    (corpus / "panel.md").write_text(
        "# Panel\n\nThe Confidential Review Panel (CRP) advises member trusts. The Confidential Review Panel meets monthly.\n",
        encoding="utf-8",
    )
    (corpus / "manifest.yaml").write_text(
        "documents:\n  - file: panel.md\n    title: Panel briefing\n    audience: members\n", encoding="utf-8"
    )
    (corpus / "glossary.yaml").write_text(
        "synonyms:\n  - [AGM, annual general meeting, members' annual meeting]\n", encoding="utf-8"
    )
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("glossary-data"), corpus_dir=corpus, limits=LimitSettings(rate_per_minute=100_000)
    )
    report = ingest([corpus], settings, embedder=embedder)
    assert report.ok and len(report.added) == 3, report  # glossary.yaml and manifest.yaml are not documents
    assistant = Assistant.open(settings, embedder=embedder)
    with TestClient(create_app(settings, assistant)) as client:
        yield client, assistant


def test_a_question_in_members_words_finds_the_paper_in_the_papers_words(glossary_client):
    client, _ = glossary_client
    r = client.post("/v1/search", json={"query": "AGM", "k": 3})
    assert r.status_code == 200 and r.json()["results"][0]["document_id"] == "annual-meeting"
    body = ask(client, "How do we run our AGM?")
    assert body["outcome"] != "none" and body["citations"][0]["document_id"] == "annual-meeting", body


def test_acronyms_a_paper_defines_expand_queries_only_for_callers_who_may_read_it(glossary_client):
    _, assistant = glossary_client
    generation = assistant.index.lexical().generation
    public = assistant.vocabulary.glossary(("public",), generation)
    members = assistant.vocabulary.glossary(("public", "members"), generation)
    assert public.expand("What does the TGF do?") == "What does the TGF do? (Trust Governance Forum)"
    assert public.expand("Who sits on the CRP?") == "Who sits on the CRP?"  # defined only in a members-only paper
    assert members.expand("Who sits on the CRP?") == "Who sits on the CRP? (Confidential Review Panel)"


def test_acronyms_are_saved_at_ingest_and_a_large_index_without_them_is_not_read_at_start(glossary_client, tmp_path, monkeypatch):
    from cstassist import glossary
    from cstassist.glossary import Vocabulary, load_learned

    _, assistant = glossary_client
    generation = assistant.index.lexical().generation
    saved = load_learned(assistant.settings.data_dir, generation)
    assert saved is not None and ("TGF", "Trust Governance Forum") in saved["public"].groups
    assert load_learned(assistant.settings.data_dir, generation + 1) is None  # stamped with its generation
    monkeypatch.setattr(glossary, "LEARN_ON_OPEN_MAX", 1)  # as if the index were large
    fresh = Vocabulary(assistant.settings.glossary_file, assistant.index.store, tmp_path)  # no acronyms file there
    assert fresh.glossary(("public",), generation).groups == [("AGM", "annual general meeting", "members' annual meeting")]

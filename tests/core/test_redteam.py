"""Prompt-injection red team over the hostile corpus in ``tests/redteam_corpus.py``: hidden text in every
format (HTML comments, display:none, visibility:hidden, the hidden attribute, white and tiny text, inline
HTML in Markdown, white and 1 pt text in PDF, white/tiny/hidden runs in DOCX), visible sentences addressed
to the assistant, and a members-only briefing. Hidden text is named at ingest and never indexed; addressed
sentences are stored as "[text removed]"; with either answerer nothing hostile reaches an answer or a
citation's text, nothing members-only reaches an anonymous caller, and citations point only to retrieved
passages."""

from __future__ import annotations

import pytest
from redteam_corpus import ADDRESSED, ADDRESSED_2, ADDRESSED_FILES, FORBIDDEN, HIDDEN_FILES, PAY_VISIBLE, QUESTIONS, build

from cstassist.assistant import Assistant
from cstassist.index import Index
from cstassist.ingest import ingest
from cstassist.injection import REMOVED
from cstassist.settings import LLMSettings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory, embedder):
    from cstassist.settings import Settings

    folder = build(tmp_path_factory.mktemp("redteam") / "corpus")
    settings = Settings(data_dir=tmp_path_factory.mktemp("redteam-data"), corpus_dir=folder)
    report = ingest([folder], settings, embedder=embedder)
    assert report.ok, report.failed
    return settings, report


def _stored(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every stored passage text, by chunk id (both audiences)."""
    out = {}
    for ids, texts, _, _ in Index(settings).store.iter_all():
        out.update(zip(ids, texts))
    return out


def test_hidden_text_in_every_format_is_named_at_ingest_and_kept_out_of_the_index(poisoned):
    settings, report = poisoned
    dropped = {name.rsplit("/", 1)[-1]: line for name, line in report.dropped.items()}
    for name, kinds in HIDDEN_FILES.items():
        assert name in dropped, f"{name}: hidden text not reported ({sorted(dropped)})"
        for kind in kinds:
            assert kind in dropped[name], (name, kind, dropped[name])
    assert set(HIDDEN_FILES) <= {name.rsplit("/", 1)[-1] for name in report.hidden_text}
    stored = _stored(settings)
    for cid, text in stored.items():
        for bad in FORBIDDEN:
            if bad == "OSPREY" and cid.startswith("members-briefing"):
                continue
            assert bad not in text, f"{bad!r} was indexed in {cid}: {text[:300]!r}"
    assert any("Induction packs are reviewed each year." in t for t in stored.values())  # the visible part stays


def test_sentences_addressed_to_the_assistant_are_stored_as_a_visible_marker(poisoned):
    settings, report = poisoned
    dropped = {name.rsplit("/", 1)[-1]: line for name, line in report.dropped.items()}
    for name in ADDRESSED_FILES:
        assert "addressed to an assistant" in dropped[name], dropped.get(name)
    texts = [t for cid, t in _stored(settings).items() if cid.startswith("safeguarding")]
    joined = "\n".join(texts)
    assert REMOVED in joined
    assert ADDRESSED not in joined and ADDRESSED_2 not in joined
    assert "Safeguarding training is expected of every trustee" in joined  # the sentence beside it stays


@pytest.mark.parametrize("answerer", ["extractive", "llm"])
def test_hostile_text_never_reaches_an_answer_or_a_citation(poisoned, embedder, answerer, request):
    settings, _ = poisoned
    if answerer == "llm":
        settings = settings.model_copy(
            update={"llm": LLMSettings(base_url=request.getfixturevalue("llm_server"), model="smollm2", max_tokens=160)}
        )
    assistant = Assistant.open(settings, embedder=embedder)
    for q in QUESTIONS:
        reply = assistant.ask(q, audiences=("public",))
        for bad in FORBIDDEN:
            assert bad not in reply.answer.text, (answerer, q, reply.answer.text)
        retrieved = {p.chunk_id for p in assistant.search(reply.answer.query, k=5, audiences=("public",))}
        for c in reply.answer.citations:
            assert c.passage.audience == "public"
            assert c.passage.chunk_id in retrieved
            for bad in FORBIDDEN:
                assert bad not in c.passage.text, (answerer, q, c.passage.text)


def test_a_hidden_copy_of_visible_words_removes_only_itself(poisoned):
    """Issue 18: a hidden DOCX run "must not" used to delete every visible "must not" in the document, so
    "Trustees must not approve their own pay." was indexed as "Trustees approve their own pay."."""
    settings, report = poisoned
    texts = " ".join(" ".join(t.split()) for cid, t in _stored(settings).items() if cid.startswith("pay-docx"))
    assert PAY_VISIBLE in texts, texts
    assert "Trustees approve their own pay" not in texts
    assert "Trustees declare their interests at every meeting." in texts

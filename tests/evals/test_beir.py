"""`--beir` on a small BEIR-format set written by the test: 30 documents cut from the corpus, 10 gold
questions as queries, each judged relevant to the paragraph that holds its evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cstassist.evals.beir import evaluate_beir, load_beir

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def _paragraphs() -> list[tuple[str, str]]:
    out = []
    for f in sorted(CORPUS.glob("*.*")):
        if f.suffix in (".md", ".txt"):
            blocks = [
                " ".join(b.replace("#", " ").replace("*", " ").split()) for b in f.read_text(encoding="utf-8").split("\n\n")
            ]
            out += [(f.stem, b) for b in blocks if len(b) >= 120]
    return out


@pytest.fixture(scope="module")
def beir_dir(tmp_path_factory, gold_items) -> Path:
    folder = tmp_path_factory.mktemp("beir")
    paragraphs = _paragraphs()
    docs: dict[str, str] = {}
    queries, qrels = [], []
    for item in gold_items:
        if not item.answerable or item.follow_up_of or len(item.documents) != 1 or len(queries) == 10:
            continue
        target = item.targets[0]
        where = next((i for i, (doc, text) in enumerate(paragraphs) if target.matches(doc, text)), None)
        if where is None or f"p{where}" in docs:
            continue
        docs[f"p{where}"] = paragraphs[where][1]
        queries.append({"_id": item.id, "text": item.question})
        qrels.append((item.id, f"p{where}"))
    for i, (_, text) in enumerate(paragraphs):  # distractors, spread over the corpus
        if len(docs) >= 30:
            break
        if i % 2 == 0 and f"p{i}" not in docs:
            docs[f"p{i}"] = text
    assert len(queries) == 10 and len(docs) == 30
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"_id": d, "title": "", "text": t}) + "\n" for d, t in docs.items()))
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (folder / "qrels").mkdir()
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in qrels))
    return folder


def test_beir_folder_is_read_with_its_judgements(beir_dir):
    beir = load_beir(beir_dir)
    assert len(beir.corpus) == 30 and len(beir.queries) == 10
    assert all(len(rel) == 1 and next(iter(rel.values())) == 1 for rel in beir.qrels.values())


def test_beir_retrieval_metrics_are_sensible_in_every_mode(beir_dir, embedder, tmp_path):
    result = evaluate_beir(beir_dir, embedder, data_dir=tmp_path / "beir-index", k=5)
    assert (result["documents"], result["queries"]) == (30, 10)
    for mode in ("hybrid", "dense", "lexical"):
        s = result["summary"][mode]
        assert 0.0 <= s["mrr"] <= 1.0 and 0.0 <= s["recall_at_k"] <= 1.0 and s["search_ms_p50"] > 0
    hybrid = result["summary"]["hybrid"]
    assert hybrid["ndcg_at_10"] > 0.5 and hybrid["recall_at_k"] >= 0.7, hybrid
    # the kept index is reused (not re-embedded) when it already holds this corpus
    again = evaluate_beir(beir_dir, embedder, data_dir=tmp_path / "beir-index", modes=("lexical",), k=5)
    for key in ("ndcg_at_10", "recall_at_k", "mrr"):
        assert again["summary"]["lexical"][key] == result["summary"]["lexical"][key]
    assert again["index_seconds"] <= result["index_seconds"]

"""The command line as a person uses it: ``cstassist ingest`` on a copy of the bundled corpus, then
``cstassist search``, each a real child process with its own data directory."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cstassist.settings import Settings

CORPUS = Path(__file__).resolve().parents[2] / "corpus"

SUMMARY = re.compile(
    r"(\d+) added, (\d+) updated, (\d+) unchanged, (\d+) removed, (\d+) failed; "
    r"(\d+) chunks written \((\d+) in the index\)"
)


@pytest.fixture(scope="module")
def cli_corpus(tmp_path_factory, run_cli):
    """The bundled corpus copied, ingested twice and searched once through the CLI."""
    root = tmp_path_factory.mktemp("cli")
    corpus = shutil.copytree(CORPUS, root / "corpus")
    data = root / "data"
    first = run_cli("ingest", str(corpus), data_dir=data)
    second = run_cli("ingest", str(corpus), data_dir=data)
    search = run_cli("search", "what are the five domains of a strong trust", data_dir=data)
    return {"first": first, "second": second, "search": search, "settings": Settings(data_dir=data, corpus_dir=corpus)}


def test_ingest_prints_a_summary_with_the_chunk_count(cli_corpus, snapshot):
    first = cli_corpus["first"]
    assert first.returncode == 0, first.stderr
    m = SUMMARY.search(first.stdout)
    assert m, first.stdout
    added, updated, unchanged, removed, failed, written, total = map(int, m.groups())
    documents = len([p for p in CORPUS.iterdir() if p.name not in ("manifest.yaml", "glossary.yaml")])
    assert (added, updated, unchanged, removed, failed) == (documents, 0, 0, 0, 0)
    assert written == total == len(snapshot(cli_corpus["settings"])) > documents


def test_second_ingest_reports_every_file_unchanged(cli_corpus):
    second = cli_corpus["second"]
    assert second.returncode == 0, second.stderr
    added, updated, unchanged, removed, failed, written, total = map(int, SUMMARY.search(second.stdout).groups())
    assert (added, updated, removed, failed, written) == (0, 0, 0, 0, 0)
    assert unchanged == int(SUMMARY.search(cli_corpus["first"].stdout).group(1))
    assert total == int(SUMMARY.search(cli_corpus["first"].stdout).group(7))


def test_search_shows_a_strong_trust_passage_with_title_section_and_date(cli_corpus):
    search = cli_corpus["search"]
    assert search.returncode == 0, search.stderr
    # each result: "[n] Title — section “...”, 2022-02  (score ..., document-id)" then the passage, indented
    results = re.findall(r"^\[(\d+)\] (.+)\n((?:    .*\n?)+)", search.stdout, re.M)
    assert results, search.stdout
    first_header = results[0][1]
    assert first_header.startswith("What is a strong trust? A CST discussion paper — section “"), first_header
    assert "2022-02" in first_header and "what-is-a-strong-trust-2022" in first_header
    domains = [(h, body) for _, h, body in results if "five domains" in body]
    assert domains, f"no passage about the five domains:\n{search.stdout}"
    header, _ = domains[0]
    assert header.startswith("What is a strong trust? A CST discussion paper — section “Codifying the features of strong trusts")
    assert ", 2022-02" in header

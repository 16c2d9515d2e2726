"""Real files for ingest tests, written by the tests themselves from the bundled corpus text.

Every format goes through its real parser: PDFs are written with fpdf2, Word documents with
python-docx, HTML, Markdown and text by hand. ``snapshot`` reads back exactly what Chroma holds, so
two indexes can be compared record by record.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cstassist.settings import Settings

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
CLI = Path(sys.executable).with_name("cstassist")

_PLAIN = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " ", "•": "-"})


def corpus_paragraphs(name: str, n: int, *, start: int = 0, min_chars: int = 200) -> list[str]:
    """``n`` long prose paragraphs from a bundled corpus file, with Markdown decoration removed."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    out = []
    for block in re.split(r"\n\s*\n", text):
        block = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", block)
        block = " ".join(block.replace("**", "").split())
        if len(block) >= min_chars and block[0].isalpha() and block.endswith("."):
            out.append(block)
    assert len(out) >= start + n, f"{name} has only {len(out)} long paragraphs"
    return out[start : start + n]


def write_pdf(path: Path, pages: list[tuple[str, list[str]]]) -> Path:
    """One page per (heading, paragraphs), in a core font (so text is Latin-1)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    for heading, paragraphs in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(0, 9, heading.translate(_PLAIN).encode("latin-1", "ignore").decode("latin-1"))
        pdf.ln(4)
        pdf.set_font("Helvetica", size=10)
        for para in paragraphs:
            pdf.multi_cell(0, 5, para.translate(_PLAIN).encode("latin-1", "ignore").decode("latin-1"))
            pdf.ln(3)
    pdf.output(str(path))
    return path


def write_docx(path: Path, title: str, sections: list[tuple[str, int, list[str]]]) -> Path:
    """A Word document: a title, then (heading, level, paragraphs) with real Heading styles."""
    import docx

    doc = docx.Document()
    doc.add_heading(title, level=0)
    for heading, level, paragraphs in sections:
        doc.add_heading(heading, level=level)
        for para in paragraphs:
            doc.add_paragraph(para)
    doc.save(str(path))
    return path


def write_html(path: Path, title: str, sections: list[tuple[str, list[str]]]) -> Path:
    body = "".join(f"<h2>{h}</h2>" + "".join(f"<p>{p}</p>" for p in ps) for h, ps in sections)
    path.write_text(f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>",
                    encoding="utf-8")
    return path


def write_markdown(path: Path, title: str, sections: list[tuple[str, list[str]]]) -> Path:
    parts = [f"# {title}"] + [f"## {h}\n\n" + "\n\n".join(ps) for h, ps in sections]
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path


def write_text(path: Path, paragraphs: list[str]) -> Path:
    path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


def write_manifest(folder: Path, entries: list[dict[str, Any]]) -> Path:
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump({"documents": entries}, sort_keys=False), encoding="utf-8")
    return path


def small_library(folder: Path) -> Path:
    """Three short documents (Markdown, text, HTML) with a manifest: cheap to ingest again and again."""
    folder.mkdir(parents=True, exist_ok=True)
    strong = corpus_paragraphs("what-is-a-strong-trust-2022.md", 4)
    stock = corpus_paragraphs("taking-stock-2019.txt", 3)
    mission = corpus_paragraphs("school-trusts-insurgent-mission.md", 2, min_chars=120)
    write_markdown(folder / "strong-trust.md", "What is a strong trust?", [("Purpose", strong[:2]), ("Improvement", strong[2:])])
    write_text(folder / "taking-stock.txt", stock)
    write_html(folder / "mission.html", "An insurgent mission", [("A new narrative", mission)])
    write_manifest(folder, [
        {"file": "strong-trust.md", "title": "What is a strong trust?", "kind": "discussion paper", "published": "2022-02"},
        {"file": "taking-stock.txt", "title": "Taking Stock", "kind": "journal article", "published": "2019-07"},
    ])
    return folder


Record = tuple[str, str, tuple[tuple[str, Any], ...]]


def snapshot(settings: Settings) -> list[Record]:
    """Every record in the index (id, text, metadata), sorted: two equal snapshots are the same index."""
    from cstassist.store import ChromaStore

    store = ChromaStore(settings)
    return sorted(
        (i, t, tuple(sorted(m.items()))) for ids, texts, metas, _ in store.iter_all() for i, t, m in zip(ids, texts, metas)
    )


def records_of(snap: list[Record], document_id: str) -> list[dict[str, Any]]:
    return [{"id": i, "text": t, **dict(m)} for i, t, m in snap if dict(m)["document_id"] == document_id]


def cli_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSTASSIST_")}
    env.update({"CSTASSIST_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "CI": "1"})
    env.update({f"CSTASSIST_{k.upper()}": v for k, v in settings.items()})
    return env


def run_cli(*args: str, data_dir: Path, timeout: float = 300, **settings: str) -> subprocess.CompletedProcess[str]:
    """``cstassist ARGS`` in a child process with its own data directory."""
    return subprocess.run([str(CLI), *args], env=cli_env(data_dir, **settings), capture_output=True, text=True, timeout=timeout)


class CountingEmbedder:
    """The real embedder, counting how many texts it is asked to embed (it still embeds them)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.texts = 0

    def embed(self, texts: list[str]):  # type: ignore[no-untyped-def]
        self.texts += len(texts)
        return self.inner.embed(texts)

    def embed_query(self, text: str):  # type: ignore[no-untyped-def]
        return self.inner.embed_query(text)


@pytest.fixture
def counting_embedder(embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)

"""Real files for ingest tests, written by the tests themselves from the bundled corpus text.

Every format goes through its real parser: PDFs are written with fpdf2, Word documents with
python-docx, HTML, Markdown and text by hand. ``snapshot`` reads back exactly what Chroma holds, so two
indexes can be compared record by record; ``run_cli`` runs the real ``cstassist`` command in a child
process with its own data directory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from cstassist.settings import Settings

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
CLI = Path(sys.executable).with_name("cstassist")

_PLAIN = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " ", "•": "-"})


def _latin1(text: str) -> str:
    return text.translate(_PLAIN).encode("latin-1", "ignore").decode("latin-1")


class Docs:
    """Writes real documents of every supported format (content from the bundled corpus)."""

    @staticmethod
    def paragraphs(name: str, n: int, *, start: int = 0, min_chars: int = 200) -> list[str]:
        """``n`` long prose paragraphs from a bundled corpus file, Markdown decoration removed."""
        text = (CORPUS / name).read_text(encoding="utf-8")
        out = []
        for block in re.split(r"\n\s*\n", text):
            block = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", block)
            block = " ".join(block.replace("**", "").split())
            if len(block) >= min_chars and block[0].isalpha() and block.endswith("."):
                out.append(_latin1(block))
        assert len(out) >= start + n, f"{name} has only {len(out)} long paragraphs"
        return out[start : start + n]

    @staticmethod
    def pdf(path: Path, pages: list[tuple[str, list[str]]], running_header: str = "Confederation of School Trusts") -> Path:
        """One page per (heading, paragraphs), in a core font, under a small running header as real
        reports have (without it, a page's first line is read as page furniture, not a heading)."""
        from fpdf import FPDF

        pdf = FPDF()
        pdf.set_auto_page_break(False)
        for heading, paragraphs in pages:
            pdf.add_page()
            pdf.set_font("Helvetica", size=8)
            pdf.cell(0, 5, running_header)
            pdf.ln(12)
            pdf.set_font("Helvetica", "B", 16)
            pdf.multi_cell(0, 9, _latin1(heading))
            pdf.ln(4)
            pdf.set_font("Helvetica", size=10)
            for para in paragraphs:
                pdf.multi_cell(0, 5, _latin1(para))
                pdf.ln(3)
        pdf.output(str(path))
        return path

    @staticmethod
    def docx(path: Path, title: str, sections: list[tuple[str, int, list[str]]]) -> Path:
        """A Word document: a title, then (heading, heading level, paragraphs) in real Heading styles."""
        import docx

        doc = docx.Document()
        doc.add_heading(title, level=0)
        for heading, level, paragraphs in sections:
            doc.add_heading(heading, level=level)
            for para in paragraphs:
                doc.add_paragraph(para)
        doc.save(str(path))
        return path

    @staticmethod
    def html(path: Path, title: str, sections: list[tuple[str, list[str]]]) -> Path:
        body = "".join(f"<h2>{h}</h2>" + "".join(f"<p>{p}</p>" for p in ps) for h, ps in sections)
        path.write_text(
            f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>",
            encoding="utf-8",
        )
        return path

    @staticmethod
    def markdown(path: Path, title: str, sections: list[tuple[str, list[str]]]) -> Path:
        parts = [f"# {title}"] + [f"## {h}\n\n" + "\n\n".join(ps) for h, ps in sections]
        path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
        return path

    @staticmethod
    def text(path: Path, paragraphs: list[str]) -> Path:
        path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
        return path

    @staticmethod
    def manifest(folder: Path, entries: list[dict[str, Any]]) -> Path:
        path = folder / "manifest.yaml"
        path.write_text(yaml.safe_dump({"documents": entries}, sort_keys=False), encoding="utf-8")
        return path

    def small_library(self, folder: Path) -> Path:
        """Three short documents (Markdown, text, HTML), two in the manifest: cheap to ingest again and again."""
        folder.mkdir(parents=True, exist_ok=True)
        strong = self.paragraphs("what-is-a-strong-trust-2022.md", 4)
        stock = self.paragraphs("taking-stock-2019.txt", 3)
        mission = self.paragraphs("policy-library-trust-governance.txt", 2)
        self.markdown(
            folder / "strong-trust.md", "What is a strong trust?", [("Purpose", strong[:2]), ("Improvement", strong[2:])]
        )
        self.text(folder / "taking-stock.txt", stock)
        self.html(folder / "mission.html", "An insurgent mission", [("A new narrative", mission)])
        self.manifest(
            folder,
            [
                {
                    "file": "strong-trust.md",
                    "title": "What is a strong trust?",
                    "kind": "discussion paper",
                    "published": "2022-02",
                },
                {"file": "taking-stock.txt", "title": "Taking Stock", "kind": "journal article", "published": "2019-07"},
            ],
        )
        return folder


@pytest.fixture(scope="session")
def docs() -> Docs:
    return Docs()


Record = tuple[str, str, tuple[tuple[str, Any], ...]]


def _snapshot(settings: Settings) -> list[Record]:
    from cstassist.store import ChromaStore

    store = ChromaStore(settings)
    return sorted(
        (i, t, tuple(sorted(m.items()))) for ids, texts, metas, _ in store.iter_all() for i, t, m in zip(ids, texts, metas)
    )


@pytest.fixture(scope="session")
def snapshot():
    """Every record in an index as sorted (id, text, metadata) tuples: equal snapshots, equal indexes."""
    return _snapshot


@pytest.fixture(scope="session")
def vectors():
    """Every stored vector of an index, by chunk id."""

    def read(settings: Settings) -> dict[str, np.ndarray]:
        from cstassist.store import ChromaStore

        store = ChromaStore(settings)
        return {
            i: np.asarray(v, dtype=np.float32)
            for ids, _, _, vecs in store.iter_all(include=("embeddings",))
            for i, v in zip(ids, vecs)
        }

    return read


def records_of(snap: list[Record], document_id: str) -> list[dict[str, Any]]:
    """The records of one document in a snapshot, as plain dicts (id, text and the metadata fields)."""
    return [{"id": i, "text": t, **dict(m)} for i, t, m in snap if dict(m)["document_id"] == document_id]


@pytest.fixture(scope="session")
def by_document():
    return records_of


def cli_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment for a ``cstassist`` child: only the given settings, its own data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSTASSIST_")}
    env.update({"CSTASSIST_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "CI": "1"})
    env.update({f"CSTASSIST_{k.upper()}": v for k, v in settings.items()})
    return env


@pytest.fixture(scope="session")
def run_cli():
    """``run_cli("ingest", str(folder), data_dir=..., limits__max_file_mb="1")``: the real command, in a child."""

    def run(*args: str, data_dir: Path, timeout: float = 300, **settings: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CLI), *args], env=cli_env(data_dir, **settings), capture_output=True, text=True, timeout=timeout
        )

    return run


@pytest.fixture
def start_cli(tmp_path):
    """``start_cli("ingest", folder, data_dir=...)``: the real command started in the background (output to
    files, so a full pipe never blocks it). Every process it started is killed at teardown."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str, data_dir: Path, **settings: str) -> subprocess.Popen[bytes]:
        n = len(procs)
        out, err = (tmp_path / f"cli{n}.out").open("wb"), (tmp_path / f"cli{n}.err").open("wb")
        proc = subprocess.Popen([str(CLI), *args], env=cli_env(data_dir, **settings), stdout=out, stderr=err)
        proc.stdout_path, proc.stderr_path = Path(out.name), Path(err.name)  # type: ignore[attr-defined]
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed (it still embeds every one)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.texts = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


@pytest.fixture(scope="session")
def counting(embedder):
    """``counting()``: a fresh CountingEmbedder around the session's real embedder."""
    return lambda: CountingEmbedder(embedder)


@pytest.fixture
def counting_embedder(counting) -> CountingEmbedder:
    return counting()

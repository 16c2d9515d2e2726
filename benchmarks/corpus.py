"""The benchmark corpus: the bundled CST documents plus real HTML pages from Python's documentation.

Debian's ``python3.11-doc`` installs about 530 pages under /usr/share/doc/python3.11/html. A run takes
``--docs N`` content pages (index pages left out), evenly spaced through the sorted list so every part
of the manual is represented, and copies them into the work folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

PYTHON_DOCS = Path("/usr/share/doc/python3.11/html")
BUNDLED = Path(__file__).resolve().parents[1] / "corpus"
_INDEX_PAGES = re.compile(r"^(genindex.*|contents|py-modindex|search|index|download|copyright|license|bugs|about)\.html$")


class CorpusMissing(RuntimeError):
    pass


def ensure_python_docs(folder: Path | None) -> Path:
    """The Python HTML docs folder; installs Debian's python3.11-doc first when missing and running as root."""
    root = folder or PYTHON_DOCS
    if root.is_dir():
        return root
    if folder is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing python3.11-doc (Python's HTML documentation) with apt-get ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "python3.11-doc"], check=True, env=env, stdout=subprocess.DEVNULL)
        if root.is_dir():
            return root
    raise CorpusMissing(
        f"{root} not found. Install Debian's python3.11-doc (as root: apt-get update && apt-get install -y python3.11-doc) "
        "or pass --docs-dir with a folder of HTML pages."
    )


def content_pages(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*.html")
        if not _INDEX_PAGES.match(p.name) and not any(part.startswith("_") for part in p.relative_to(root).parts)
    )


def select_pages(root: Path, n: int) -> list[Path]:
    """``n`` pages evenly spaced through the sorted content pages (all of them when ``n`` is larger)."""
    pages = content_pages(root)
    if n >= len(pages):
        return pages
    step = len(pages) / n
    return [pages[int(i * step)] for i in range(n)]


def prepare(work: Path, docs_root: Path, n_docs: int) -> tuple[Path, Path, list[Path]]:
    """Copies of the bundled corpus and of ``n_docs`` HTML pages under ``work``: (corpus, docs, doc files)."""
    corpus = work / "corpus" / "cst"
    docs = work / "corpus" / "python-docs"
    shutil.rmtree(work / "corpus", ignore_errors=True)
    shutil.copytree(BUNDLED, corpus)
    docs.mkdir(parents=True)
    files = []
    for page in select_pages(docs_root, n_docs):
        dest = docs / page.relative_to(docs_root).as_posix().replace("/", "__")
        shutil.copyfile(page, dest)
        files.append(dest)
    for f in [*corpus.iterdir(), *files]:
        f.chmod(0o644)
    return corpus, docs, files


def write_small_files(folder: Path, count: int) -> list[Path]:
    """``count`` small text files (real paragraphs of the bundled corpus), for the unchanged re-ingest timing."""
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(BUNDLED.iterdir()) if p.suffix in {".md", ".txt"})
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if len(p.strip()) > 80]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    out = []
    for i in range(count):
        f = folder / f"note-{i:05d}.txt"
        f.write_text(f"{paragraphs[i % len(paragraphs)]}\n\nNote {i}.\n", encoding="utf-8")
        out.append(f)
    return out

"""PDF ingest speed: the bundled papers printed to PDF (one and two columns), parsed and ingested.

    .venv/bin/python -m benchmarks.pdf_ingest                      # this checkout
    .venv/bin/python -m benchmarks.pdf_ingest --pdfs DIR --out FILE  # the same PDFs, another checkout

It prints the corpus in each layout with headless Chromium (``cstassist.evals.formats``), or takes the PDFs
in ``--pdfs`` (so two checkouts can be timed on the very same files), then measures, ``--repeat`` times
each, after one untimed warm-up:

- **parse**: every PDF through ``Parser`` (the child process ingest uses), seconds per page;
- **ingest**: ``cstassist.ingest.ingest()`` of the folder into a fresh data directory (parse, chunk, embed,
  index), the embedding model loaded before the clock starts.

To compare with an older commit, export it (``git archive <commit> | tar -x -C /tmp/old``), make an
importable copy of its packages and run this module with that copy first on ``PYTHONPATH`` (see
benchmarks/README.md, "PDF ingest").
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def _pdfs(folder: Path) -> Path:
    """The bundled corpus as one- and two-column Chromium PDFs, in one folder."""
    from cstassist.evals.formats import render_corpus
    from cstassist.parsing import Parser
    from cstassist.settings import Settings

    settings = Settings()
    with Parser() as parser:
        for fmt in ("pdf", "pdf2col"):
            out = render_corpus(settings.corpus_dir, folder / fmt, fmt, parser)
            for pdf in out.glob("*.pdf"):
                shutil.copy2(pdf, folder / f"{pdf.stem}-{fmt}.pdf")
            shutil.rmtree(out)
    return folder


def _pages(folder: Path) -> int:
    from pypdf import PdfReader

    return sum(len(PdfReader(str(p)).pages) for p in folder.glob("*.pdf"))


def measure(folder: Path, repeat: int) -> dict[str, float]:
    import cstassist
    from cstassist.embedding import create_embedder
    from cstassist.ingest import ingest
    from cstassist.parsing import Parser
    from cstassist.settings import Settings

    files = sorted(folder.glob("*.pdf"))
    pages = _pages(folder)
    parse: list[float] = []
    with Parser() as parser:
        parser.parse(files[0], "pdf")  # warm-up: the child's imports
        for _ in range(repeat):
            started = time.perf_counter()
            for f in files:
                parser.parse(f, "pdf")
            parse.append(time.perf_counter() - started)
    embedder = create_embedder(Settings().embedding)
    embedder.embed(["warm-up"])
    runs: list[float] = []
    chunks = 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as data:
            settings = Settings(data_dir=Path(data))
            started = time.perf_counter()
            report = ingest([folder], settings, embedder=embedder)
            runs.append(time.perf_counter() - started)
            chunks = report.chunks_written
            assert report.ok, report.failed
    return {
        "code": str(Path(cstassist.__file__).resolve().parent),
        "files": len(files),
        "pages": pages,
        "chunks": chunks,
        "parse_s_median": round(statistics.median(parse), 3),
        "parse_ms_per_page": round(statistics.median(parse) / pages * 1000, 1),
        "ingest_s_median": round(statistics.median(runs), 3),
        "ingest_pages_per_s": round(pages / statistics.median(runs), 2),
        "parse_s_runs": [round(x, 3) for x in parse],
        "ingest_s_runs": [round(x, 3) for x in runs],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pdfs", help="time these PDFs (default: print the corpus into a temporary folder)")
    ap.add_argument("--keep", help="print the corpus into this folder and keep it (for a second checkout)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", help="write the figures here as JSON")
    args = ap.parse_args()
    if args.pdfs:
        folder = Path(args.pdfs)
    else:
        folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cstassist-pdfs-"))
        folder.mkdir(parents=True, exist_ok=True)
        _pdfs(folder)
    result = measure(folder, args.repeat)
    print(json.dumps(result, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")
    if not args.pdfs and not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Bad files are refused one by one, each named on one line with a reason a person can act on, while the
good files of the same run are still indexed and the command exits non-zero.

The whole folder goes through the real ``cstassist ingest`` once (a child process, its own data
directory), with a 1 MB file limit and a 5 s parse timeout.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

import pytest

from cstassist.settings import Settings

PARSE_TIMEOUT_S = 5

# file name -> what its one line must say
BAD = {
    "empty.txt": r"file is empty",
    "truncated.pdf": r"corrupt PDF",
    "encrypted.pdf": r"PDF is encrypted",
    "random-bytes.pdf": r"named \.pdf but the content is not a PDF",
    "oversized.txt": r"file is 1\.\d MB, over the 1 MB limit",
    "picture.png": r"binary content of an unsupported type",
    "program.exe": r"binary content of an unsupported type",
    "zip-bomb.docx": r"DOCX unpacks to \d+ MB, over the limit of 500 MB \(zip bomb\?\)",
    "archive.docx": r"zip archive that is not a Word document",
    "circular.pdf": rf"parsing took longer than {PARSE_TIMEOUT_S} s and was stopped",
}
GOOD = {"good-paper.pdf": "good-paper", "strong-trust.md": "strong-trust", "z-after-the-timeout.txt": "z-after-the-timeout"}


def _pdf_with_self_referencing_resources() -> bytes:
    """A one-page PDF whose /Resources object is a reference to itself: pdfminer resolves it forever."""
    stream = b"BT /F1 12 Tf 72 720 Td (Trust boards carry the accountability for their schools.) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources 5 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"5 0 R",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _zip_bomb(path: Path) -> None:
    """A real Word document plus 600 MB of zeros that pack into well under 1 MB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
        with zf.open("word/media/padding.bin", "w", force_zip64=True) as fh:
            block = b"\0" * 2**20
            for _ in range(600):
                fh.write(block)


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory, docs) -> Path:
    folder = tmp_path_factory.mktemp("bad-input")
    strong = docs.paragraphs("what-is-a-strong-trust-2022.md", 6)
    good_pdf = docs.pdf(folder / "good-paper.pdf", [("Expert governance", strong[:2]), ("Quality of education", strong[2:4])])
    docs.markdown(folder / "strong-trust.md", "What is a strong trust?", [("Purpose", strong[4:6])])
    docs.text(folder / "z-after-the-timeout.txt", docs.paragraphs("taking-stock-2019.txt", 2))

    (folder / "empty.txt").write_bytes(b"")
    pdf_bytes = good_pdf.read_bytes()
    (folder / "truncated.pdf").write_bytes(pdf_bytes[: len(pdf_bytes) // 2])
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(good_pdf))
    writer.encrypt(user_password="secret", owner_password="owner")
    writer.write(str(folder / "encrypted.pdf"))
    (folder / "random-bytes.pdf").write_bytes(random.Random(7).randbytes(8192))
    policy = "\n\n".join(docs.paragraphs("policy-library-trust-governance.txt", 30)) + "\n\n"
    (folder / "oversized.txt").write_text(policy * (int(1.5 * 2**20) // len(policy)))
    from PIL import Image

    Image.new("RGB", (16, 16), (200, 30, 30)).save(folder / "picture.png")
    (folder / "program.exe").write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(range(256)) * 8)
    _zip_bomb(folder / "zip-bomb.docx")
    with zipfile.ZipFile(folder / "archive.docx", "w") as zf:
        zf.writestr("notes.txt", "not a Word document")
    (folder / "circular.pdf").write_bytes(_pdf_with_self_referencing_resources())

    assert 1 * 2**20 < (folder / "oversized.txt").stat().st_size < 2 * 2**20
    assert (folder / "zip-bomb.docx").stat().st_size < 2**20  # small on disk, huge unpacked
    assert sorted(p.name for p in folder.iterdir()) == sorted([*BAD, *GOOD])
    return folder


@pytest.fixture(scope="module")
def bad_run(bad_folder, tmp_path_factory, run_cli):
    data = tmp_path_factory.mktemp("bad-input-data")
    result = run_cli(
        "ingest", str(bad_folder), data_dir=data, limits__max_file_mb="1", limits__parse_timeout_s=str(PARSE_TIMEOUT_S)
    )
    return result, Settings(data_dir=data, corpus_dir=bad_folder)


def _lines_naming(stderr: str, name: str) -> list[str]:
    return [line for line in stderr.splitlines() if re.search(rf"[/ ]{re.escape(name)}\b", line)]


@pytest.mark.parametrize("name", list(BAD))
def test_bad_file_is_named_on_one_line_with_its_reason(bad_run, name):
    result, _ = bad_run
    lines = _lines_naming(result.stderr, name)
    assert len(lines) == 1, f"{name}: expected one line, got {lines}\n--- stderr ---\n{result.stderr}"
    assert lines[0].startswith("FAILED ")
    assert re.search(BAD[name], lines[0]), lines[0]


def test_command_exits_non_zero_and_its_summary_counts_the_failures(bad_run):
    result, _ = bad_run
    assert result.returncode == 1, result.stderr
    assert f"{len(GOOD)} added, 0 updated, 0 unchanged, 0 removed, {len(BAD)} failed" in result.stdout


def test_good_files_in_the_same_run_are_still_indexed(bad_run, snapshot):
    result, settings = bad_run
    indexed = {dict(m)["document_id"] for _, _, m in snapshot(settings)}
    assert indexed == set(GOOD.values()), result.stderr
    for name in GOOD:
        assert _lines_naming(result.stderr, name) == [], f"{name} was reported although it is fine"


def test_good_file_after_a_parse_timeout_is_parsed_by_a_fresh_parser(bad_run, snapshot, by_document):
    _, settings = bad_run
    assert sorted(GOOD) > ["circular.pdf"]  # the good files come after the hanging one
    pdf = by_document(snapshot(settings), "good-paper")
    assert {c["page"] for c in pdf} == {1, 2}


def test_refused_files_leave_nothing_in_the_ledger_or_the_index(bad_run, snapshot):
    from cstassist.database import Database
    from cstassist.state import Ledger

    _, settings = bad_run
    sources = {dict(m)["source"] for _, _, m in snapshot(settings)}
    assert sources == set(GOOD)
    assert set(Ledger(Database.for_settings(settings)).rows()) == set(GOOD.values())


def test_file_that_vanishes_during_the_run_fails_alone_and_the_run_goes_on(tmp_path, make_settings, embedder):
    from cstassist.ingest import ingest

    folder = tmp_path / "library"
    folder.mkdir()
    for name in ("a-empty.txt", "b-vanishing.md", "c-empty.txt"):
        (folder / name).write_bytes(b"" if "empty" in name else b"# Soon gone\n\nThis file is deleted mid-run.\n")

    def delete_the_next_file(name: str, reason: str) -> None:
        (folder / "b-vanishing.md").unlink(missing_ok=True)

    report = ingest([folder], make_settings(folder), embedder=embedder, on_failure=delete_the_next_file)

    reasons = {n.rsplit("/", 1)[1]: r for n, r in report.failed}
    assert reasons["b-vanishing.md"].startswith("cannot read the file (No such file or directory")
    assert reasons["c-empty.txt"] == "file is empty"  # the run went on past the vanished file

"""``filetypes.detect`` decides from a file's bytes, not its name, and refuses what must not be parsed
with a reason a person can act on."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from cstassist.errors import FileTooLarge, UnreadableFile, UnsupportedFile
from cstassist.filetypes import detect, read_text, sentence_sized

MB = 2**20
TEXT = "School trusts are education charities that run groups of schools to give children a better future.\n"


def _pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    out = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.write(out)
    return out.getvalue()


def _docx_bytes() -> bytes:
    import docx

    out = io.BytesIO()
    d = docx.Document()
    d.add_paragraph(TEXT)
    d.save(out)
    return out.getvalue()


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def kind(path: Path, **limits) -> str:
    return detect(path, max_bytes=limits.pop("max_bytes", 50 * MB), **limits).kind


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("paper.pdf", "pdf", "pdf"),
        ("paper", "pdf", "pdf"),
        ("guidance.docx", "docx", "docx"),
        ("guidance.bin", "docx", "docx"),
        ("page.html", "<html><body><p>Trusts</p></body></html>", "html"),
        ("page.txt", "<!DOCTYPE html><html><body><p>Trusts</p></body></html>", "html"),
        ("notes.md", "# Trusts\n\n" + TEXT, "markdown"),
        ("notes.txt", TEXT, "text"),
    ],
    ids=[
        "pdf",
        "pdf without extension",
        "docx",
        "docx content named .bin",
        "html",
        "html content named .txt",
        "markdown",
        "text",
    ],
)
def test_supported_content_is_recognised_by_its_bytes(tmp_path, name, content, expected):
    data = {"pdf": _pdf_bytes(), "docx": _docx_bytes()}.get(content, content)
    assert kind(_write(tmp_path, name, data)) == expected


def test_pdf_bytes_under_another_extension_are_refused_with_a_rename_hint(tmp_path):
    with pytest.raises(UnsupportedFile, match=r"content is a PDF but the name ends \.txt; rename it \.pdf"):
        kind(_write(tmp_path, "report.txt", _pdf_bytes()))


def test_random_bytes_named_pdf_are_not_a_pdf(tmp_path):
    with pytest.raises(UnreadableFile, match=r"named \.pdf but the content is not a PDF"):
        kind(_write(tmp_path, "paper.pdf", random.Random(1).randbytes(4096)))


def test_text_named_docx_is_not_a_word_document(tmp_path):
    with pytest.raises(UnreadableFile, match=r"named \.docx but the content is not a Word document"):
        kind(_write(tmp_path, "guidance.docx", TEXT))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(64)),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(64)),
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 4),
    ],
    ids=["png", "png named .txt", "exe"],
)
def test_binary_content_is_unsupported_whatever_its_name(tmp_path, name, data):
    with pytest.raises(UnsupportedFile, match="binary content of an unsupported type"):
        kind(_write(tmp_path, name, data))


def test_text_with_an_unsupported_extension_is_refused(tmp_path):
    with pytest.raises(UnsupportedFile, match=r"unsupported file type \.csv"):
        kind(_write(tmp_path, "pupils.csv", "trust,schools\nA,3\n"))


def test_empty_file_is_refused(tmp_path):
    with pytest.raises(UnreadableFile, match="file is empty"):
        kind(_write(tmp_path, "empty.md", b""))


def test_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = _write(tmp_path, "big.txt", TEXT * 20_000)
    with pytest.raises(FileTooLarge, match=r"file is 1\.9 MB, over the 1 MB limit"):
        kind(path, max_bytes=1 * MB)


def test_windows_1252_text_is_text(tmp_path):
    assert kind(_write(tmp_path, "letter.txt", "Trusts \u2013 a \u201cstrong\u201d case\n".encode("cp1252") * 10)) == "text"


def test_utf8_character_cut_by_the_sniff_window_is_still_text(tmp_path):
    data = ("a" * (64 * 1024 - 1)).encode() + "\u2019 and more".encode()  # the 3-byte quote straddles 64 KiB
    assert kind(_write(tmp_path, "long.txt", data)) == "text"


def _zip(path: Path, entries: dict[str, bytes | int]) -> Path:
    """A zip with the given entries; an int is that many zero bytes, streamed (small on disk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            if isinstance(data, int):
                with zf.open(name, "w", force_zip64=True) as fh:
                    for _ in range(data // MB):
                        fh.write(bytes(MB))
            else:
                zf.writestr(name, data)
    return path


def test_docx_that_unpacks_over_the_limit_is_a_zip_bomb(tmp_path):
    bomb = _zip(tmp_path / "bomb.docx", {"word/document.xml": b"<w:document/>", "word/media/pad.bin": 20 * MB})
    assert bomb.stat().st_size < 100 * 1024
    with pytest.raises(UnreadableFile, match=r"DOCX unpacks to 20 MB, over the limit of 10 MB \(zip bomb\?\)"):
        kind(bomb, zip_max_uncompressed=10 * MB)


def test_docx_with_an_absurd_compression_ratio_is_a_zip_bomb_even_under_the_size_limit(tmp_path):
    bomb = _zip(tmp_path / "bomb.docx", {"word/document.xml": b"<w:document/>", "word/media/pad.bin": 60 * MB})
    with pytest.raises(UnreadableFile, match=r"compression ratio \d+:1 is absurd \(zip bomb\?\)"):
        kind(bomb)


def test_docx_with_too_many_entries_is_refused(tmp_path):
    many = _zip(tmp_path / "many.docx", {"word/document.xml": b"<w:document/>"} | {f"word/m{i}.xml": b"x" for i in range(60)})
    with pytest.raises(UnreadableFile, match=r"DOCX has 61 zip entries, over the limit of 50"):
        kind(many, zip_max_entries=50)


def test_zip_without_a_word_document_is_not_a_docx(tmp_path):
    with pytest.raises(UnsupportedFile, match=r"zip archive that is not a Word document"):
        kind(_zip(tmp_path / "archive.docx", {"notes.txt": b"hello"}))


def test_truncated_zip_is_a_corrupt_docx(tmp_path):
    data = _docx_bytes()
    with pytest.raises(UnreadableFile, match=r"corrupt zip/DOCX archive"):
        kind(_write(tmp_path, "cut.docx", data[: len(data) // 2]))


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"], ids=["bom", "le-no-bom", "be-no-bom"])
def test_utf16_text_is_text_and_reads_back(tmp_path, codec):
    path = _write(tmp_path, "notes.txt", "Trustees meet termly. £5 fee.\n".encode(codec))
    assert kind(path) == "text"
    assert read_text(path) == "Trustees meet termly. £5 fee.\n"


def test_a_word_document_under_another_name_is_refused_with_a_rename_hint(tmp_path):
    with pytest.raises(UnsupportedFile, match=r"content is a Word document but the name ends \.pdf; rename it \.docx"):
        kind(_write(tmp_path, "paper.pdf", _docx_bytes()))


def test_sentence_sized_breaks_only_long_lines_and_keeps_every_word():
    long = " ".join(f"Sentence number {i} is about trust boards." for i in range(500))
    text = "Short heading\n" + long + "\n" + "x" * 2500
    out = sentence_sized(text, max_chars=1000)
    assert out.splitlines()[0] == "Short heading"
    assert all(len(line) <= 1000 for line in out.splitlines())
    assert "".join(out.split()) == "".join(text.split())  # nothing lost, nothing added
    assert all(line.endswith(".") for line in out.splitlines()[1:-3])  # cut at sentence ends
    assert sentence_sized("a\nb", 1000) == "a\nb"

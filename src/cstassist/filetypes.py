"""Deciding what a file is from its bytes, and refusing hostile or unsupported files before parsing."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import FileTooLarge, UnreadableFile, UnsupportedFile

SUPPORTED_SUFFIXES = {".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt", ".text"}
_TEXT_SNIFF = 64 * 1024


@dataclass(frozen=True)
class FileType:
    kind: str  # pdf | docx | html | markdown | text


def detect(path: Path, *, max_bytes: int, zip_max_entries: int = 5000, zip_max_uncompressed: int = 500 * 2**20) -> FileType:
    """Look at the file's content (magic bytes), not just its name, and say what it is.

    Raises ``UnsupportedFile``, ``UnreadableFile`` or ``FileTooLarge`` with a reason a person can act on.
    """
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFile("file is empty")
    if size > max_bytes:
        raise FileTooLarge(f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit")
    with path.open("rb") as fh:
        head = fh.read(_TEXT_SNIFF)
    suffix = path.suffix.lower()

    if head.lstrip(b"\xef\xbb\xbf\r\n\t ")[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        if suffix not in {".pdf", ""}:
            raise UnsupportedFile(f"content is a PDF but the name ends {suffix}; rename it .pdf if it is meant to be ingested")
        return FileType("pdf")
    if head[:4] == b"PK\x03\x04":
        _check_docx(path, zip_max_entries, zip_max_uncompressed)
        return FileType("docx")
    if suffix == ".pdf":
        raise UnreadableFile("named .pdf but the content is not a PDF (no %PDF header)")
    if suffix == ".docx":
        raise UnreadableFile("named .docx but the content is not a Word document (not a zip archive)")
    text = _decode_text(head)
    if text is None:
        raise UnsupportedFile("binary content of an unsupported type (supported: PDF, DOCX, HTML, Markdown, text)")
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFile(
            f"unsupported file type {suffix or '(no extension)'} (supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
        )
    low = text[:4096].lower()
    if suffix in {".html", ".htm"} or low.lstrip().startswith(("<!doctype html", "<html")):
        return FileType("html")
    if suffix in {".md", ".markdown"}:
        return FileType("markdown")
    return FileType("text")


def _decode_text(head: bytes) -> str | None:
    """The sniffed bytes as text, or None when they look binary."""
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(head) == _TEXT_SNIFF and exc.start >= len(head) - 4:  # a character cut at the sniff boundary
            text = head[: exc.start].decode("utf-8")
        else:
            try:
                text = head.decode("cp1252")
            except UnicodeDecodeError:
                return None
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\r\n\t\f")
    if controls > max(8, len(text) // 100):
        return None
    return text


def _check_docx(path: Path, max_entries: int, max_uncompressed: int) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > max_entries:
                raise UnreadableFile(f"DOCX has {len(infos)} zip entries, over the limit of {max_entries} (zip bomb?)")
            total = sum(i.file_size for i in infos)
            if total > max_uncompressed:
                raise UnreadableFile(
                    f"DOCX unpacks to {total / 2**20:.0f} MB, over the limit of {max_uncompressed / 2**20:.0f} MB (zip bomb?)"
                )
            packed = sum(i.compress_size for i in infos) or 1
            if total > 50 * 2**20 and total / packed > 200:
                raise UnreadableFile(f"DOCX compression ratio {total / packed:.0f}:1 is absurd (zip bomb?)")
            names = {i.filename for i in infos}
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(f"corrupt zip/DOCX archive ({exc})") from None
    if "word/document.xml" not in names:
        raise UnsupportedFile("zip archive that is not a Word document (no word/document.xml)")

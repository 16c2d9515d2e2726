"""Deciding what a file is from its bytes, and refusing hostile or unsupported files before parsing.

Also how a plain-text file's bytes become text (``read_text``: UTF-8, UTF-16 with or without a byte-order
mark, else Windows-1252) and the one shaping it needs before unstructured sees it (``sentence_sized``).
"""

from __future__ import annotations

import re
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
        if suffix in SUPPORTED_SUFFIXES - {".docx"}:  # a Word file named .pdf would be cited as a PDF without a word
            raise UnsupportedFile(
                f"content is a Word document but the name ends {suffix}; rename it .docx if it is meant to be ingested"
            )
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


def _utf16(data: bytes) -> str | None:
    """The codec of UTF-16 bytes: by byte-order mark, or (no mark) by the zero bytes mostly ASCII text has in
    every other place; None for anything else."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    pairs = data[: len(data) - len(data) % 2]
    if len(pairs) < 4:
        return None
    even, odd = pairs[0::2].count(0), pairs[1::2].count(0)
    half = len(pairs) // 2
    if odd > 0.9 * half and even == 0:
        return "utf-16-le"
    if even > 0.9 * half and odd == 0:
        return "utf-16-be"
    return None


def read_text(path: Path) -> str:
    """A text file's content as a string: UTF-8 (a byte-order mark dropped), UTF-16, else Windows-1252."""
    data = path.read_bytes()
    codec = _utf16(data)
    if codec:
        return data.decode(codec, errors="replace").lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


def sentence_sized(text: str, max_chars: int = 1000) -> str:
    """``text`` with every line longer than ``max_chars`` broken into lines of whole sentences (a sentence
    longer than that at spaces, and a run with no space at ``max_chars``).

    unstructured classifies each line of a text file with spaCy, whose cost and memory grow with the line:
    a single 100 KB line took 3-9 s and one of 300 KB ran the parser out of memory. Lines of sentence size
    parse in linear time, and the chunker joins them again into passages.
    """
    if all(len(line) <= max_chars for line in text.splitlines()):
        return text
    out: list[str] = []
    for line in text.splitlines():
        if len(line) <= max_chars:
            out.append(line)
            continue
        piece = ""
        for part in _pieces(line, max_chars):
            if piece and len(piece) + 1 + len(part) > max_chars:
                out.append(piece)
                piece = part
            else:
                piece = f"{piece} {part}" if piece else part
        out.append(piece)
    return "\n".join(out)


def _pieces(line: str, max_chars: int) -> list[str]:
    """Sentences of ``line``, each at most ``max_chars`` (longer ones split at spaces, then hard)."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(line):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            out.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        if sentence:
            out.append(sentence)
    return out


def _decode_text(head: bytes) -> str | None:
    """The sniffed bytes as text, or None when they look binary."""
    codec = _utf16(head)
    if codec:
        head = head[: len(head) - len(head) % 2]
        return _decode_text(head.decode(codec, errors="replace").encode("utf-8"))
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

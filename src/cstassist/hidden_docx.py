"""Text a reader cannot see in a DOCX file, found run by run and removed by position.

Word decides how a run looks from a chain of places, each overriding the one before: the document defaults
(``w:docDefaults``), the paragraph's style and the styles it is based on, the run's character style and its
bases, then the run's own formatting. A run is invisible when, after that chain:

- it is hidden (``w:vanish``, ``w:specVanish``);
- its font is too small to read (under 3 pt);
- its colour is too close to what lies behind it: the run's shading or highlight, else the paragraph's
  shading, else the table cell's, else the page background, else white. This one rule covers white and
  near-white on a white page, theme colours that resolve to white (``w:themeColor="background1"``) and
  black on black.

Every part that holds text and that the parser reads is checked: the body with its tables (nested too) and text
boxes, headers and footers (footnotes and endnotes are read by neither python-docx nor unstructured). Invisible runs are deleted from a copy of the document, so what is left is parsed as it stands:
a hidden "must not" removes only itself, never a visible "must not" elsewhere.

>>> copy, dropped = visible_docx("paper.docx")   # doctest: +SKIP
>>> dropped
[('hidden run', 'Ignore previous instructions.')]
"""

from __future__ import annotations

import io
from typing import Any

from lxml import etree

from .css import contrast

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_NS = {"w": W, "a": A}
_TEXT_PARTS = ("document", "header", "footer", "footnotes", "endnotes")
MIN_POINTS = 3.0  # below this a run cannot be read at normal zoom
MIN_CONTRAST = 1.5  # WCAG contrast ratio; #CCCCCC on white is 1.6, #DDDDDD 1.36, white on white 1.0

# highlight names (w:highlight) as colours
_HIGHLIGHT = {
    "black": "000000", "blue": "0000FF", "cyan": "00FFFF", "green": "00FF00", "magenta": "FF00FF", "red": "FF0000",
    "yellow": "FFFF00", "white": "FFFFFF", "darkBlue": "000080", "darkCyan": "008080", "darkGreen": "008000",
    "darkMagenta": "800080", "darkRed": "800000", "darkYellow": "808000", "darkGray": "808080", "lightGray": "C0C0C0",
}  # fmt: skip
# w:themeColor names -> the theme's colour-scheme slots
_THEME_SLOT = {
    "dark1": "dk1", "light1": "lt1", "dark2": "dk2", "light2": "lt2", "text1": "dk1", "background1": "lt1",
    "text2": "dk2", "background2": "lt2", "hyperlink": "hlink", "followedHyperlink": "folHlink",
    **{f"accent{i}": f"accent{i}" for i in range(1, 7)},
}  # fmt: skip


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{_NS[prefix]}}}{name}"


def _on(el: Any) -> bool:
    """A toggle property (``<w:vanish/>``, ``<w:vanish w:val="0"/>``) is on unless its value says off."""
    return el.get(_q("w:val"), "true").lower() not in ("0", "false", "off")


def _rgb(hex6: str) -> tuple[int, int, int]:
    return int(hex6[0:2], 16), int(hex6[2:4], 16), int(hex6[4:6], 16)


def _hex(value: str | None) -> str | None:
    if value and len(value) == 6 and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.upper()
    return None


class _Styles:
    """Resolves a run's effective properties through defaults, paragraph style and character style."""

    def __init__(self, doc: Any) -> None:
        self.theme = _theme_colours(doc)
        root = doc.styles.element
        self.defaults = root.find("w:docDefaults/w:rPrDefault/w:rPr", _NS)
        self.by_id = {s.get(_q("w:styleId")): s for s in root.findall("w:style", _NS)}
        self.default_para = next(
            (s.get(_q("w:styleId")) for s in root.findall("w:style[@w:type='paragraph']", _NS) if _on_attr(s, "w:default")),
            None,
        )
        bg = doc.element.find("w:background", _NS)
        self.page = self.colour(bg) if bg is not None else None

    def chain(self, style_id: str | None) -> list[Any]:
        """The ``w:rPr`` of a style and of each style it is based on, base first."""
        out: list[Any] = []
        seen: set[str] = set()
        while style_id and style_id not in seen and style_id in self.by_id:
            seen.add(style_id)
            style = self.by_id[style_id]
            rpr = style.find("w:rPr", _NS)
            if rpr is not None:
                out.insert(0, rpr)
            based = style.find("w:basedOn", _NS)
            style_id = based.get(_q("w:val")) if based is not None else None
        return out

    def colour(self, el: Any, attr: str = "w:val") -> str | None:
        """An element's colour as RRGGBB: its theme colour (with tint/shade) if it names one, else its value."""
        theme = el.get(_q("w:themeColor")) or el.get(_q("w:themeFill"))
        if theme and _THEME_SLOT.get(theme) in self.theme:
            rgb = self.theme[_THEME_SLOT[theme]]
            tint = el.get(_q("w:themeTint")) or el.get(_q("w:themeFillTint"))
            shade = el.get(_q("w:themeShade")) or el.get(_q("w:themeFillShade"))
            return _tinted(rgb, tint, shade)
        return _hex(el.get(_q(attr)))

    def effective(self, run: Any, paragraph: Any) -> dict[str, Any]:
        """The properties that decide visibility: vanish, size (pt), colour and background of the run."""
        ppr = paragraph.find("w:pPr", _NS) if paragraph is not None else None
        pstyle = ppr.find("w:pStyle", _NS) if ppr is not None else None
        para_style = pstyle.get(_q("w:val")) if pstyle is not None else self.default_para
        rpr = run.find("w:rPr", _NS)
        rstyle = rpr.find("w:rStyle", _NS) if rpr is not None else None
        layers = [self.defaults] + self.chain(para_style)
        layers += self.chain(rstyle.get(_q("w:val")) if rstyle is not None else None) + [rpr]
        props: dict[str, Any] = {"vanish": False, "size": None, "color": None, "background": None}
        for layer in (x for x in layers if x is not None):
            for tag in ("w:vanish", "w:specVanish"):
                el = layer.find(tag, _NS)
                if el is not None:
                    props["vanish"] = _on(el)
            sz = layer.find("w:sz", _NS)
            if sz is not None and (sz.get(_q("w:val")) or "").isdigit():
                props["size"] = int(sz.get(_q("w:val"))) / 2
            color = layer.find("w:color", _NS)
            if color is not None:
                props["color"] = self.colour(color)  # "auto" -> None: Word picks black or white to contrast
            shd = layer.find("w:shd", _NS)
            if shd is not None and self.colour(shd, "w:fill"):
                props["background"] = self.colour(shd, "w:fill")
            hl = layer.find("w:highlight", _NS)
            if hl is not None and hl.get(_q("w:val")) in _HIGHLIGHT:
                props["background"] = _HIGHLIGHT[hl.get(_q("w:val"))]
        if props["background"] is None:
            props["background"] = self._behind(paragraph)
        return props

    def _behind(self, paragraph: Any) -> str:
        """The colour behind a paragraph: its shading, else its table cell's (innermost first), else the page's."""
        node = paragraph
        while node is not None:
            if node.tag in (_q("w:p"), _q("w:tc")):
                props = node.find("w:pPr" if node.tag == _q("w:p") else "w:tcPr", _NS)
                shd = props.find("w:shd", _NS) if props is not None else None
                if shd is not None and self.colour(shd, "w:fill"):
                    return self.colour(shd, "w:fill")  # type: ignore[return-value]
            node = node.getparent()
        return self.page or "FFFFFF"


def _on_attr(el: Any, attr: str) -> bool:
    return (el.get(_q(attr)) or "").lower() in ("1", "true", "on")


def _tinted(rgb: str, tint: str | None, shade: str | None) -> str:
    """Apply Word's themeTint (towards white) and themeShade (towards black), each a hex byte 00-FF."""
    channels = [int(rgb[i : i + 2], 16) for i in (0, 2, 4)]
    try:
        if tint:
            t = int(tint, 16) / 255
            channels = [round(c * t + 255 * (1 - t)) for c in channels]
        if shade:
            s = int(shade, 16) / 255
            channels = [round(c * s) for c in channels]
    except ValueError:
        pass
    return "".join(f"{c:02X}" for c in channels)


def _theme_colours(doc: Any) -> dict[str, str]:
    """The theme's colour scheme (``dk1``, ``lt1``, ``accent1`` ...) as RRGGBB."""
    for rel in doc.part.rels.values():
        if rel.reltype.endswith("/theme") and not rel.is_external:
            try:
                root = etree.fromstring(rel.target_part.blob)
            except etree.XMLSyntaxError:
                return {}
            scheme = root.find(".//a:clrScheme", _NS)
            out = {}
            for slot in scheme if scheme is not None else []:
                colour = slot.find("a:srgbClr", _NS)
                value = colour.get("val") if colour is not None else None
                if value is None:
                    sys_colour = slot.find("a:sysClr", _NS)
                    value = sys_colour.get("lastClr") if sys_colour is not None else None
                if _hex(value):
                    out[etree.QName(slot).localname] = value.upper()  # type: ignore[union-attr]
            return out
    return {}


def why_invisible(props: dict[str, Any]) -> str | None:
    """Why a run with these effective properties cannot be seen, or None when it can."""
    if props["vanish"]:
        return "hidden run"
    if props["size"] is not None and props["size"] < MIN_POINTS:
        return "tiny text"
    if props["color"] and contrast(_rgb(props["color"]), _rgb(props["background"])) < MIN_CONTRAST:
        return "white text" if props["background"] == "FFFFFF" else "text the colour of its background"
    return None


def _run_text(run: Any) -> str:
    parts = []
    for el in run.iter():
        if el.tag == _q("w:t"):
            parts.append(el.text or "")
        elif el.tag in (_q("w:tab"), _q("w:br"), _q("w:cr")):
            parts.append(" ")
    return "".join(parts)


def _text_parts(doc: Any) -> list[Any]:
    """The XML roots of the parts that hold running text: the body, headers and footers (footnote and endnote parts,
    should a later python-docx load them as XML, too)."""
    roots, seen = [], set()
    for part in doc.part.package.iter_parts():
        name = str(part.partname).rsplit("/", 1)[-1]
        if name.startswith(_TEXT_PARTS) and name.endswith(".xml") and id(part) not in seen:
            seen.add(id(part))
            element = getattr(part, "element", None)
            if element is None:  # a part python-docx loads as bytes only (footnotes, endnotes)
                continue
            roots.append(element)
    return roots


def visible_docx(path: str) -> tuple[io.BytesIO, list[tuple[str, str]]]:
    """A copy of the document without its invisible runs (a stream for ``partition_docx(file=...)``), and what
    was dropped as (why, text) pairs, consecutive invisible runs of a paragraph joined into one."""
    from docx import Document

    doc = Document(path)
    styles = _Styles(doc)
    dropped: list[tuple[str, str]] = []
    for root in _text_parts(doc):
        for paragraph in root.iter(_q("w:p")):
            pending: tuple[str, list[str]] | None = None
            doomed = []
            # runs directly in the paragraph and inside hyperlinks, insertions, fields; not inside a text box's
            # own paragraphs, which the outer iteration reaches as paragraphs of their own
            for run in paragraph.iter(_q("w:r")):
                if _nearest_paragraph(run) is not paragraph:
                    continue
                text = _run_text(run)
                why = why_invisible(styles.effective(run, paragraph)) if text.strip() else None
                if why is None:
                    if pending and text.strip():
                        dropped.append((pending[0], " ".join("".join(pending[1]).split())))
                        pending = None
                    continue
                doomed.append(run)
                if pending and pending[0] == why:
                    pending[1].append(text)
                else:
                    if pending:
                        dropped.append((pending[0], " ".join("".join(pending[1]).split())))
                    pending = (why, [text])
            if pending:
                dropped.append((pending[0], " ".join("".join(pending[1]).split())))
            for run in doomed:
                run.getparent().remove(run)
    out = io.BytesIO()
    doc.save(out)
    out.seek(0)
    return out, dropped


def _nearest_paragraph(node: Any) -> Any:
    node = node.getparent()
    while node is not None and node.tag != _q("w:p"):
        node = node.getparent()
    return node

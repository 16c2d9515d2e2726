"""Just enough CSS to tell whether text can be seen: declarations, colours, lengths and simple selectors.

Written for ``hidden.visible_html``, not as a CSS engine. What it reads:

- declarations with comments removed (``display:/**/none`` is ``display:none``) and ``!important`` dropped;
- colours as names, ``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa``, ``rgb()``/``rgba()`` with commas or spaces
  (``rgb(255 255 255 / 50%)``), and ``hsl()``/``hsla()``;
- stylesheet rules (``Stylesheet``) whose selectors are compounds of a tag, ``.class``, ``#id`` and ``[attr]`` / ``[attr=v]``,
  joined by descendant or child combinators (a child combinator is matched as a descendant one, which can only
  hide more). Pseudo-classes, sibling combinators and ``@media`` conditions are not evaluated: a rule inside
  ``@media`` is applied as if the media matched.

>>> parse_colour("hsl(0, 0%, 100%)")
(255, 255, 255, 1.0)
>>> round(contrast((238, 238, 238), (255, 255, 255)), 2)
1.16
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass
from typing import Any

Colour = tuple[int, int, int, float]  # r, g, b (0-255), alpha (0-1)

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_NAMED: dict[str, Colour] = {
    "white": (255, 255, 255, 1.0), "snow": (255, 250, 250, 1.0), "ivory": (255, 255, 240, 1.0),
    "ghostwhite": (248, 248, 255, 1.0), "whitesmoke": (245, 245, 245, 1.0), "floralwhite": (255, 250, 240, 1.0),
    "mintcream": (245, 255, 250, 1.0), "azure": (240, 255, 255, 1.0), "seashell": (255, 245, 238, 1.0),
    "black": (0, 0, 0, 1.0), "transparent": (0, 0, 0, 0.0), "red": (255, 0, 0, 1.0), "blue": (0, 0, 255, 1.0),
    "green": (0, 128, 0, 1.0), "grey": (128, 128, 128, 1.0), "gray": (128, 128, 128, 1.0),
    "silver": (192, 192, 192, 1.0), "navy": (0, 0, 128, 1.0), "yellow": (255, 255, 0, 1.0),
}  # fmt: skip
_FUNC = re.compile(r"^(rgba?|hsla?)\(\s*([^)]*)\)$")
_COMPOUND = re.compile(r"^(\*|[a-z][\w-]*)?((?:[.#][\w-]+|\[[^\]]+\])*)$", re.I)
_PART = re.compile(r"[.#][\w-]+|\[[^\]]+\]")


def declarations(style: str) -> dict[str, str]:
    """``"color: WHITE !important; display:/**/none"`` -> ``{"color": "white", "display": "none"}`` (last wins)."""
    out: dict[str, str] = {}
    for item in _COMMENT.sub("", style or "").split(";"):
        name, sep, value = item.partition(":")
        if sep:
            value = re.sub(r"!\s*important\s*$", "", value.strip(), flags=re.I).strip().lower()
            out[name.strip().lower()] = " ".join(value.split())
    return out


def parse_colour(value: str | None) -> Colour | None:
    """A CSS colour as (r, g, b, alpha), or None when it is not one this module knows (treated as visible)."""
    if not value:
        return None
    v = value.strip().lower()
    if v in _NAMED:
        return _NAMED[v]
    if v.startswith("#"):
        h = v[1:]
        if len(h) in (3, 4):
            h = "".join(c * 2 for c in h)
        if len(h) in (6, 8) and all(c in "0123456789abcdef" for c in h):
            alpha = int(h[6:8], 16) / 255 if len(h) == 8 else 1.0
            return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), alpha
        return None
    m = _FUNC.match(v)
    if not m:
        return None
    args = [a for a in re.split(r"[\s,/]+", m.group(2).strip()) if a]
    if len(args) not in (3, 4):
        return None
    try:
        alpha = _number(args[3], 1.0) if len(args) == 4 else 1.0
        if m.group(1).startswith("rgb"):
            r, g, b = (round(_number(a, 255.0)) for a in args[:3])
        else:
            hue = float(args[0].removesuffix("deg")) / 360 % 1.0
            sat, light = _number(args[1], 1.0), _number(args[2], 1.0)
            r, g, b = (round(c * 255) for c in colorsys.hls_to_rgb(hue, light, sat))
    except ValueError:
        return None
    return min(max(r, 0), 255), min(max(g, 0), 255), min(max(b, 0), 255), min(max(alpha, 0.0), 1.0)


def _number(text: str, scale: float) -> float:
    """``"50%"`` -> half of ``scale``; a bare number is taken as it is (a channel 0-255, an alpha 0-1)."""
    if text.endswith("%"):
        return float(text[:-1]) / 100 * scale
    return float(text)


def contrast(fg: tuple[int, ...], bg: tuple[int, ...]) -> float:
    """WCAG contrast ratio of two colours (r, g, b, ...): 1.0 (identical) to 21.0 (black on white)."""

    def luminance(c: tuple[int, ...]) -> float:
        def channel(x: int) -> float:
            s = x / 255
            return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2])

    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def length_px(value: str | None) -> float | None:
    """A CSS length in CSS pixels (em/rem as 16 px, pt as 4/3 px); None when not a plain length."""
    m = re.match(r"^(-?[\d.]+)\s*(px|pt|em|rem|%|vw|vh)?$", (value or "").strip())
    if not m:
        return None
    try:
        number = float(m.group(1))
    except ValueError:
        return None
    return number * {"px": 1, "pt": 4 / 3, "em": 16, "rem": 16, "%": 1, "vw": 10, "vh": 10, None: 1}[m.group(2)]


# properties that can make text unseen, or change the colour it is seen against
RELEVANT = frozenset(
    "display visibility content-visibility opacity color background background-color font-size position left top "
    "right bottom margin-left margin-top text-indent transform clip clip-path overflow width height".split()
)


@dataclass(frozen=True)
class Compound:
    """One compound selector (``p.note#x[lang]``): a tag (or None), classes, an id, attributes (name, value or None)."""

    tag: str | None
    classes: tuple[str, ...]
    id: str | None
    attrs: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, text: str) -> Compound | None:
        m = _COMPOUND.match(text)
        if not m:
            return None
        parts = _PART.findall(m.group(2))
        attrs = []
        for part in (p for p in parts if p[0] == "["):
            name, eq, value = part[1:-1].partition("=")
            attrs.append((name.strip(), value.strip().strip("\"'") if eq else None))
        ids = [p[1:] for p in parts if p[0] == "#"]
        tag = m.group(1).lower() if m.group(1) and m.group(1) != "*" else None
        return cls(tag, tuple(p[1:] for p in parts if p[0] == "."), ids[0] if ids else None, tuple(attrs))

    def matches(self, el: Any) -> bool:
        if not isinstance(el.tag, str) or (self.tag and el.tag.lower() != self.tag):
            return False
        if self.id is not None and el.get("id") != self.id:
            return False
        if self.classes and not set(self.classes) <= set((el.get("class") or "").split()):
            return False
        return all((el.get(n) is not None) if v is None else el.get(n) == v for n, v in self.attrs)

    @property
    def key(self) -> str:
        """What an element must have for this compound to match it: the bucket ``Stylesheet`` files the rule in."""
        return f"#{self.id}" if self.id else f".{self.classes[0]}" if self.classes else self.tag or "*"


@dataclass(frozen=True)
class Rule:
    compounds: tuple[Compound, ...]
    declarations: dict[str, str]
    order: int

    def matches(self, el: Any) -> bool:
        """Whether the element matches the selector (descendant semantics for every combinator)."""
        if not self.compounds[-1].matches(el):
            return False
        rest = list(self.compounds[:-1])
        node = el.getparent()
        while rest and node is not None:
            if rest[-1].matches(node):
                rest.pop()
            node = node.getparent()
        return not rest


class Stylesheet:
    """The rules of a page's ``<style>`` elements that can hide text, filed by what their last compound needs (an
    id, a class, a tag), so each element is tried only against rules it could match.

    Selectors this module cannot match (pseudo-classes, sibling combinators) and rules setting nothing in
    ``RELEVANT`` are left out."""

    def __init__(self, css: str) -> None:
        self.buckets: dict[str, list[Rule]] = {}
        order = 0
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", _COMMENT.sub("", css)):
            decls = {k: v for k, v in declarations(body).items() if k in RELEVANT}
            if not decls:
                continue
            for selector in selectors.split(","):
                compounds = [Compound.parse(p) for p in selector.replace(">", " ").split()]
                if compounds and all(compounds):
                    rule = Rule(tuple(compounds), decls, order)  # type: ignore[arg-type]
                    self.buckets.setdefault(rule.compounds[-1].key, []).append(rule)
                    order += 1

    def __bool__(self) -> bool:
        return bool(self.buckets)

    def style(self, el: Any) -> dict[str, str]:
        """The declarations of every rule matching ``el``, later rules winning (specificity is not weighed)."""
        keys = ["*", str(el.tag).lower(), *(f".{c}" for c in (el.get("class") or "").split())]
        if el.get("id"):
            keys.append(f"#{el.get('id')}")
        candidates = sorted({id(r): r for k in keys for r in self.buckets.get(k, ())}.values(), key=lambda r: r.order)
        out: dict[str, str] = {}
        for rule in candidates:
            if rule.matches(el):
                out.update(rule.declarations)
        return out

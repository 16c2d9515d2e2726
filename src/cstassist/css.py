"""Just enough CSS to tell whether text can be seen: declarations, colours, lengths and simple selectors.

Written for ``hidden.visible_html``, not as a CSS engine. What it reads:

- declarations with comments removed (``display:/**/none`` is ``display:none``) and ``!important`` dropped;
- colours as names, ``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa``, ``rgb()``/``rgba()`` with commas or spaces
  (``rgb(255 255 255 / 50%)``), and ``hsl()``/``hsla()``;
- stylesheet rules whose selectors are compounds of a tag, ``.class``, ``#id`` and ``[attr]`` / ``[attr=v]``,
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


def stylesheet_rules(css: str) -> list[tuple[list[str], dict[str, str]]]:
    """The rules of a ``<style>`` element as (selector compounds, declarations); selectors this module cannot
    match (pseudo-classes, sibling combinators) are left out."""
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", _COMMENT.sub("", css)):
        decls = declarations(body)
        for selector in selectors.split(","):
            parts = selector.replace(">", " ").split()
            if parts and all(_COMPOUND.match(p) for p in parts):
                rules.append((parts, decls))
    return rules


def matches(el: Any, compounds: list[str]) -> bool:
    """Whether an lxml element matches a selector given as compounds (descendant semantics)."""
    if not _matches_compound(el, compounds[-1]):
        return False
    rest = compounds[:-1]
    node = el.getparent()
    while rest and node is not None:
        if _matches_compound(node, rest[-1]):
            rest = rest[:-1]
        node = node.getparent()
    return not rest


def _matches_compound(el: Any, compound: str) -> bool:
    if not isinstance(el.tag, str):
        return False
    m = _COMPOUND.match(compound)
    if not m:
        return False
    if m.group(1) and m.group(1) != "*" and el.tag.lower() != m.group(1).lower():
        return False
    classes = (el.get("class") or "").split()
    for part in _PART.findall(m.group(2)):
        if part[0] == "." and part[1:] not in classes:
            return False
        if part[0] == "#" and el.get("id") != part[1:]:
            return False
        if part[0] == "[":
            name, _, value = part[1:-1].partition("=")
            actual = el.get(name.strip())
            if actual is None or (value and actual != value.strip().strip("\"'")):
                return False
    return True

"""A web page's own content, without the site around it (header, menu, banners, aside, footer).

A paper published as a page of a website comes wrapped in the site: the site name and menu, a search
form, a cookie banner, breadcrumbs, a "related content" aside, a newsletter box and a footer with the
charity number, the same on every page. None of it is the paper, and all of it would be cited as if it
were. ``content_html`` keeps the page's ``<main>`` (or its one ``<article>``) when it marks its content; else
it removes the site's landmarks (a ``<header>``, ``<nav>``, ``<aside>`` or ``<footer>`` that is not inside
the content, ARIA banner/navigation/search/complementary/contentinfo roles, forms and buttons) and the
boxes that name themselves as chrome in their id or class (cookie/consent banners, breadcrumbs, menus,
newsletter and share boxes).

>>> content_html('<body><nav>Home | About</nav><p>Trust boards set strategy.</p></body>')
'<html><body><p>Trust boards set strategy.</p></body></html>'
"""

from __future__ import annotations

import re

_LANDMARKS = {"header", "nav", "aside", "footer", "form", "button", "dialog"}
_ROLES = {"banner", "navigation", "search", "complementary", "contentinfo", "dialog", "alertdialog"}
_CHROME_NAME = re.compile(
    r"(?:^|[-_\s])(?:cookies?|consent|gdpr|banner|breadcrumbs?|skip-?link|menu|navbar|newsletter|share|social|"
    r"site-header|site-footer|masthead|related)(?:$|[-_\s])",
    re.I,
)


def content_html(html: str) -> str:
    """The page with the site's chrome removed (see the module docstring); unparseable HTML as it was."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return html
    body = root.find("body")
    if body is None:
        return html
    content = root.xpath("//main | //*[@role='main']") or root.xpath("//article")
    if len(content) == 1:
        keep = content[0]
        for child in list(body):
            body.remove(child)
        body.append(keep)
    for el in list(body.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        inside_content = any(a.tag in ("main", "article") for a in el.iterancestors())
        named = _CHROME_NAME.search(f"{el.get('id', '')} {el.get('class', '')}")
        if (
            (el.tag in _LANDMARKS and not (inside_content and el.tag in ("header", "footer")))
            or el.get("role", "").lower() in _ROLES
            or (named and el.tag not in ("main", "article", "body"))
        ):
            el.drop_tree()
    return etree.tostring(root, encoding="unicode", method="html")

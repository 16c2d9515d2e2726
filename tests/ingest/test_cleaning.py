"""Text is cleaned at parse time for every format: glyphs, printed lines, hyphenation, furniture, site chrome.

The rules on strings first (``cstassist.cleaning``, ``cstassist.site_chrome``), then the same through the
real parser on a real web page inside a site's chrome, without a ``<main>`` to say where the paper is.
"""

from __future__ import annotations

import pytest

from cstassist.cleaning import is_furniture, join_lines, normalize, vocabulary
from cstassist.parsing import Parser
from cstassist.site_chrome import content_html


def test_ligatures_odd_spaces_and_invisible_format_characters_are_normalised():
    text = "E\ufb00ective \ufb01nancial\u00a0over\u00adsight\u200b by the board\u2009\U000e0041\U000e007f."
    assert normalize(text) == "Effective financial oversight by the board ."


def test_printed_lines_are_joined_into_one_paragraph_but_list_items_keep_their_lines():
    assert join_lines("The board sets the\ntrust's strategy and\nholds leaders to account.") == (
        "The board sets the trust's strategy and holds leaders to account."
    )
    assert join_lines("Our values:\n• Openness\n• Integrity") == "Our values:\n• Openness\n• Integrity"


def test_a_word_broken_at_a_line_end_is_rejoined_only_when_the_document_uses_the_joined_word():
    vocab = vocabulary(["The financial year ends in August.", "A sector-led approach."])
    assert join_lines("Trustees read the finan-\ncial reports.", vocab) == "Trustees read the financial reports."
    assert join_lines("They support a sector-\nled approach.", vocab) == "They support a sector-led approach."
    # a word the document never uses joined keeps its hyphen: no word list decides for the document
    assert join_lines("a well-\nbeing strategy", vocabulary(["nothing relevant"])) == "a well-being strategy"


@pytest.mark.parametrize("line", ["5/7", "Page 3 of 9", "page 12", "- 4 -", "file:///tmp/print/paper.html", "12/1/26, 10:35 PM"])
def test_page_furniture_is_recognised(line):
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line", ["Trust boards meet termly.", "Leora Cruddas CBE", "60% of primary schools", "Governance in 2024"]
)
def test_body_lines_are_not_furniture(line):
    assert not is_furniture(line)


SITE_PAGE = """<!doctype html><html><head><title>Taking Stock | CST</title></head><body>
<header><a href="/">Confederation of School Trusts</a><nav><ul><li><a href="/">Home</a></li>
<li><a href="/about">About</a></li></ul></nav><form role="search"><input type="search"></form></header>
<div class="cookie-banner"><p>We use cookies to make this website work.</p><button>Accept all cookies</button></div>
<div class="breadcrumbs"><a href="/">Home</a> / Knowledge</div>
<div class="content"><h1>Taking Stock</h1>
<p>We launched the Confederation of School Trusts on 11 October 2018 and have grown every month since then.</p>
<h2>Advocacy</h2><p>We are now firmly established as the sector body in the eyes of ministers and senior civil servants.</p>
</div>
<aside><h2>Related content</h2><p>Sign up to our newsletter for the latest news.</p></aside>
<footer><p>&copy; Confederation of School Trusts 2025. Registered charity number 1180907.</p></footer>
</body></html>"""
CHROME = ["Home", "About", "cookies", "Accept all", "Related content", "newsletter", "charity number"]


def test_site_chrome_is_removed_and_the_paper_kept():
    html = content_html(SITE_PAGE)
    assert all(word not in html for word in CHROME)
    assert "firmly established as the sector body" in html and "<h2>Advocacy</h2>" in html


def test_main_marks_the_content_when_the_page_has_one():
    html = content_html("<body><div>Site menu</div><main><p>The paper itself.</p></main><div>Footer</div></body>")
    assert "The paper itself." in html and "Site menu" not in html and "Footer" not in html


def test_a_web_page_in_site_chrome_parses_to_the_paper_alone(tmp_path):
    page = tmp_path / "taking-stock.html"
    page.write_text(SITE_PAGE, encoding="utf-8")
    with Parser() as parser:
        elements = parser.parse(page, "html").elements
    texts = [e.text for e in elements]
    assert texts == [
        "Taking Stock",
        "We launched the Confederation of School Trusts on 11 October 2018 and have grown every month since then.",
        "Advocacy",
        "We are now firmly established as the sector body in the eyes of ministers and senior civil servants.",
    ]

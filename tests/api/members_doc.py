"""The members-only fixture document, and how to tell whether it leaked into a response."""

from __future__ import annotations

MEMBERS_DOC_ID = "members-briefing-trustee-succession"
MEMBERS_TITLE = "Harbourside Learning Trust members' briefing on trustee succession"
# Appears in the briefing and may be typed by a caller as a query.
MEMBERS_CODEWORD = "QUILLMARROW-7"
# Appears only inside the briefing's text: seeing it in a response means the document leaked.
MEMBERS_SECRET = "ZEPHYRLATCH"
MEMBERS_TEXT = f"""# {MEMBERS_TITLE}

## Purpose of this briefing

This confidential members' briefing sets out how the Harbourside Learning Trust plans trustee succession.
The succession plan is known internally by the codeword {MEMBERS_CODEWORD}. Boards should keep a skills
register and review it every autumn term so that no trustee vacancy is left open for more than one term.

## The trustee succession ladder

The Harbourside succession ladder pairs every departing trustee with a shadow trustee for two full board
cycles. Shadow trustees attend committee meetings but do not vote; their induction pack is filed under
{MEMBERS_SECRET}. The chair of the nominations committee reports on the ladder to members each spring.
"""
MEMBERS_MANIFEST_ENTRY = f"""  - file: {MEMBERS_DOC_ID}.md
    title: "{MEMBERS_TITLE}"
    kind: members briefing
    published: 2024-03
    author: CST member services
    audience: members
"""


def leaked(text: str) -> list[str]:
    """Which marks of the members-only briefing appear in ``text`` (a response body, an answer...)."""
    return [m for m in (MEMBERS_DOC_ID, MEMBERS_TITLE, MEMBERS_SECRET, "shadow trustee") if m.lower() in text.lower()]

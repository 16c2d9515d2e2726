"""A document and the newer one that replaces it (manifest ``superseded_by``), added to the API test corpus.

Both are written for the tests, on a subject the bundled corpus never mentions (estates condition
surveys), so they cannot change any other test's answers."""

from __future__ import annotations

OLD_ID, NEW_ID = "estates-guidance-2019", "estates-guidance-2024"
OLD_TITLE, NEW_TITLE = "Estates guidance for trust boards (2019)", "Estates guidance for trust boards (2024)"
OLD_TEXT = f"""# {OLD_TITLE}

## Condition surveys

Trust boards should commission a condition survey of every school building at least every five years.
The survey findings should be reported to the audit and risk committee.

## The estates lead

The 2019 guidance asked each board to name a lighthouse trustee who champions estates sustainability,
meeting the site teams twice a year.
"""
NEW_TEXT = f"""# {NEW_TITLE}

## Condition surveys

Trust boards should commission a condition survey of every school building at least every three years.
The survey findings should be reported to the full board as well as the audit and risk committee.
"""
MANIFEST_ENTRIES = f"""  - file: {OLD_ID}.md
    title: "{OLD_TITLE}"
    kind: guidance
    published: 2019-05
    superseded_by: {NEW_ID}.md
  - file: {NEW_ID}.md
    title: "{NEW_TITLE}"
    kind: guidance
    published: 2024-05
"""
SURVEY_QUESTION = "How often should our board commission a condition survey of the school buildings?"
OLD_ONLY_QUESTION = "What is a lighthouse trustee for estates sustainability?"

"""The parser child starts in the background: the caller goes on (ingest loads the embedding model meanwhile) and a
file's time limit starts once the child is ready, so the seconds of importing the parsers never count against it."""

from __future__ import annotations

import time

from cstassist.parsing import Parser


def test_submit_returns_before_the_parser_is_ready_and_the_first_file_still_gets_its_whole_time_limit(tmp_path):
    paper = tmp_path / "note.txt"
    paper.write_text("School trusts are charities that run groups of schools.\n\nTheir boards appoint a chief executive.\n")
    # the child's start (imports, spaCy, warm-up) takes seconds, far longer than this file's limit
    with Parser(timeout_s=0.5, memory_mb=2048) as parser:
        started = time.monotonic()
        parser.submit(paper, "text")
        assert time.monotonic() - started < 1.0  # did not wait for the child's imports
        parsed = parser.receive()
        assert time.monotonic() - started > 0.5  # the start alone outlasted the limit, and the file was still parsed
    assert "charities that run groups of schools" in " ".join(e.text for e in parsed.elements)

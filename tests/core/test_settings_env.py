"""Settings read from the environment the way a newcomer writes them (issue 18, finding 13)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from cstassist.settings import Settings

CLI = Path(sys.executable).parent / "cstassist"


def _env(monkeypatch: pytest.MonkeyPatch, value: str) -> Settings:
    monkeypatch.setenv("CSTASSIST_CORS_ORIGINS", value)
    return Settings()


def test_a_single_origin_written_plainly_is_accepted(monkeypatch):
    assert _env(monkeypatch, "https://a.example").cors_origins == ["https://a.example"]


def test_a_comma_separated_list_is_accepted_with_spaces(monkeypatch):
    got = _env(monkeypatch, "https://a.example, http://localhost:8080 ,").cors_origins
    assert got == ["https://a.example", "http://localhost:8080"]


def test_a_json_list_still_works(monkeypatch):
    assert _env(monkeypatch, '["https://a.example","https://b.example"]').cors_origins == [
        "https://a.example",
        "https://b.example",
    ]


@pytest.mark.parametrize("value", ["a.example", "https://a.example/path", '["https://a.example"'])
def test_something_that_is_not_an_origin_is_refused_saying_what_is_expected(monkeypatch, value):
    with pytest.raises(ValidationError, match="expected"):
        _env(monkeypatch, value)


def test_a_wildcard_is_still_refused(monkeypatch):
    with pytest.raises(ValidationError, match="explicitly"):
        _env(monkeypatch, "*")


def test_the_cli_answers_a_bad_origin_in_one_line_not_a_traceback(tmp_path):
    env = {**os.environ, "CSTASSIST_DATA_DIR": str(tmp_path), "CSTASSIST_CORS_ORIGINS": "a.example"}
    done = subprocess.run([str(CLI), "search", "trustees"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "CSTASSIST_CORS_ORIGINS" in lines[0] and "scheme://host" in lines[0]

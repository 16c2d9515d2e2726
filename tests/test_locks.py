"""The lock files are installed with `--require-hashes`: every pin carries the sha256 of its files, and pip
refuses a file whose hash is not among them."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "lock_hashes.py"
LOCKS = sorted(ROOT.glob("requirements*.lock"))
spec = importlib.util.spec_from_file_location("lock_hashes", TOOL)
lock_hashes = sys.modules["lock_hashes"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lock_hashes)


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=300)


def test_every_pin_in_every_lock_file_carries_a_sha256_hash():
    assert {p.name for p in LOCKS} >= {"requirements.lock", "requirements-bootstrap.lock", "requirements-llm.lock"}
    done = run(TOOL, "--check", *LOCKS)
    assert done.returncode == 0, f"run `python tools/lock_hashes.py` on these:\n{done.stderr}"


def test_the_check_names_each_pin_without_a_hash(tmp_path):
    lock = tmp_path / "some.lock"
    lock.write_text(f"# a comment\nannotated-types==0.8.0 \\\n    --hash=sha256:{'a' * 64}\nsix==1.17.0\n")
    done = run(TOOL, "--check", lock)
    assert done.returncode == 1
    assert "six==1.17.0" in done.stderr and "annotated-types" not in done.stderr


def test_every_lock_the_makefile_installs_is_installed_with_require_hashes_and_no_deps():
    makefile = (ROOT / "Makefile").read_text().splitlines()
    installs = [line for line in makefile if re.search(r"pip install .*-r requirements", line)]
    assert len(installs) == len(LOCKS), installs
    for line in installs:
        assert "--require-hashes" in line and "--no-deps" in line, line


def test_pip_refuses_a_file_whose_hash_does_not_match_and_takes_the_one_our_lock_names(tmp_path):
    pin = next(e for e in lock_hashes.read_lock(ROOT / "requirements.lock") if getattr(e, "name", "") == "annotated-types")
    wrong, right = tmp_path / "wrong.lock", tmp_path / "right.lock"
    wrong.write_text(f"annotated-types=={pin.version} --hash=sha256:{'0' * 64}\n")
    lock_hashes.write_lock(right, [pin])
    download = ["-m", "pip", "download", "--disable-pip-version-check", "--no-deps", "--require-hashes"]

    refused = run(*download, "-r", wrong, "-d", tmp_path / "refused")
    assert refused.returncode != 0
    assert "DO NOT MATCH THE HASHES" in refused.stdout + refused.stderr
    assert not list((tmp_path / "refused").glob("annotated_types*"))

    taken = run(*download, "-r", right, "-d", tmp_path / "taken")
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert list((tmp_path / "taken").glob(f"annotated_types-{pin.version}*"))

"""`make audit`: pip-audit over the lock files, failing loudly when it could not audit.

pip-audit prints "No known vulnerabilities found" and exits 0 even when every package was skipped
because its vulnerability service could not be reached ("Dependency not found on PyPI and could not be
audited"). This reads pip-audit's JSON report instead: any vulnerability or any skipped package is a
failure (exit 1), and a run that audited nothing says so.

    python tools/audit.py requirements.lock [more.lock ...]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def main(locks: list[str]) -> int:
    locks = locks or ["requirements.lock"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip", "--progress-spinner", "off"]
        command += ["-f", "json", "-o", str(out)] + [arg for lock in locks for arg in ("-r", lock)]
        done = subprocess.run(command, capture_output=True, text=True)
        if not out.exists():  # one line: pip-audit's last words, not its traceback
            last = next((line.strip() for line in reversed(done.stderr.splitlines()) if line.strip()), "no output")
            print(
                f"AUDIT FAILED: pip-audit exited {done.returncode} without a report; nothing was audited "
                f"(is PyPI's JSON API, its vulnerability service, reachable?): {last[:300]}",
                file=sys.stderr,
            )
            return 1
        deps = json.loads(out.read_text())["dependencies"]
    skipped = [d for d in deps if d.get("skip_reason")]
    vulnerable = [d for d in deps if d.get("vulns")]
    for d in vulnerable:
        for v in d["vulns"]:
            fixes = ", ".join(v.get("fix_versions") or []) or "no fixed version"
            print(f"VULNERABLE {d['name']}=={d['version']}: {v['id']} ({fixes})")
    if skipped:
        what = "NOTHING WAS AUDITED" if len(skipped) == len(deps) else f"{len(skipped)} of {len(deps)} packages were not audited"
        print(
            f"AUDIT INCOMPLETE: {what}; is the vulnerability service (PyPI's JSON API) reachable? "
            f"First reason: {skipped[0]['skip_reason']}",
            file=sys.stderr,
        )
        return 1
    if vulnerable:
        return 1
    print(f"audited {len(deps)} packages: no known vulnerabilities")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

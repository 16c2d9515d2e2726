"""Write the sha256 of every distribution file of each pin into a lock file, for `pip install --require-hashes`.

A lock file holds `name==version` pins, one a line, and comments. For each pin this lists every file of that
exact version (all wheels for all platforms and the sdist) on pypi.org and on the indexes and find-links of
this machine's pip configuration, like `pip-compile --generate-hashes`, so whichever file pip picks on
another machine still matches. The file is written back in pip's multi-line form, comments kept:

    annotated-types==0.8.0 \\
        --hash=sha256:... \\
        --hash=sha256:...

    python tools/lock_hashes.py requirements.lock [more.lock ...]          # (re)write the hashes
    python tools/lock_hashes.py --check requirements*.lock                 # exit 1 naming pins without hashes
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

PYPI = "https://pypi.org/simple/"
SDIST_ENDINGS = (".tar.gz", ".zip", ".tar.bz2", ".tgz")


class IndexUnreachable(Exception):
    """An index or find-links location could not be read (network down, path missing)."""


@dataclass
class Pin:
    name: str  # as written, extras included: llama_cpp_python[server]
    version: str
    hashes: list[str] = field(default_factory=list)

    @property
    def project(self) -> str:
        return canonical(self.name.split("[")[0])


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> list[str | Pin]:
    """Comments and blank lines as strings, pins as `Pin`; `\\` continuations and existing hashes are read too."""
    entries: list[str | Pin] = []
    for line in re.sub(r"\\\n", " ", path.read_text()).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            entries.append(line)
            continue
        requirement, *options = line.split()
        name, sep, version = requirement.partition("==")
        if not sep:
            raise SystemExit(f"{path}: not an exact pin (name==version): {requirement}")
        hashes = [o.removeprefix("--hash=") for o in options if o.startswith("--hash=")]
        entries.append(Pin(name, version, hashes))
    return entries


def write_lock(path: Path, entries: list[str | Pin]) -> None:
    lines = []
    for entry in entries:
        if isinstance(entry, str):
            lines.append(entry)
        else:
            lines.append(" \\\n    ".join([f"{entry.name}=={entry.version}"] + [f"--hash={h}" for h in entry.hashes]))
    path.write_text("\n".join(lines) + "\n")


def pip_locations() -> tuple[list[str], list[str]]:
    """The index URLs and find-links of this machine's pip configuration (files and PIP_* variables)."""
    shown = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    found: dict[str, list[str]] = {"index-url": [], "extra-index-url": [], "find-links": []}
    for key, value in re.findall(r"^[^=]*\.([a-z-]+)='(.*)'$", shown, re.MULTILINE):
        if key in found:
            found[key] += value.split()
    indexes = [PYPI] + [u.rstrip("/") + "/" for u in found["index-url"] + found["extra-index-url"]]
    return list(dict.fromkeys(indexes)), list(dict.fromkeys(found["find-links"]))


def read_url(url: str) -> str | None:
    """The page's text; None when the index has no such project (404, or a local index without its folder)."""
    if url.startswith("file:"):
        path = Path(unquote(urlparse(url).path))
        page = path / "index.html" if url.endswith("/") else path
        if not path.parent.is_dir():
            raise IndexUnreachable(f"cannot read index {url}: {path.parent} does not exist")
        return page.read_text() if page.is_file() else None
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read().decode()
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise IndexUnreachable(f"cannot read {url}: HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise IndexUnreachable(f"cannot read {url}: {getattr(error, 'reason', error)}") from None


def file_hash(url: str) -> str | None:
    """sha256 from the link's `#sha256=` fragment, or of the file itself when it is local."""
    if m := re.search(r"#sha256=([0-9a-f]{64})", url):
        return m.group(1)
    if url.startswith("file:"):
        return hashlib.sha256(Path(unquote(urlparse(url).path)).read_bytes()).hexdigest()
    return None


def is_file_of(filename: str, pin: Pin) -> bool:
    if filename.endswith(".whl"):
        name, version = filename.split("-")[:2]
    elif filename.endswith(SDIST_ENDINGS):
        name, _, version = next(filename.removesuffix(e) for e in SDIST_ENDINGS if filename.endswith(e)).rpartition("-")
    else:
        return False
    return canonical(name) == pin.project and version.lower() == pin.version.lower()


def links(page: str, base: str) -> list[str]:
    return [urljoin(base, href.replace("&amp;", "&")) for href in re.findall(r'<a\s[^>]*href="([^"]+)"', page)]


def hashes_for(pin: Pin, indexes: list[str], find_links: list[str]) -> list[str]:
    urls: list[str] = []
    for index in indexes:
        page_url = urljoin(index, pin.project + "/")
        if (page := read_url(page_url)) is not None:
            urls += links(page, page_url)
    for location in find_links:
        folder = Path(unquote(urlparse(location).path)) if location.startswith("file:") else Path(location)
        if "://" in location and not location.startswith("file:"):
            urls += links(read_url(location) or "", location)
        elif folder.is_dir():
            urls += [f.resolve().as_uri() for f in sorted(folder.iterdir()) if f.is_file()]
        else:
            raise IndexUnreachable(f"cannot read find-links {location}: not a folder")
    found = [file_hash(u) for u in urls if is_file_of(unquote(urlparse(u).path.rsplit("/", 1)[-1]), pin)]
    return sorted({f"sha256:{h}" for h in found if h})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("locks", nargs="+", type=Path, help="lock files of name==version pins")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 naming every pin without a hash")
    args = parser.parse_args(argv)
    if args.check:
        pins = [(lock, e) for lock in args.locks for e in read_lock(lock) if isinstance(e, Pin)]
        missing = [f"{lock}: {pin.name}=={pin.version}" for lock, pin in pins if not pin.hashes]
        for line in missing:
            print(f"no hash: {line}", file=sys.stderr)
        return 1 if missing else 0
    indexes, find_links = pip_locations()
    for lock in args.locks:
        entries = read_lock(lock)
        pins = [e for e in entries if isinstance(e, Pin)]
        try:
            with ThreadPoolExecutor(8) as pool:
                found = list(pool.map(lambda p: hashes_for(p, indexes, find_links), pins))
        except IndexUnreachable as error:
            print(f"lock_hashes: {error}; {lock} left unchanged", file=sys.stderr)
            return 2
        if nothing := [f"{p.name}=={p.version}" for p, h in zip(pins, found) if not h]:
            print(f"lock_hashes: no file found for {', '.join(nothing)}; {lock} left unchanged", file=sys.stderr)
            return 2
        for pin, hashes in zip(pins, found):
            pin.hashes = hashes
        write_lock(lock, entries)
        print(f"{lock}: {len(pins)} pins, {sum(map(len, found))} hashes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

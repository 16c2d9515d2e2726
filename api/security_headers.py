"""The security headers every response carries (issue 18, finding 10).

- ``X-Content-Type-Options: nosniff`` everywhere: a browser never runs a JSON body or an error page as script.
- ``Content-Security-Policy`` with ``frame-ancestors 'none'`` everywhere: no other site may frame the demo
  page or /docs to trick a member into clicking (the widget embeds *into* other sites as a script, not a frame,
  so it is unaffected). Per page:

  - ``/`` (the widget's host page): scripts only from this origin (the page's own code is /demo.js, not
    inline), calls only to this origin. Styles allow ``'unsafe-inline'`` because the widget builds its
    Shadow DOM styles as a ``<style>`` element; a style cannot run code.
  - ``/docs`` (Swagger UI, its assets bundled by fastapi-offline): FastAPI writes the page with one inline
    script that starts Swagger UI, so scripts allow ``'unsafe-inline'`` there; the page shows no caller content.
  - everything else (JSON, the widget script, metrics): ``default-src 'none'``, nothing may load from it.
- ``Referrer-Policy: no-referrer``: links out of the demo page do not tell other sites where they came from.
"""

from __future__ import annotations

_PAGE = (
    "default-src 'none'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
POLICIES = {
    "/": f"{_PAGE}; script-src 'self'; style-src 'self' 'unsafe-inline'",
    "/docs": f"{_PAGE}; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'",
    "/docs/oauth2-redirect": f"{_PAGE}; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'",
}
DEFAULT_POLICY = "default-src 'none'; frame-ancestors 'none'"


def security_headers(path: str, present: set[bytes]) -> list[tuple[bytes, bytes]]:
    """The headers to add to a response for ``path`` (lower-case names in ``present`` are left as they are)."""
    wanted = {
        b"content-security-policy": POLICIES.get(path, DEFAULT_POLICY).encode(),
        b"x-content-type-options": b"nosniff",
        b"referrer-policy": b"no-referrer",
    }
    return [(name, value) for name, value in wanted.items() if name not in present]

"""Who may use the staff console, over real HTTP: only an admin key or a console session signed in with one.

Every route under /admin and /v1/admin is tried with no credential, a public key, a member key, a member token, a
made-up key and a forged session cookie; a console session's state-changing calls need its CSRF header and this
service's Origin; sessions end on sign-out, after inactivity and when their key is revoked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from admin_console import start_staff_service
from members_doc import MEMBERS_DOC_ID, MEMBERS_SECRET
from sqlalchemy import update

from cstassist.database import Database, staff_sessions

pytestmark = pytest.mark.slow
PARAMS = {"document_id": MEMBERS_DOC_ID, "job_id": "0123456789abcdef", "name": "eval-20260101T000000Z.json"}


@pytest.fixture(scope="module")
def svc(tmp_path_factory, embedder, free_port):
    service = start_staff_service(tmp_path_factory.mktemp("admin-access"), embedder, free_port())
    yield service
    service.stop()


def staff_routes(settings) -> list[tuple[str, str]]:
    """(method, path) of every route under /admin and /v1/admin, read from the app itself (so a new one is covered)."""
    from fastapi.routing import APIRoute

    from cstassist.api import create_app

    def flat(routes, prefix=""):  # this FastAPI keeps each included router whole, under its prefix
        for route in routes:
            if hasattr(route, "original_router"):
                yield from flat(route.original_router.routes, prefix + route.include_context.prefix)
            elif isinstance(route, APIRoute):
                yield prefix, route

    out = []
    for prefix, route in flat(create_app(settings).routes):
        full = prefix + route.path
        if route.endpoint.__name__ == "method_not_allowed":
            continue  # serves nothing: the 405 for a method no route on a path takes
        if full == "/admin" or full.startswith(("/admin/", "/v1/admin")):
            path = re.sub(r"{(\w+)}", lambda m: PARAMS[m.group(1)], full)
            out += [(m, path) for m in sorted(route.methods) if m != "HEAD"]
    return out


def sign_in(svc, key: str | None = None, **headers: str) -> httpx.Response:
    return httpx.post(f"{svc.url}/v1/admin/session", json={"key": key or svc.admin_key}, headers=headers)


def test_every_staff_route_is_listed(svc):
    routes = staff_routes(svc.settings)
    assert ("GET", "/admin") in routes and ("POST", "/v1/admin/documents") in routes
    assert len(routes) >= 20, routes


@pytest.mark.parametrize("who", ["anonymous", "made-up key", "forged cookie", "public key", "member key", "member token"])
def test_only_staff_may_use_any_admin_route(svc, who):
    headers = {
        "anonymous": {},
        "made-up key": {"Authorization": "Bearer cstk_0123456789ab_notarealsecret"},
        "forged cookie": {"Cookie": "cstassist_staff=forged-session-value", "X-CSRF-Token": "forged"},
        "public key": {"Authorization": f"Bearer {svc.public_key}"},
        "member key": {"Authorization": f"Bearer {svc.member_key}"},
        "member token": {"Authorization": f"Bearer {svc.member_token}"},
    }[who]
    expected = 401 if who in ("anonymous", "made-up key", "forged cookie") else 403
    refused = []
    with httpx.Client(base_url=svc.url, headers=headers, timeout=30) as client:
        for method, path in staff_routes(svc.settings):
            if path == "/v1/admin/session" and method == "POST":
                continue  # signing in is tried with each kind of credential below
            body = {"files": {"file": ("x.md", b"# x\n\ntext\n")}} if path == "/v1/admin/documents" and method == "POST" else {}
            reply = client.request(method, path, **body) if body else client.request(method, path, json={"answer_id": "x"})
            refused.append((method, path, reply.status_code))
            assert MEMBERS_SECRET not in reply.text and "ops-team" not in reply.text
    assert all(code == expected for _, _, code in refused), [r for r in refused if r[2] != expected]
    listed = httpx.get(f"{svc.url}/v1/admin/documents", headers={"Authorization": f"Bearer {svc.admin_key}"})
    assert listed.status_code == 200 and not list((svc.settings.admin.uploads_dir / ".incoming").glob("*"))


def test_signing_in_needs_an_admin_key(svc):
    assert sign_in(svc, svc.member_key).status_code == 403
    assert sign_in(svc, svc.public_key).status_code == 403
    assert sign_in(svc, svc.member_token).status_code == 401
    assert sign_in(svc, "cstk_0123456789ab_wrong").status_code == 401
    assert "set-cookie" not in sign_in(svc, svc.member_key).headers


def test_the_session_cookie_is_httponly_and_samesite_strict(svc):
    reply = sign_in(svc)
    assert reply.status_code == 200, reply.text
    cookie = reply.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert reply.json()["csrf"] and reply.json()["csrf"] not in cookie
    page = httpx.get(f"{svc.url}/admin", cookies=reply.cookies)
    assert page.status_code == 200 and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert httpx.get(f"{svc.url}/admin").status_code == 401


def test_a_console_write_needs_the_sessions_csrf_header_and_this_sites_origin(svc):
    signed = sign_in(svc)
    csrf, jar = signed.json()["csrf"], signed.cookies
    with httpx.Client(base_url=svc.url, cookies=jar, timeout=30) as browser:
        path = "/v1/admin/documents/no-such-paper/retire"  # 404 once past the checks: nothing is changed
        assert browser.get("/v1/admin/documents").status_code == 200, "reading needs no CSRF header"
        assert browser.post(path).status_code == 403
        assert browser.post(path, headers={"X-CSRF-Token": "guessed"}).status_code == 403
        assert browser.post(path, headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"}).status_code == 403
        assert browser.post(path, headers={"X-CSRF-Token": csrf, "Referer": "https://evil.example/x"}).status_code == 403
        assert browser.delete(f"/v1/admin/documents/{MEMBERS_DOC_ID}", headers={"Origin": svc.url}).status_code == 403
        assert browser.post(path, headers={"X-CSRF-Token": csrf, "Origin": svc.url}).status_code == 404
    assert sign_in(svc, Origin="https://evil.example").status_code == 403, "no signing in from another site"
    assert MEMBERS_DOC_ID in [
        d["document_id"] for d in httpx.get(f"{svc.url}/v1/admin/documents", cookies=jar).json()["documents"]
    ]


def test_a_session_ends_on_sign_out_after_inactivity_and_when_its_key_is_revoked(svc):
    from cstassist.access import KeyStore

    signed = sign_in(svc)
    csrf = {"X-CSRF-Token": signed.json()["csrf"]}
    assert httpx.delete(f"{svc.url}/v1/admin/session", cookies=signed.cookies, headers=csrf).status_code == 204
    assert httpx.get(f"{svc.url}/v1/admin/documents", cookies=signed.cookies).status_code == 401

    db = Database.for_settings(svc.settings)
    idle = sign_in(svc)
    with db.begin() as conn:  # the clock moved on past the idle limit (admin.session_idle_s)
        conn.execute(update(staff_sessions).values(last_seen=time.time() - svc.settings.admin.session_idle_s - 1))
    reply = httpx.get(f"{svc.url}/v1/admin/documents", cookies=idle.cookies)
    assert reply.status_code == 401 and "inactivity" in reply.json()["error"]["message"]

    keys = KeyStore(db)
    info, secret = keys.create("temporary-staff", "admin")
    revoked = sign_in(svc, secret)
    assert httpx.get(f"{svc.url}/v1/admin/documents", cookies=revoked.cookies).status_code == 200
    keys.revoke(info.key_id)
    assert httpx.get(f"{svc.url}/v1/admin/documents", cookies=revoked.cookies).status_code == 401


def test_an_admin_key_mints_no_member_tokens(svc):
    reply = httpx.post(f"{svc.url}/v1/tokens", headers={"Authorization": f"Bearer {svc.admin_key}"}, json={})
    assert reply.status_code == 401 and "admin key" in reply.json()["error"]["message"]


def test_the_cli_creates_an_admin_key_like_any_other(svc):
    script = Path(sys.executable).parent / "cstassist"
    env = {**os.environ, "CSTASSIST_DATA_DIR": str(svc.settings.data_dir), "CSTASSIST_CORPUS_DIR": str(svc.settings.corpus_dir)}
    done = subprocess.run(
        [str(script), "keys", "create", "--name", "cli-staff", "--scope", "admin"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    first, secret = done.stdout.strip().splitlines()
    assert re.fullmatch(
        r"created key [0-9a-f]{12} \(cli-staff, scope admin\)\. The secret is shown once; store it safely:", first
    )
    assert sign_in(svc, secret).status_code == 200

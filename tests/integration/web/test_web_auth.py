"""Sign-in for the pages over HTTP: the cookie's attributes, the API accepting it (with the CSRF header for state
changes), sign-out, redirects for signed-out visitors, and the static files the pages load."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.web import session
from api.web.routes import STATIC_FILES
from config.settings import Settings
from dialer.clock import ManualClock
from dialer.runtime import Runtime
from tests.support import API_KEY, api_client

UI = {"X-Requested-With": "dialer-ui"}
LIVEKIT_DIR = Path("api/web/static/vendor/livekit-client")


@pytest.fixture
async def runtime(settings: Settings, clock: ManualClock) -> AsyncIterator[Runtime]:
    runtime = Runtime.build(settings, clock=clock)
    yield runtime
    await runtime.stop()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(create_app(runtime, manage_runtime=False)) as http:
        yield http


async def _sign_in(client: httpx.AsyncClient) -> httpx.Response:
    response = await client.post("/web/login", json={"api_key": API_KEY}, headers=UI)
    assert response.status_code == 204, response.text
    return response


async def test_sign_in_sets_an_httponly_strict_expiring_cookie(client: httpx.AsyncClient) -> None:
    response = await _sign_in(client)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{session.COOKIE_NAME}=")
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "httponly" in attributes and "samesite=strict" in attributes and "path=/" in attributes
    assert f"max-age={int(session.SESSION_TTL.total_seconds())}" in attributes
    assert "secure" not in attributes  # plain http on loopback; https (or an https DIALER_PUBLIC_URL) adds it
    assert API_KEY not in cookie


async def test_https_public_url_makes_the_cookie_secure(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(update={"public_url": "https://dialer.example"})
    async with api_client(create_app(runtime, manage_runtime=False)) as client:
        response = await client.post("/web/login", json={"api_key": API_KEY}, headers=UI)
    assert "secure" in [p.strip().lower() for p in response.headers["set-cookie"].split(";")]


async def test_wrong_key_or_missing_header_signs_nobody_in(client: httpx.AsyncClient) -> None:
    wrong = await client.post("/web/login", json={"api_key": "guess"}, headers=UI)
    assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong API key"
    assert "set-cookie" not in wrong.headers
    cross_site = await client.post("/web/login", json={"api_key": API_KEY})
    assert cross_site.status_code == 403 and "X-Requested-With" in cross_site.json()["detail"]
    assert "set-cookie" not in cross_site.headers
    assert (await client.get("/api/batches")).status_code == 401


async def test_the_cookie_opens_the_api_and_state_changes_need_the_csrf_header(client: httpx.AsyncClient) -> None:
    await _sign_in(client)
    assert (await client.get("/api/batches")).status_code == 200
    body = {"external_id": "c1", "name": "Grace Hopper", "phone": "+12125552671"}
    forged = await client.post("/api/candidates", json=body)
    assert forged.status_code == 403 and "X-Requested-With: dialer-ui" in forged.json()["detail"]
    wrong_value = await client.post("/api/candidates", json=body, headers={"X-Requested-With": "XMLHttpRequest"})
    assert wrong_value.status_code == 403
    made = await client.post("/api/candidates", json=body, headers=UI)
    assert made.status_code == 201, made.text


async def test_bearer_clients_need_no_csrf_header(client: httpx.AsyncClient) -> None:
    body = {"external_id": "c1", "name": "Grace Hopper", "phone": "+12125552671"}
    made = await client.post("/api/candidates", json=body, headers={"Authorization": f"Bearer {API_KEY}"})
    assert made.status_code == 201, made.text
    wrong = await client.post("/api/candidates", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


async def test_the_cookie_expires_and_cannot_be_tampered_with(client: httpx.AsyncClient, clock: ManualClock) -> None:
    await _sign_in(client)
    value = client.cookies[session.COOKIE_NAME]
    expires, nonce, mac = value.split(".")
    client.cookies.set(session.COOKIE_NAME, f"{int(expires) + 86400}.{nonce}.{mac}")
    assert (await client.get("/api/batches")).status_code == 401
    client.cookies.set(session.COOKIE_NAME, value)
    assert (await client.get("/api/batches")).status_code == 200
    clock.advance(session.SESSION_TTL + timedelta(seconds=1))
    assert (await client.get("/api/batches")).status_code == 401


async def test_sign_out_clears_the_cookie(client: httpx.AsyncClient) -> None:
    await _sign_in(client)
    assert (await client.post("/web/logout")).status_code == 403  # the CSRF header is needed here too
    out = await client.post("/web/logout", headers=UI)
    assert out.status_code == 204
    assert session.COOKIE_NAME not in client.cookies
    assert (await client.get("/api/batches")).status_code == 401
    assert (await client.get("/web/")).status_code == 303


async def test_pages_redirect_to_sign_in_and_come_back(client: httpx.AsyncClient) -> None:
    assert (await client.get("/")).headers["location"] == "/web/"
    unsigned = await client.get("/web/briefing?interview_id=int_1")
    assert unsigned.status_code == 303
    assert unsigned.headers["location"] == "/web/login?next=%2Fweb%2Fbriefing%3Finterview_id%3Dint_1"
    for path in ("/web/upload", "/web/candidates?id=cand_1"):
        assert (await client.get(path)).status_code == 303, path
    assert (await client.get("/api/events")).status_code == 401
    login = await client.get("/web/login")
    assert login.status_code == 200 and 'id="api-key"' in login.text
    await _sign_in(client)
    pages = (("/web/", "Batches · Dialer"), ("/web/briefing", "Briefing · Dialer"),
             ("/web/upload", "Upload a batch · Dialer"), ("/web/candidates", "Candidates · Dialer"))
    for path, title in pages:
        page = await client.get(path)
        assert page.status_code == 200 and f"<title>{title}</title>" in page.text
        assert page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert 'src="http' not in page.text and 'href="http' not in page.text  # nothing from a CDN
        assert API_KEY not in page.text


async def test_csp_lets_the_page_reach_livekit_and_nothing_else(runtime: Runtime, client: httpx.AsyncClient) -> None:
    from dialer.livekit_target import LiveKitAccess

    runtime.livekit = LiveKitAccess(url="wss://project.livekit.cloud", api_key="k", api_secret="s")
    await _sign_in(client)
    csp = (await client.get("/web/briefing")).headers["content-security-policy"]
    connect = next(d for d in csp.split(";") if d.strip().startswith("connect-src")).split()[1:]
    assert connect == [
        "'self'",
        "wss://project.livekit.cloud",
        "https://project.livekit.cloud",
        "wss://*.livekit.cloud",  # the client's regional failover
        "https://*.livekit.cloud",
    ]
    runtime.livekit = LiveKitAccess(url="ws://livekit.internal:7880", api_key="k", api_secret="s")
    csp = (await client.get("/web/briefing")).headers["content-security-policy"]
    assert "connect-src 'self' ws://livekit.internal:7880 http://livekit.internal:7880;" in csp


async def test_static_files_are_served_from_a_fixed_list(client: httpx.AsyncClient) -> None:
    js = await client.get("/web/static/dashboard.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert js.headers["x-content-type-options"] == "nosniff"
    css = await client.get("/web/static/app.css")
    assert css.headers["content-type"].startswith("text/css")
    for path in ("/web/static/../routes.py", "/web/static/%2e%2e/routes.py", "/web/static/nope.js"):
        assert (await client.get(path)).status_code == 404, path
    assert "../routes.py" not in STATIC_FILES


async def test_livekit_client_is_the_pinned_prebuilt_module(client: httpx.AsyncClient) -> None:
    version = (LIVEKIT_DIR / "VERSION").read_text().strip()
    script = Path("web/update-livekit-client.sh").read_text()
    assert f'LIVEKIT_CLIENT_VERSION="${{1:-{version}}}"' in script
    module = await client.get("/web/static/vendor/livekit-client/livekit-client.esm.mjs")
    assert module.status_code == 200 and module.headers["content-type"].startswith("text/javascript")
    assert f'var version$1 = "{version}"' in module.text
    assert "export{" in module.text and "\nimport " not in module.text  # self-contained: no bare imports to resolve
    assert "Apache License" in (LIVEKIT_DIR / "LICENSE").read_text()

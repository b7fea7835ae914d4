"""Routes for the browser pages: sign-in/out, the HTML pages, and their static files (no separate web server).

The pages hold no secret: they call the same JSON API as the recruiters' systems, authenticated by the session
cookie that `POST /web/login` sets after checking the API key once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, status
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import Field

from api.deps import ClockDep, LiveKitDep, SettingsDep
from api.limits import retry_after_header
from api.request_guard import client_address
from api.schemas.base import Request as RequestBody
from api.web import session, shell
from config.settings import Settings
from dialer.clock import Clock

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
# Rendered once: the shared shell around each page's own <main> (shell.py).
PAGES = {page.name: shell.render(page) for page in shell.SIGNED_IN_PAGES}
LOGIN_PAGE = shell.render(shell.LOGIN)
HTML = "text/html; charset=utf-8"
STATIC_DIR = HERE / "static"
_MEDIA_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# Only files that exist when the app starts are served: a fixed table, so no request path ever reaches the disk.
STATIC_FILES = {p.relative_to(STATIC_DIR).as_posix(): p for p in sorted(STATIC_DIR.rglob("*")) if p.is_file()}

router = APIRouter(include_in_schema=False)


class LoginIn(RequestBody):
    api_key: str = Field(min_length=1, max_length=500)


def _origins(url: str) -> list[str]:
    """LiveKit's origin in both forms the client uses: WebSocket for signalling, HTTP(S) for its checks. On LiveKit
    Cloud the client may fail over to a regional host of the project (`*.livekit.cloud`), so those are allowed too."""
    parts = urlsplit(url)
    if not parts.netloc:
        return []
    secure = parts.scheme in ("https", "wss")
    ws, http = ("wss", "https") if secure else ("ws", "http")
    hosts = [parts.netloc]
    if secure and parts.hostname and parts.hostname.endswith(".livekit.cloud"):
        hosts.append("*.livekit.cloud")
    return [f"{scheme}://{host}" for host in hosts for scheme in (ws, http)]


@dataclass(frozen=True)
class WebContext:
    """What the pages' routes need: the keys to check, the time, and LiveKit's address (for the CSP)."""

    settings: Settings
    clock: Clock
    livekit_url: str


async def _web_context(settings: SettingsDep, clock: ClockDep, livekit: LiveKitDep) -> WebContext:
    return WebContext(settings=settings, clock=clock, livekit_url=livekit.url)


Web = Annotated[WebContext, Depends(_web_context)]


def _security_headers(response: Response, livekit_url: str) -> None:
    connect = " ".join(["'self'", *_origins(livekit_url)])
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src {connect}; "
        "media-src 'self' blob: mediastream:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"


def _signed_in(request: Request, web: WebContext) -> bool:
    settings = web.settings
    cookie = request.cookies.get(session.COOKIE_NAME)
    return session.is_valid(cookie, secret=settings.secret_key, api_key=settings.api_key, now=web.clock.now())


def _page(request: Request, web: WebContext, name: str) -> Response:
    if not _signed_in(request, web):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/web/login?next={quote(target, safe='')}", status_code=status.HTTP_303_SEE_OTHER)
    response = Response(PAGES[name], media_type=HTML)
    _security_headers(response, web.livekit_url)
    return response


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/web/", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/web")
async def web_root() -> RedirectResponse:
    return RedirectResponse("/web/", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/web/")
async def dashboard(request: Request, web: Web) -> Response:
    """The recruiters' batch dashboard."""
    return _page(request, web, "dashboard")


@router.get("/web/briefing")
async def briefing(request: Request, web: Web) -> Response:
    """The interviewer's browser briefing (`?interview_id=` preselects one)."""
    return _page(request, web, "briefing")


@router.get("/web/upload")
async def upload(request: Request, web: Web) -> Response:
    """A batch from a CSV file: preview, the API's validation row by row, then the batch."""
    return _page(request, web, "upload")


@router.get("/web/candidates")
async def candidates(request: Request, web: Web) -> Response:
    """Candidates listed and searched; `?id=` shows one with its calls, transcripts and answers."""
    return _page(request, web, "candidates")


@router.get("/web/login")
async def login_page(web: Web) -> Response:
    response = Response(LOGIN_PAGE, media_type=HTML)
    _security_headers(response, web.livekit_url)
    return response


@router.post("/web/login", status_code=status.HTTP_204_NO_CONTENT)
async def login(
    body: LoginIn,
    request: Request,
    web: Web,
    x_requested_with: Annotated[str | None, Header()] = None,
) -> Response:
    """Check the API key once and set the session cookie. The CSRF header is required here too, so another site
    cannot sign a browser in behind its user's back."""
    _require_ui_header(x_requested_with)
    settings = web.settings
    if not session.api_key_matches(body.api_key, settings.api_key):
        log.warning("web sign-in refused: wrong API key")
        verdict = await request.app.state.limits.failed(client_address(request.scope))
        if not verdict.allowed:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"too many failed authentications from this client; retry after {verdict.retry_after_s} s",
                headers=retry_after_header(verdict),
            )
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong API key")
    value = session.issue(secret=settings.secret_key, api_key=settings.api_key, now=web.clock.now())
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.set_cookie(
        session.COOKIE_NAME,
        value,
        max_age=int(session.SESSION_TTL.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_is_https(request, web.settings),
    )
    log.info("web sign-in")
    return response


@router.post("/web/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    request: Request, settings: SettingsDep, x_requested_with: Annotated[str | None, Header()] = None
) -> Response:
    """Clear the cookie. Signed cookies cannot be revoked server-side: rotating DIALER_SECRET_KEY signs out everyone."""
    _require_ui_header(x_requested_with)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        session.COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=_is_https(request, settings)
    )
    return response


@router.get("/web/static/{path:path}")
async def static(path: str) -> Response:
    file = STATIC_FILES.get(path)
    if file is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no static file {path}")
    media_type = _MEDIA_TYPES.get(file.suffix, "text/plain; charset=utf-8")
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    return FileResponse(file, media_type=media_type, headers=headers)


def _require_ui_header(value: str | None) -> None:
    if value != session.CSRF_VALUE:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"send the header {session.CSRF_HEADER}: {session.CSRF_VALUE}")


def _is_https(request: Request, settings: Settings) -> bool:
    """Secure cookies when served over TLS, or behind a TLS proxy that DIALER_PUBLIC_URL names."""
    return request.url.scheme == "https" or (settings.public_url or "").startswith("https://")

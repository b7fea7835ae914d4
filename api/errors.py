"""Every error is a 4xx JSON body `{detail, errors}` with a message that says what to fix; nothing escapes as a 500.

`ERROR_RESPONSES` documents that one shape for every status the API answers with, so the OpenAPI document tells the
truth about error bodies (FastAPI's default 422 schema, `detail` as an array, was not what we send).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.request_guard import DATABASE_UNAVAILABLE, error_body
from api.schemas.rules import PATTERN_MESSAGES
from dialer.errors import Conflict, DialerError, Forbidden, InvalidInput, NotFound, TooManyAttempts
from dialer.store.retry import database_unavailable
from dialer.telephony.base import TelephonyUnavailable

log = logging.getLogger(__name__)


class ErrorItem(BaseModel):
    loc: list[str | int]
    message: str


class ErrorOut(BaseModel):
    """Every 4xx body: `detail` is one sentence, `errors` the same problems one by one (empty `loc`: the request)."""

    detail: str
    errors: list[ErrorItem]


_WHEN = {
    400: "the request cannot be read (not UTF-8 JSON, nested too deep, a bad header)",
    401: "missing or wrong credential",
    403: "signed in with the session cookie but without the CSRF header, or not allowed",
    404: "no such resource",
    409: "conflicts with the current state (e.g. an Idempotency-Key used with another body)",
    413: "the body is larger than this route accepts",
    422: "the input breaks a rule; `errors` says where and what to fix",
    429: "too many requests or failed sign-ins; retry after the `Retry-After` header's seconds",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": when} for status, when in _WHEN.items()
}


def _loc(loc: Any) -> list[str | int]:
    return [part for part in loc if part != "body"] if isinstance(loc, (list, tuple)) else [str(loc)]


def _validation_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "json_invalid":
        return f"request body is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})"
    if kind == "extra_forbidden":
        return "unknown field; remove it (see /docs for the accepted fields)"
    if kind == "missing":
        return "field required"
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        return PATTERN_MESSAGES.get(pattern, f"does not have the expected form ({pattern})")
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def _responder(status: int) -> Any:
    async def respond(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DialerError)
        return JSONResponse(status_code=status, content=error_body(status, exc.message))

    return respond


def _http_detail(exc: StarletteHTTPException) -> str:
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        # FastAPI's words for a body that is not UTF-8 or nests deeper than the parser goes.
        return "request body cannot be read as JSON (it must be UTF-8 and nest at most a few hundred levels)"
    return str(exc.detail)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": _loc(e.get("loc", ())), "message": _validation_message(e)} for e in exc.errors()[:100]]
        summary = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['message']}" for e in errors[:5])
        return JSONResponse(status_code=422, content={"detail": summary, "errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = _http_detail(exc)
        return JSONResponse(status_code=exc.status_code, content=error_body(exc.status_code, detail), headers=exc.headers)

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        errors = [{"loc": list(p.loc), "message": p.message} for p in exc.problems]
        return JSONResponse(status_code=422, content={"detail": exc.message, "errors": errors})

    @app.exception_handler(TelephonyUnavailable)
    async def _livekit_down(_: Request, exc: TelephonyUnavailable) -> JSONResponse:
        detail = f"LiveKit is not reachable right now ({exc.detail}); try again shortly"
        return JSONResponse(status_code=503, content=error_body(503, detail), headers={"Retry-After": "5"})

    async def _database_down(_: Request, exc: Exception) -> JSONResponse:
        if not database_unavailable(exc):
            log.error("database error: %s", type(exc).__name__, exc_info=exc)
            return JSONResponse(status_code=500, content=error_body(500, "internal error"))
        log.warning("database unavailable (%s): answered 503", type(exc).__name__)
        return JSONResponse(status_code=503, content=error_body(503, DATABASE_UNAVAILABLE), headers={"Retry-After": "5"})

    # A database outage (asyncpg's refused connection arrives as a bare ConnectionError, not wrapped by SQLAlchemy).
    app.add_exception_handler(DBAPIError, _database_down)
    app.add_exception_handler(ConnectionError, _database_down)

    @app.exception_handler(TooManyAttempts)
    async def _too_many(_: Request, exc: TooManyAttempts) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after_s)}
        return JSONResponse(status_code=429, content=error_body(429, exc.message), headers=headers)

    # Most specific first is not needed: Starlette picks the handler of the nearest class in the exception's MRO.
    for error_type, status in ((NotFound, 404), (Conflict, 409), (Forbidden, 403), (DialerError, 400)):
        app.add_exception_handler(error_type, _responder(status))

"""Every error is a 4xx JSON body with a message that says what to fix; nothing escapes as a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from dialer.errors import Conflict, DialerError, Forbidden, InvalidInput, NotFound

log = logging.getLogger("dialer.api")


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
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def _responder(status: int) -> Any:
    async def respond(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DialerError)
        return JSONResponse(status_code=status, content={"detail": exc.message})

    return respond


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": _loc(e.get("loc", ())), "message": _validation_message(e)} for e in exc.errors()]
        summary = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['message']}" for e in errors[:5])
        return JSONResponse(status_code=422, content={"detail": summary, "errors": errors})

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        errors = [{"loc": list(p.loc), "message": p.message} for p in exc.problems]
        return JSONResponse(status_code=422, content={"detail": exc.message, "errors": errors})

    # Most specific first is not needed: Starlette picks the handler of the nearest class in the exception's MRO.
    for error_type, status in ((NotFound, 404), (Conflict, 409), (Forbidden, 403), (DialerError, 400)):
        app.add_exception_handler(error_type, _responder(status))

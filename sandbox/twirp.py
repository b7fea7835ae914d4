"""Twirp over HTTP, as ``livekit.api.twirp_client`` speaks it.

``POST /twirp/livekit.<Service>/<Method>`` with a protobuf body (``application/protobuf``) or
protobuf JSON (``application/json``), answered in the same encoding; errors are JSON
``{"code", "msg", "meta"}`` with the Twirp HTTP status. Every request is recorded, then injected
faults are served, then the bearer token and the route's grants are checked, then the handler runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from livekit.api import TokenVerifier
from livekit.api.access_token import Claims

from .auth import Authorizer, authenticate
from .errors import TwirpError, for_http_status
from .faults import FaultPlan

logger = logging.getLogger(__name__)

PREFIX = "/twirp/livekit."
REQUEST_ID_HEADER = "X-Livekit-Request-Id"

Handler = Callable[[Any, Claims], Awaitable[Message]]


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    request_type: type[Message]
    handler: Handler
    authorize: Authorizer


@dataclass
class RecordedRequest:
    """One Twirp request as received; ``status``/``error_code`` are filled in once answered."""

    service: str
    method: str
    request: Message | None
    received_at: float
    identity: str | None = None
    claims: Claims | None = None
    request_id: str | None = None
    status: int | None = None
    error_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


class TwirpServer:
    """Routes, records and answers Twirp requests for a set of ``Route``s."""

    def __init__(self, *, routes: Iterable[Route], verifier: TokenVerifier, clock: Callable[[], float],
                 faults: FaultPlan, on_request: Callable[[], None]) -> None:
        self._routes = {(r.service, r.method): r for r in routes}
        self._verifier = verifier
        self._clock = clock
        self._faults = faults
        self._on_request = on_request
        self.requests: list[RecordedRequest] = []

    @property
    def methods(self) -> set[tuple[str, str]]:
        return set(self._routes)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._health)
        app.router.add_post("/twirp/{service}/{method}", self._handle)
        return app

    async def _health(self, _request: web.Request) -> web.Response:
        return web.Response(text="OK")

    async def _handle(self, http: web.Request) -> web.Response:
        full_service, method = http.match_info["service"], http.match_info["method"]
        service = full_service.removeprefix("livekit.")
        use_json = http.content_type == "application/json"
        record = RecordedRequest(
            service=service, method=method, request=None, received_at=self._clock(),
            request_id=http.headers.get(REQUEST_ID_HEADER),
        )
        self.requests.append(record)
        try:
            route = self._routes.get((service, method)) if full_service.startswith("livekit.") else None
            if route is None:
                raise TwirpError("bad_route", f"no handler for {full_service}/{method}")
            message = await self._decode(http, route.request_type, use_json)
            record.request = message
            await self._serve_fault(service, method)
            claims = authenticate(http.headers.get("Authorization"), self._verifier)
            record.identity, record.claims = claims.identity, claims
            route.authorize(claims, message)
            answer = await route.handler(message, claims)
        except TwirpError as error:
            return self._finish(record, error.status, error.code, web.json_response(error.body(), status=error.status))
        except Exception:
            logger.exception("sandbox handler for %s/%s failed", service, method)
            internal = TwirpError("internal", "sandbox internal error")
            return self._finish(record, internal.status, internal.code,
                                web.json_response(internal.body(), status=internal.status))
        if use_json:
            response = web.Response(text=json_format.MessageToJson(answer), content_type="application/json")
        else:
            response = web.Response(body=answer.SerializeToString(), content_type="application/protobuf")
        return self._finish(record, 200, None, response)

    def _finish(self, record: RecordedRequest, status: int, code: str | None, response: web.Response) -> web.Response:
        record.status, record.error_code = status, code
        self._on_request()
        return response

    @staticmethod
    async def _decode(http: web.Request, request_type: type[Message], use_json: bool) -> Message:
        body = await http.read()
        message = request_type()
        try:
            if use_json:
                json_format.Parse(body.decode() or "{}", message, ignore_unknown_fields=True)
            else:
                message.ParseFromString(body)
        except (DecodeError, json_format.ParseError, UnicodeDecodeError) as exc:
            raise TwirpError("malformed", f"the request body could not be decoded: {type(exc).__name__}") from None
        return message

    async def _serve_fault(self, service: str, method: str) -> None:
        fault = self._faults.take(service, method)
        if fault is None:
            return
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if fault.status is not None:
            raise for_http_status(fault.status, f"injected fault: HTTP {fault.status}")

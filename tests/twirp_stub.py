"""A Twirp server of a test's own on 127.0.0.1:0 that answers each LiveKit method as the test says.

For the answers the sandbox does not give (livekit/sip's cancellation messages, a transfer that ends FAILED), so
the adapter and the agent's call control are still driven through the real livekit-api client over HTTP.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from dialer_testing.loopback import LoopbackServer
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message


@dataclass(frozen=True)
class TwirpError:
    code: str
    message: str
    status: int
    meta: dict[str, str] = field(default_factory=dict)


Answer = Message | TwirpError


class TwirpStub:
    """`answers["livekit.SIP/TransferSIPParticipant"] = ...` sets what that method answers (a protobuf reply, sent as
    protobuf, or a TwirpError); requests are kept by method."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer | Callable[[], Answer | Awaitable[Answer]]] = {}
        self.requests: dict[str, list[bytes]] = {}
        self.url = ""
        self._server = LoopbackServer()

    async def _handle(self, request: web.Request) -> web.Response:
        method = f"{request.match_info['service']}/{request.match_info['method']}"
        self.requests.setdefault(method, []).append(await request.read())
        answer = self.answers.get(method)
        if callable(answer):
            answer = answer()
        if inspect.isawaitable(answer):  # an answer the test holds back until it lets it go
            answer = await answer
        if answer is None:
            return web.json_response({"code": "unimplemented", "msg": f"{method} not stubbed"}, status=501)
        if isinstance(answer, TwirpError):
            body: dict[str, Any] = {"code": answer.code, "msg": answer.message, "meta": answer.meta}
            return web.json_response(body, status=answer.status)
        if request.content_type == "application/json":
            return web.json_response(MessageToDict(answer))
        return web.Response(body=answer.SerializeToString(), content_type="application/protobuf")

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/twirp/{service}/{method}", self._handle)
        self.url = await self._server.start(app)
        return self.url

    async def stop(self) -> None:
        await self._server.stop()

"""Helpers for the sandbox tests: injected clock, a webhook sink that verifies every delivery with the
real WebhookReceiver, and a dial shortcut through the real LiveKitAPI client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from livekit import api
from livekit.protocol.sip import CreateSIPParticipantRequest, SIPParticipantInfo
from livekit.protocol.webhook import WebhookEvent

from dialer_testing.loopback import LoopbackServer
from sandbox import LiveKitSandbox

API_KEY = "test-key"
API_SECRET = "test-secret-0123456789abcdef0123456789"
START = 1_700_000_000.0

SandboxFactory = Callable[..., Awaitable[LiveKitSandbox]]


class FakeClock:
    """Injected time for timestamps; tests move it by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class WebhookSink:
    """A tiny aiohttp receiver (port 0) that verifies webhooks with livekit.api.WebhookReceiver."""

    def __init__(self, api_key: str = API_KEY, api_secret: str = API_SECRET) -> None:
        self._receiver = api.WebhookReceiver(api.TokenVerifier(api_key, api_secret))
        self.events: list[WebhookEvent] = []
        self.rejected: list[str] = []
        self.content_types: list[str] = []
        self.fail_next = 0  # answer HTTP 500 to this many deliveries first
        self.hold: asyncio.Event | None = None  # when set, deliveries wait for it
        self._change = asyncio.Event()
        self._server = LoopbackServer()
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/webhook", self._handle)
        self.url = f"{await self._server.start(app)}/webhook"
        return self.url

    async def stop(self) -> None:
        await self._server.stop()

    async def _handle(self, request: web.Request) -> web.Response:
        if self.hold is not None:
            await self.hold.wait()
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.Response(status=500)
        body = await request.text()
        self.content_types.append(request.content_type)
        try:
            event = self._receiver.receive(body, request.headers.get("Authorization", ""))
        except Exception as exc:  # noqa: BLE001 - the test inspects what failed
            self.rejected.append(str(exc))
            self._notify()
            return web.Response(status=401)
        self.events.append(event)
        self._notify()
        return web.Response(text="ok")

    def _notify(self) -> None:
        self._change.set()
        self._change = asyncio.Event()

    def named(self, name: str, room: str | None = None) -> list[WebhookEvent]:
        return [e for e in self.events if e.event == name and (room is None or e.room.name == room)]

    async def wait_for(self, predicate: Callable[[list[WebhookEvent]], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate(self.events):
                await self._change.wait()

    async def wait_for_event(self, name: str, room: str | None = None, timeout: float = 5.0) -> WebhookEvent:
        await self.wait_for(lambda _events: bool(self.named(name, room)), timeout)
        return self.named(name, room)[0]


async def dial(lkapi: api.LiveKitAPI, number: str, room: str = "call-room", *, wait: bool = True,
               timeout: float | None = None, **fields: Any) -> SIPParticipantInfo:
    """CreateSIPParticipant through the real client on the seeded outbound trunk."""
    request = CreateSIPParticipantRequest(
        sip_trunk_id=fields.pop("sip_trunk_id", "ST_sandbox"), sip_call_to=number, room_name=room,
        wait_until_answered=wait, **fields,
    )
    return await lkapi.sip.create_sip_participant(request, timeout=timeout)

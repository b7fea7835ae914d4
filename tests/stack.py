"""A whole dialer on loopback for integration tests: the real API served by uvicorn, the LiveKit sandbox sending
signed webhooks to it, and the real livekit-api client in between. Time is a ManualClock; the dispatcher is driven
explicitly (run_once/drain) so every step is deterministic."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from api.app import create_app
from config.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from dialer.clock import ManualClock
from dialer.livekit_target import sandbox_access
from dialer.runtime import Runtime
from sandbox import LiveKitSandbox


@dataclass
class Stack:
    runtime: Runtime
    sandbox: LiveKitSandbox
    http: httpx.AsyncClient
    clock: ManualClock
    base_url: str

    async def dispatch(self) -> None:
        """One dispatcher run, then wait for every SIP request it started and every webhook that caused."""
        await self.runtime.dispatcher.run_once()
        await self.runtime.dispatcher.drain()
        await self.sandbox.drain_webhooks()

    async def hang_up(self, room_name: str) -> None:
        await self.sandbox.hang_up(room_name)
        await self.sandbox.drain_webhooks()

    def dialled_numbers(self) -> list[str]:
        return [r.request.sip_call_to for r in self.sandbox.requests_for("CreateSIPParticipant")]


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@asynccontextmanager
async def running_stack(
    settings: Settings, clock: ManualClock, *, webhook_path: str = "/api/livekit/webhook",
    webhook_url: str | None = None, **sandbox_options: Any
) -> AsyncIterator[Stack]:
    """`webhook_path`: where the sandbox sends its webhooks (another path holds them back, for tests that deliver
    `sandbox.webhook_events` themselves: late, twice, out of order). `webhook_url`: another instance's webhook
    endpoint instead of this one's (a load balancer's choice)."""
    sock = listening_socket()
    port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={"public_url": base_url, "sandbox_port": 0})
    options = {"ring_delay_s": 0.0, "auto_hangup": False, "departure_time_scale": 0.0,
               "clock": lambda: clock.now().timestamp(), **sandbox_options}
    sandbox = LiveKitSandbox(api_key=SANDBOX_API_KEY, api_secret=SANDBOX_API_SECRET,
                             webhook_url=webhook_url or f"{base_url}{webhook_path}",
                             seed_outbound_trunk_id=settings.sip_outbound_trunk_id, **options)
    url = await sandbox.start("127.0.0.1", 0)
    runtime = Runtime.build(settings, clock=clock, livekit=sandbox_access(url))  # LiveKit first, then the dialer
    server = uvicorn.Server(uvicorn.Config(create_app(runtime, manage_runtime=False), lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    http = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {settings.api_key}"})
    try:
        yield Stack(runtime=runtime, sandbox=sandbox, http=http, clock=clock, base_url=base_url)
    finally:
        await http.aclose()
        await runtime.dispatcher.stop()
        server.should_exit = True
        await serving
        sock.close()
        await runtime.stop()
        await sandbox.stop()


@asynccontextmanager
async def second_instance(
    settings: Settings, clock: ManualClock, *, sock: socket.socket, livekit_url: str
) -> AsyncIterator[Runtime]:
    """Another dialer instance on the same database, serving its API and webhooks on `sock` (from `listening_socket`,
    so the sandbox can be told where before this starts) and listening for the others' notifications; its
    dispatcher is never run: the instance a load balancer sent LiveKit's webhooks to."""
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    runtime = Runtime.build(settings.model_copy(update={"public_url": base_url}), clock=clock,
                            livekit=sandbox_access(livekit_url))
    server = uvicorn.Server(uvicorn.Config(create_app(runtime, manage_runtime=False), lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await runtime.wakeups.start()
    try:
        yield runtime
    finally:
        server.should_exit = True
        await serving
        sock.close()
        await runtime.stop()

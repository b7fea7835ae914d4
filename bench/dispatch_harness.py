"""bench/dispatch.py's harness: the whole dialer on loopback with a real clock (tests/stack.py's shape, with
SystemClock and the Runtime's own loop), and a probe that counts what the real dispatcher does without changing it."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import uvicorn
from sqlalchemy import event

from api.app import create_app
from config.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from dialer.engine import queue
from dialer.engine.dispatcher import Dispatcher
from dialer.engine.plan import Plan
from dialer.livekit_target import sandbox_access
from dialer.runtime import Runtime
from dialer.store.models import Call
from sandbox import LiveKitSandbox


# -- the whole dialer on loopback, real clock (tests/stack.py's shape, with SystemClock and the Runtime's own loop) --


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


@asynccontextmanager
async def live_dialer(settings: Settings) -> AsyncIterator[tuple[Runtime, LiveKitSandbox]]:
    """API (uvicorn) + sandbox (ring at once, no auto hang-up) + Runtime, not yet started: `runtime.start()` does."""
    sock = _listening_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = settings.model_copy(update={"public_url": base_url, "sandbox_port": 0})
    sandbox = LiveKitSandbox(api_key=SANDBOX_API_KEY, api_secret=SANDBOX_API_SECRET,
                             webhook_url=f"{base_url}/api/livekit/webhook",
                             seed_outbound_trunk_id=settings.sip_outbound_trunk_id, ring_delay_s=0.0, auto_hangup=False)
    runtime = Runtime.build(settings, livekit=sandbox_access(await sandbox.start("127.0.0.1", 0)))
    app = create_app(runtime, manage_runtime=False)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield runtime, sandbox
    finally:
        await stop_dialling(runtime)
        await sandbox.drain_webhooks()
        server.should_exit = True
        await serving
        sock.close()
        await runtime.stop()
        await sandbox.stop()


async def stop_dialling(runtime: Runtime) -> None:
    """Stop the clock and the dispatcher; dials already planned (up to the horizon) are sent and recorded.

    Jobs already running (outbox, reconciler) are let finish first: AsyncIOScheduler.shutdown cancels them, and
    APScheduler then logs each cancelled job as an error.
    """
    scheduler = runtime.scheduler
    if scheduler is not None:
        scheduler.pause()
        executor = scheduler._lookup_executor("default")  # no public way to await running coroutine jobs
        await asyncio.gather(*list(getattr(executor, "_pending_futures", ())), return_exceptions=True)
        scheduler.shutdown(wait=False)
        runtime.scheduler = None
    await runtime.dispatcher.stop()


# -- instrumentation: counts what the real dispatcher does, changes nothing ---------------------------------------------


@dataclass
class Probe:
    runs: int = 0
    planned: int = 0
    claimed: int = 0
    plan_seconds: list[float] = field(default_factory=list)
    statements: int = 0
    reslotted: set[str] = field(default_factory=set)  # call ids that missed their slot and took a new one

    def snapshot(self) -> Probe:
        return Probe(self.runs, self.planned, self.claimed, list(self.plan_seconds), self.statements, set(self.reslotted))

    @asynccontextmanager
    async def watching(self, dispatcher: Dispatcher, runtime: Runtime) -> AsyncIterator[Probe]:
        plan: Callable[[int | None], Awaitable[Plan]] = dispatcher.planner.plan
        claim_due = queue.claim_due
        take_new_slot = queue.take_new_slot

        async def timed_plan(allowance: int | None = None) -> Plan:
            started = time.perf_counter()
            planned = await plan(allowance)
            self.plan_seconds.append(time.perf_counter() - started)
            self.runs += 1
            self.planned += len(planned.dials)
            return planned

        async def counted_claim(*args: Any, **kwargs: Any) -> Sequence[Call]:
            calls = await claim_due(*args, **kwargs)
            self.claimed += len(calls)
            return calls

        async def counted_new_slot(*args: Any, **kwargs: Any) -> datetime:
            self.reslotted.add(str(kwargs.get("call_id")))
            return await take_new_slot(*args, **kwargs)

        def statement(*_args: object) -> None:
            self.statements += 1

        setattr(dispatcher.planner, "plan", timed_plan)
        setattr(queue, "claim_due", counted_claim)
        setattr(queue, "take_new_slot", counted_new_slot)
        event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", statement)
        try:
            yield self
        finally:
            setattr(dispatcher.planner, "plan", plan)
            setattr(queue, "claim_due", claim_due)
            setattr(queue, "take_new_slot", take_new_slot)
            event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", statement)

"""Stopping the service lets a scheduled run under way finish instead of cancelling it mid-transaction (APScheduler's
shutdown cancels running coroutine jobs, and each cancelled one logged a traceback at every shutdown it overlapped)."""

from __future__ import annotations

import asyncio

from config.settings import Settings
from dialer.runtime import Runtime


async def test_stop_waits_for_the_scheduled_run_under_way(settings: Settings) -> None:
    runtime = Runtime.build(settings)
    await runtime.start()
    started, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def outbox_like_run() -> None:
        started.set()
        await release.wait()
        finished.set()

    assert runtime.scheduler is not None
    runtime.scheduler.add_job(runtime._tracked(outbox_like_run), id="under-way")
    await asyncio.wait_for(started.wait(), 10)
    stopping = asyncio.create_task(runtime.stop())
    await asyncio.sleep(0)
    assert not stopping.done()  # waiting for the run, not cancelling it
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert finished.is_set()

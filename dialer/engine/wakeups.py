"""Wake every instance's dispatcher at once when calls become due (PostgreSQL LISTEN/NOTIFY).

A batch created or resumed, or a call placed through the API, is announced on one channel; each instance listens
on its own connection and wakes its dispatcher. Polling (the APScheduler tick) stays as the fallback: a lost
notification only costs one tick. The listener reconnects with backoff, and wakes its dispatcher once on every
(re)connection, since anything announced while it was away was missed. On SQLite (one instance) only the local
dispatcher is woken.

The same listening connection carries other instance-to-instance news (`subscribe` / `send`): a SIP leg's last call
status, heard by whichever instance LiveKit's webhook reached, for the instance whose dial task is waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from dialer.store.db import Database

log = logging.getLogger(__name__)

CHANNEL = "dialer_calls_due"
RECONNECT_DELAYS_S = (0.1, 0.5, 1.0, 2.0, 5.0)
Sleeper = Callable[[float], Awaitable[None]]


def asyncpg_dsn(database_url: str) -> str:
    """SQLAlchemy's `postgresql+asyncpg://…` as a plain libpq URL for asyncpg.connect."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class Wakeups:
    def __init__(
        self,
        *,
        db: Database,
        trunk_id: str,
        wake: Callable[[], None],
        keepalive_s: float = 30.0,
        sleep: Sleeper = asyncio.sleep,
    ) -> None:
        self._db = db
        self._trunk_id = trunk_id
        self._wake = wake
        self._keepalive_s = keepalive_s
        self._sleep = sleep
        self.enabled = db.dialect == "postgresql"
        self.connected = asyncio.Event()  # set while LISTENing (tests wait on it)
        self.received = 0  # notifications for our trunk
        self.connections = 0  # successful (re)connections
        self._listener: asyncio.Task[None] | None = None
        self._notifies: set[asyncio.Task[None]] = set()
        self._subscribers: dict[str, Callable[[str], None]] = {}

    # -- telling the others ---------------------------------------------------------------------------------------

    def announce(self) -> None:
        """Calls became due (called after their transaction committed): wake here now, and everywhere else."""
        self._wake()
        self.send(CHANNEL, self._trunk_id)

    def send(self, channel: str, payload: str) -> None:
        """Tells every listening instance (this one too) `payload` on `channel`; nothing on SQLite (one instance)."""
        if self.enabled:
            task = asyncio.get_running_loop().create_task(self._notify(channel, payload))
            self._notifies.add(task)
            task.add_done_callback(self._notifies.discard)

    def subscribe(self, channel: str, handler: Callable[[str], None]) -> None:
        """`handler(payload)` for each notification on `channel`, from the next (re)connection on; before `start`."""
        if channel == CHANNEL:
            raise ValueError(f"{CHANNEL} is the wake-ups' own channel")
        self._subscribers[channel] = handler

    async def _notify(self, channel: str, payload: str) -> None:
        try:
            async with self._db.engine.connect() as conn:
                notify = text("SELECT pg_notify(:channel, :payload)")
                await conn.execute(notify, {"channel": channel, "payload": payload})
                await conn.commit()
        except Exception as exc:
            log.warning("NOTIFY on %s failed (%s); the other instances will not hear it", channel, type(exc).__name__)

    # -- hearing them -----------------------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.enabled and self._listener is None:
            self._listener = asyncio.get_running_loop().create_task(self._listen_forever())

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None
        if self._notifies:
            await asyncio.gather(*list(self._notifies), return_exceptions=True)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload == self._trunk_id:
            self.received += 1
            self._wake()

    async def _listen_forever(self) -> None:
        dsn = asyncpg_dsn(self._db.url)
        failures = 0
        while True:
            try:
                conn = await asyncpg.connect(dsn, timeout=10)
            except Exception as exc:
                delay = RECONNECT_DELAYS_S[min(failures, len(RECONNECT_DELAYS_S) - 1)]
                failures += 1
                log.warning("wake-up listener cannot connect (%s); retrying in %.1fs", type(exc).__name__, delay)
                await self._sleep(delay)
                continue
            failures = 0
            try:
                await self._listen(conn)
            except Exception as exc:
                log.warning("wake-up listener lost its connection (%s); reconnecting", type(exc).__name__)
            finally:
                self.connected.clear()
                if not conn.is_closed():
                    conn.terminate()
            await self._sleep(RECONNECT_DELAYS_S[0])

    async def _listen(self, conn: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        for channel, handler in self._subscribers.items():
            await conn.add_listener(channel, lambda _c, _p, _ch, payload, handler=handler: handler(payload))
        await conn.add_listener(CHANNEL, self._on_notify)
        self.connections += 1
        self.connected.set()
        self._wake()  # whatever was announced while we were not listening
        while not lost.is_set():
            try:
                await asyncio.wait_for(lost.wait(), self._keepalive_s)
            except asyncio.TimeoutError:
                await conn.execute("SELECT 1")  # a half-open TCP connection fails here
        raise ConnectionError("the server closed the connection")

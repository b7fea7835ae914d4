"""Which LiveKit API failures are worth retrying, and retrying them with backoff.

Transient: an HTTP 5xx or 429 from LiveKit, a refused or dropped connection, a time-out. Anything else (4xx, a SIP
response) is an answer and is returned at once. Only requests that are safe to repeat go through `with_backoff`:
CreateRoom (an existing room is returned unchanged; it carries the agent dispatch, so that is never doubled either),
ListRooms, ListParticipants, DeleteRoom. CreateSIPParticipant never does: its time-out may mean the phone is
ringing, so it is settled by the reconciler, not by a second INVITE.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
from livekit.api.twirp_client import ServerError, SipCallError

log = logging.getLogger(__name__)
T = TypeVar("T")
Sleeper = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Backoff:
    attempts: int = 3  # tries in all, the first included
    base_delay_s: float = 0.1
    max_delay_s: float = 2.0

    def delay(self, retry: int) -> float:
        """Before retry number `retry` (1-based): base, 2 x base, 4 x base ... capped."""
        return min(self.max_delay_s, self.base_delay_s * 2.0 ** (retry - 1))


NO_RETRY = Backoff(attempts=1)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, SipCallError):
        return False
    if isinstance(exc, ServerError):
        return exc.status >= 500 or exc.status == 429
    return isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError))


async def with_backoff(
    op: Callable[[int], Awaitable[T]], *, what: str, backoff: Backoff, sleep: Sleeper = asyncio.sleep
) -> T:
    """Run `op(try_number)` (0-based) until it succeeds, fails for good, or the tries run out (then re-raise)."""
    for attempt in range(backoff.attempts):
        try:
            return await op(attempt)
        except Exception as exc:
            if not is_transient(exc) or attempt + 1 >= backoff.attempts:
                raise
            delay = backoff.delay(attempt + 1)
            log.warning("LiveKit %s failed (%s); retry %d in %.2fs", what, describe(exc), attempt + 1, delay)
            await sleep(delay)
    raise AssertionError("unreachable")


def describe(exc: BaseException) -> str:
    if isinstance(exc, ServerError):
        return f"{exc.code} (HTTP {exc.status})"
    return type(exc).__name__

"""Retrying a whole transaction after a transient database failure (deadlock, serialization, lost connection, a
server restarting: asyncpg's refused connection reaches us as a bare OSError, not wrapped by SQLAlchemy)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")


def database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or dropped the connection (so a later try may work), as opposed to a
    statement it refused (a constraint, a bad query: a bug that a retry would only repeat)."""
    if isinstance(exc, (OperationalError, InterfaceError, ConnectionError)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


async def with_retries(work: Callable[[], Awaitable[T]], *, what: str, attempts: int = 4, base_delay_s: float = 0.05) -> T:
    """`work` must open its own transaction, so a retry starts from scratch."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except (OperationalError, DBAPIError, OSError) as exc:
            if attempt == attempts:
                raise
            cause = getattr(exc, "orig", None) or exc
            log.warning("%s: transient database error (%s); retry %d", what, type(cause).__name__, attempt)
            await asyncio.sleep(base_delay_s * 2 ** (attempt - 1))
    raise AssertionError("unreachable")

"""Retrying a transaction: a refused connection (a server restarting) is transient; a bug is not."""

from __future__ import annotations

import pytest

from dialer.store.retry import with_retries


async def test_a_refused_connection_is_retried_then_given_up() -> None:
    failures = [ConnectionRefusedError(111, "refused"), ConnectionResetError(104, "reset")]

    async def work() -> str:
        if failures:
            raise failures.pop(0)
        return "done"

    assert await with_retries(work, what="test", base_delay_s=0.0) == "done"

    async def always_refused() -> None:
        raise ConnectionRefusedError(111, "refused")

    with pytest.raises(ConnectionRefusedError):
        await with_retries(always_refused, what="test", attempts=3, base_delay_s=0.0)


async def test_other_errors_are_not_retried() -> None:
    calls = 0

    async def bug() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        await with_retries(bug, what="test", base_delay_s=0.0)
    assert calls == 1

"""The cores of `dialer provision` and `dialer trunks list`: async, so a test can await them on its own loop.

They talk to the LiveKit that LIVEKIT_URL names. Without it there is nothing to provision: the built-in sandbox
lives inside `dialer serve` and comes with its own outbound trunk.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TextIO

import aiohttp
from livekit import api

from config.settings import Settings
from dialer.phones import mask_phone
from dialer.provisioning.desired import desired_state
from dialer.provisioning.errors import ProvisioningError
from dialer.provisioning.executor import fetch_existing, provision
from dialer.provisioning.render import render_listing, render_result

NEEDS_LIVEKIT = (
    "provisioning needs LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET for the LiveKit server to set up; "
    "without LIVEKIT_URL the dialer uses its built-in sandbox, which only runs inside `dialer serve` "
    "and needs no provisioning"
)
_REQUEST_TIMEOUT_S = 15.0
_PHONE_LIKE = re.compile(r"(?<![\w+])\+?\d{7,15}(?!\w)")


def require_livekit(settings: Settings) -> tuple[str, str, str]:
    if not settings.livekit_url or not settings.livekit_api_key or not settings.livekit_api_secret:
        raise ProvisioningError(NEEDS_LIVEKIT)
    return settings.livekit_url, settings.livekit_api_key, settings.livekit_api_secret


@asynccontextmanager
async def open_livekit(settings: Settings) -> AsyncIterator[api.LiveKitAPI]:
    """The real client for the configured LiveKit, refused clearly when none is configured."""
    url, key, secret = require_livekit(settings)
    timeout = aiohttp.ClientTimeout(total=_REQUEST_TIMEOUT_S)
    async with api.LiveKitAPI(url, key, secret, timeout=timeout, failover=False) as lk:
        yield lk


async def provision_command(
    settings: Settings, *, dry_run: bool = False, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """`dialer provision [--dry-run]`: 0 done, 1 LiveKit unreachable or refused, 2 configuration to fix."""

    async def work() -> list[str]:
        require_livekit(settings)
        desired = desired_state(settings)  # configuration errors before any request
        async with open_livekit(settings) as lk:
            result = await provision(lk, desired, dry_run=dry_run)
        header = f"LiveKit: {settings.livekit_url}{' (dry run: nothing is changed)' if dry_run else ''}"
        return [header, *render_result(result, configured_trunk_id=settings.sip_outbound_trunk_id)]

    return await _run(settings, work, out or sys.stdout, err or sys.stderr)


async def trunks_list_command(settings: Settings, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """`dialer trunks list`: inbound and outbound trunks and dispatch rules, numbers masked."""

    async def work() -> list[str]:
        async with open_livekit(settings) as lk:
            existing = await fetch_existing(lk)
        return render_listing(existing, configured_trunk_id=settings.sip_outbound_trunk_id)

    return await _run(settings, work, out or sys.stdout, err or sys.stderr)


async def _run(settings: Settings, work: Callable[[], Awaitable[list[str]]], out: TextIO, err: TextIO) -> int:
    try:
        lines = await work()
    except ProvisioningError as exc:
        print(f"dialer: {exc}", file=err)
        return 2
    except api.ServerError as exc:
        print(f"dialer: LiveKit refused the request ({exc.code}): {scrub(exc.message)}", file=err)
        return 1
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        print(f"dialer: cannot reach LiveKit at {settings.livekit_url}: {type(exc).__name__}", file=err)
        return 1
    for line in lines:
        print(line, file=out)
    return 0


def scrub(text: str) -> str:
    """LiveKit's error text may quote the numbers in conflict: mask anything that looks like one."""
    return _PHONE_LIKE.sub(lambda m: mask_phone(m.group(0)), text)

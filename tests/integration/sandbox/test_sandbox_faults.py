"""Injected faults: HTTP errors that place no call, and delays after which the call is placed anyway."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from livekit import api

from sandbox import LiveKitSandbox
from tests.integration.sandbox.sandbox_testkit import dial


async def test_503_fault_fails_once_without_placing_a_call(lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox) -> None:
    sandbox.inject_fault("CreateSIPParticipant", status=503)

    with pytest.raises(api.ServerError) as caught:
        await dial(lkapi, "+12125550100", "room-a")
    assert (caught.value.status, caught.value.code) == (503, "unavailable")
    assert sandbox.calls == {} and sandbox.rooms == {}
    assert len(sandbox.requests_for("CreateSIPParticipant")) == 1  # loopback: the client did not fail over/retry

    info = await dial(lkapi, "+12125550100", "room-a")
    assert info.sip_call_id in sandbox.calls


async def test_fault_applies_the_given_number_of_times_and_only_to_its_method(
    lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox
) -> None:
    sandbox.inject_fault("RoomService/ListRooms", status=429, times=2)

    await lkapi.room.create_room(api.CreateRoomRequest(name="r"))
    for _ in range(2):
        with pytest.raises(api.ServerError) as caught:
            await lkapi.room.list_rooms(api.ListRoomsRequest())
        assert caught.value.status == 429
    assert [r.name for r in (await lkapi.room.list_rooms(api.ListRoomsRequest())).rooms] == ["r"]
    assert [r.status for r in sandbox.requests_for("ListRooms")] == [429, 429, 200]


async def test_delayed_request_times_out_but_the_call_is_still_placed(
    lkapi: api.LiveKitAPI, sandbox: LiveKitSandbox
) -> None:
    sandbox.inject_fault("CreateSIPParticipant", delay_s=0.3)

    with pytest.raises((asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        await dial(lkapi, "+12125550116", "room-late", wait=False, timeout=0.05)

    await sandbox.wait_until(lambda: len(sandbox.calls) == 1)
    (call,) = sandbox.calls.values()
    assert call.room_name == "room-late"  # the dialer must reconcile, never re-dial blindly


async def test_fault_arguments_are_checked(sandbox: LiveKitSandbox) -> None:
    with pytest.raises(ValueError):
        sandbox.inject_fault("CreateSipParticipant", status=503)
    with pytest.raises(ValueError):
        sandbox.inject_fault("RoomService/CreateSIPParticipant", status=503)
    with pytest.raises(ValueError):
        sandbox.inject_fault("ListRooms", status=200)
    with pytest.raises(ValueError):
        sandbox.inject_fault("ListRooms")
    with pytest.raises(ValueError):
        sandbox.inject_fault("ListRooms", status=503, times=0)

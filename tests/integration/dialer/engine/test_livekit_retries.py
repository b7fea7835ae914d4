"""The LiveKit adapter under faults, against the sandbox over the wire: what is retried, what never is.

Retries sleep through an injected sleeper (recorded, not waited), so only the faults' own delays take real time.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from livekit.api.twirp_client import ServerError, SipCallError

from sandbox import LiveKitSandbox
from dialer.telephony.base import DialFailed, DialRequest, TelephonyUnavailable
from dialer.telephony.livekit import LiveKitTelephony
from dialer.telephony.transient import Backoff, is_transient
from dialer.policy import Outcome

KEY, SECRET = "retry-key", "retry-secret-0123456789abcdef0123456789"


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
async def sandbox() -> AsyncIterator[LiveKitSandbox]:
    box = LiveKitSandbox(api_key=KEY, api_secret=SECRET, ring_delay_s=0.0, auto_hangup=False)
    await box.start()
    yield box
    await box.stop()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def telephony(sandbox: LiveKitSandbox, sleeps: Sleeps) -> AsyncIterator[LiveKitTelephony]:
    adapter = LiveKitTelephony(
        url=sandbox.url, api_key=KEY, api_secret=SECRET, request_timeout_s=0.25,
        backoff=Backoff(attempts=3, base_delay_s=0.1), sleep=sleeps,
    )
    yield adapter
    await adapter.close()


def request(room: str = "call-c1-1", phone: str = "+12125550116", ringing_timeout_s: int = 30) -> DialRequest:
    return DialRequest(
        call_id="c1", attempt_id="att1", room_name=room, phone_e164=phone, trunk_id="ST_sandbox",
        agent_name="dialer-agent", agent_metadata="{}", participant_identity="callee-c1", participant_name="C",
        ringing_timeout_s=ringing_timeout_s,
    )


def statuses(sandbox: LiveKitSandbox, method: str) -> list[int | None]:
    return [r.status for r in sandbox.requests_for(method)]


async def test_room_5xx_is_retried_with_backoff_and_the_call_placed_once(
    telephony: LiveKitTelephony, sandbox: LiveKitSandbox, sleeps: Sleeps
) -> None:
    sandbox.inject_fault("CreateRoom", status=503, times=2)
    await telephony.dial(request())
    assert statuses(sandbox, "CreateRoom") == [503, 503, 200]
    assert [(d.room, d.agent_name) for d in sandbox.dispatches] == [("call-c1-1", "dialer-agent")]
    assert statuses(sandbox, "CreateSIPParticipant") == [200]
    assert sleeps.delays == [0.1, 0.2]


async def test_persistent_5xx_gives_up_before_anything_rings(
    telephony: LiveKitTelephony, sandbox: LiveKitSandbox
) -> None:
    sandbox.inject_fault("CreateRoom", status=502, times=3)
    with pytest.raises(TelephonyUnavailable) as caught:
        await telephony.dial(request())
    assert not caught.value.maybe_placed
    assert statuses(sandbox, "CreateRoom") == [502, 502, 502]
    assert sandbox.requests_for("CreateSIPParticipant") == []


async def test_a_4xx_is_an_answer_not_retried(telephony: LiveKitTelephony, sandbox: LiveKitSandbox) -> None:
    sandbox.inject_fault("CreateRoom", status=403)
    with pytest.raises(TelephonyUnavailable):
        await telephony.prepare(request())
    assert statuses(sandbox, "CreateRoom") == [403]


async def test_timed_out_room_creation_is_retried_and_never_dispatches_two_agents(
    telephony: LiveKitTelephony, sandbox: LiveKitSandbox
) -> None:
    # The first CreateRoom times out on our side (0.25 s) and lands in LiveKit late (0.4 s), after the retry made the
    # room: the late one finds the room there and changes nothing, so one agent is dispatched, not two.
    sandbox.inject_fault("CreateRoom", delay_s=0.4)
    await telephony.prepare(request())
    assert len(sandbox.dispatches) == 1
    await sandbox.wait_until(lambda: statuses(sandbox, "CreateRoom") == [200, 200])
    assert len(sandbox.dispatches) == 1 and list(sandbox.rooms) == ["call-c1-1"]


async def test_sip_5xx_is_never_retried_and_may_have_been_placed(
    telephony: LiveKitTelephony, sandbox: LiveKitSandbox, sleeps: Sleeps
) -> None:
    sandbox.inject_fault("CreateSIPParticipant", status=503)
    with pytest.raises(TelephonyUnavailable) as caught:
        await telephony.dial(request())
    assert caught.value.maybe_placed  # for the reconciler to settle
    assert statuses(sandbox, "CreateSIPParticipant") == [503]
    assert sleeps.delays == []


async def test_sip_time_out_is_never_retried_and_the_call_is_found_by_room_state(
    telephony: LiveKitTelephony, sandbox: LiveKitSandbox
) -> None:
    # Ringing time-out 0 s: livekit-api waits at least ring + 2 s; LiveKit places the call after 2.3 s anyway.
    sandbox.inject_fault("CreateSIPParticipant", delay_s=2.3)
    with pytest.raises(TelephonyUnavailable) as caught:
        await telephony.dial(request(ringing_timeout_s=0))
    assert caught.value.maybe_placed
    assert len(sandbox.requests_for("CreateSIPParticipant")) == 1
    await sandbox.wait_until(lambda: len(sandbox.calls) == 1)
    state = await telephony.room_state("call-c1-1", "callee-c1")
    assert state.callee_present and state.callee_call_status == "active"
    assert len(sandbox.requests_for("CreateSIPParticipant")) == 1


async def test_sip_final_responses_are_outcomes(telephony: LiveKitTelephony, sandbox: LiveKitSandbox) -> None:
    with pytest.raises(DialFailed) as caught:
        await telephony.dial(request(phone="+12125550110"))
    assert caught.value.outcome is Outcome.BUSY and caught.value.sip_status_code == 486
    with pytest.raises(DialFailed) as caught:
        await telephony.dial(request(room="call-c1-2", phone="+12125550114"))
    assert caught.value.outcome is Outcome.ERROR and caught.value.sip_status_code == 503


async def test_room_state_and_end_room_retry_transient_errors(
    telephony: LiveKitTelephony, sandbox: LiveKitSandbox
) -> None:
    await telephony.dial(request())
    sandbox.inject_fault("ListRooms", status=503)
    sandbox.inject_fault("ListParticipants", status=500)
    state = await telephony.room_state("call-c1-1", "callee-c1")
    assert state.callee_present
    sandbox.inject_fault("DeleteRoom", status=503)
    await telephony.end_room("call-c1-1")
    assert statuses(sandbox, "DeleteRoom") == [503, 200] and sandbox.rooms == {}
    await telephony.end_room("call-c1-1")  # already gone: fine


async def test_refused_connection_is_retried_then_reported_as_not_placed(sleeps: Sleeps) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    adapter = LiveKitTelephony(
        url=f"http://127.0.0.1:{port}", api_key=KEY, api_secret=SECRET, backoff=Backoff(attempts=3), sleep=sleeps
    )
    try:
        with pytest.raises(TelephonyUnavailable) as caught:
            await adapter.dial(request())
        assert not caught.value.maybe_placed
        assert len(sleeps.delays) == 2  # three tries at CreateRoom, never a SIP request
        with pytest.raises(TelephonyUnavailable) as caught:
            await adapter.place(request())
        assert not caught.value.maybe_placed  # refused: the INVITE cannot have left
    finally:
        await adapter.close()


def test_transient_classification() -> None:
    assert is_transient(ServerError("unavailable", "x", status=503))
    assert is_transient(ServerError("resource_exhausted", "x", status=429))
    assert not is_transient(ServerError("not_found", "x", status=404))
    assert not is_transient(SipCallError("unavailable", "x", status=503, metadata={"sip_status_code": "503"}))
    assert is_transient(asyncio.TimeoutError())
    assert is_transient(aiohttp.ServerDisconnectedError())
    assert not is_transient(ValueError("bug"))
    assert Backoff(base_delay_s=0.5, max_delay_s=1.5).delay(3) == 1.5

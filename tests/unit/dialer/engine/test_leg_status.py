"""The legs' last call status: noted from SIP departures only, read at once or waited for, bounded both ways."""

from __future__ import annotations

import asyncio

from livekit.protocol.models import ParticipantInfo, Room
from livekit.protocol.webhook import WebhookEvent

from dialer.engine.leg_status import LegStatuses


def _event(name: str, room: str, status: str, *, kind: ParticipantInfo.Kind.ValueType = ParticipantInfo.Kind.SIP,
           identity: str = "callee") -> WebhookEvent:
    participant = ParticipantInfo(identity=identity, kind=kind, attributes={"sip.callStatus": status})
    return WebhookEvent(event=name, room=Room(name=room), participant=participant)


async def test_a_departure_noted_before_the_read_is_there_at_once() -> None:
    legs = LegStatuses()
    assert legs.note_departure(_event("participant_left", "r1", "dialing"))
    assert await legs.last_status("r1", "callee", timeout_s=0) == "dialing"


async def test_a_read_waits_for_the_departure_that_comes_after_it() -> None:
    legs = LegStatuses()
    reading = asyncio.ensure_future(legs.last_status("r1", "callee", timeout_s=5))
    await asyncio.sleep(0)
    legs.note_departure(_event("participant_connection_aborted", "r1", "ringing"))
    assert await reading == "ringing"


async def test_only_sip_departures_count_and_a_read_gives_up_with_none() -> None:
    legs = LegStatuses()
    assert not legs.note_departure(_event("participant_joined", "r1", "dialing"))
    assert not legs.note_departure(_event("participant_left", "r1", "dialing", kind=ParticipantInfo.Kind.AGENT))
    assert not legs.note_departure(_event("participant_left", "r1", ""))
    assert legs.note_departure(_event("participant_left", "r1", "dialing", identity="someone-else"))
    assert await legs.last_status("r1", "callee", timeout_s=0.01) is None


async def test_it_remembers_only_the_latest_rooms() -> None:
    legs = LegStatuses(capacity=2)
    for room in ("r1", "r2", "r3"):
        legs.note_departure(_event("participant_left", room, "dialing"))
    assert await legs.last_status("r1", "callee", timeout_s=0) is None
    assert await legs.last_status("r3", "callee", timeout_s=0) == "dialing"


async def test_a_noted_status_is_shared_and_what_another_instance_heard_wakes_the_reader() -> None:
    here, there = LegStatuses(), LegStatuses()
    sent: list[str] = []
    here.share_through(sent.append)
    reading = asyncio.ensure_future(there.last_status("r1", "callee", timeout_s=5))
    await asyncio.sleep(0)
    assert here.note_departure(_event("participant_left", "r1", "dialing"))
    (payload,) = sent
    there.heard(payload)
    assert await reading == "dialing"


async def test_a_status_heard_is_not_shared_again_and_a_malformed_one_is_dropped() -> None:
    legs = LegStatuses()
    sent: list[str] = []
    legs.share_through(sent.append)
    legs.heard('{"room": "r1", "identity": "callee", "status": "ringing"}')
    for malformed in ("not json", "[]", '{"room": "r2"}', '{"room": "r2", "identity": "callee", "status": 3}'):
        legs.heard(malformed)
    assert sent == []
    assert await legs.last_status("r1", "callee", timeout_s=0) == "ringing"
    assert await legs.last_status("r2", "callee", timeout_s=0) is None

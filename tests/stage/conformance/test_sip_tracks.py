"""The SIP participant's own audio track in LiveKit's webhooks: ``track_published`` as it joins (before any answer)
and ``track_unpublished`` as it leaves, for an answered call and a rejected one alike. (Order is checked by the
events' times: livekit-server may deliver one room's webhooks out of order.)"""

from __future__ import annotations

import pytest
from livekit.api.twirp_client import SipCallError
from livekit.protocol.models import TrackSource, TrackType
from livekit.protocol.sip import CreateSIPParticipantRequest

from tests.stage.conformance.conftest import LiveKitUnderTest


def _dial(livekit: LiveKitUnderTest, number: str, room: str) -> CreateSIPParticipantRequest:
    return CreateSIPParticipantRequest(sip_trunk_id=livekit.trunk_id, sip_call_to=number, room_name=room,
                                       participant_identity="callee", wait_until_answered=True)


async def test_an_answered_sip_call_publishes_its_audio_track_and_unpublishes_it_at_the_hang_up(
    livekit: LiveKitUnderTest,
) -> None:
    """The 0100 callee answers after ringing and hangs up 2 s later."""
    room = livekit.room()
    async with livekit.client() as lk:
        await lk.sip.create_sip_participant(_dial(livekit, "+12125550100", room), timeout=30)
    joined = await livekit.wait_event("participant_joined", room)
    await livekit.wait_event("participant_left", room, timeout_s=15)
    published = await livekit.wait_event("track_published", room)
    unpublished = await livekit.wait_event("track_unpublished", room)
    names = livekit.names(room)  # in arrival order: livekit-server may deliver webhooks of a room out of order
    assert names.count("track_published") == names.count("track_unpublished") == 1, names
    assert joined.created_at <= published.created_at <= unpublished.created_at
    for event in (published, unpublished):
        assert (event.participant.identity, event.participant.sid) == ("callee", joined.participant.sid)
        assert event.track.sid.startswith("TR_") and event.track.sid == published.track.sid
        assert (event.track.type, event.track.source) == (TrackType.AUDIO, TrackSource.MICROPHONE)
        assert (event.track.name, event.track.mime_type) == ("callee", "audio/opus")


async def test_a_rejected_call_publishes_its_track_too_before_any_answer(livekit: LiveKitUnderTest) -> None:
    """0111 rings 1 s, then 480. (A rejection at once, like 0110's 486, may come back before livekit-sip has
    published: then real LiveKit sends neither track event.)"""
    room = livekit.room()
    async with livekit.client() as lk:
        with pytest.raises(SipCallError):
            await lk.sip.create_sip_participant(_dial(livekit, "+12125550111", room), timeout=30)
    await livekit.wait_event("participant_left", room)
    assert sorted(livekit.names(room)) == sorted(["room_started", "participant_joined", "track_published",
                                                  "track_unpublished", "participant_left"])
    published = await livekit.wait_event("track_published", room)
    assert (published.participant.identity, published.track.type) == ("callee", TrackType.AUDIO)

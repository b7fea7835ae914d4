"""The phone calling in (an interviewer dialling the briefing number): LiveKit rings it until someone in the room
publishes audio, then answers; the caller's DTMF reaches the room."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from livekit import api, rtc
from livekit.protocol.sip import (
    CreateSIPDispatchRuleRequest,
    CreateSIPInboundTrunkRequest,
    SIPDispatchRule,
    SIPDispatchRuleIndividual,
    SIPInboundTrunkInfo,
)

from tests.stage.phone import SipPhone
from tests.stage.rtp_media import Dtmf, Silence
from tests.stage.stage import Stage
from tests.stage.room_audio import publish_tone

pytestmark = pytest.mark.stage

BRIEFING = "+14155550177"
CALLER = "+12125550123"


async def test_a_call_to_the_briefing_number_rings_until_the_room_speaks_then_carries_dtmf(
    stage: Stage, phone: SipPhone,
) -> None:
    prefix = f"brief-{uuid.uuid4().hex[:6]}-"
    async with api.LiveKitAPI(stage.url, stage.api_key, stage.api_secret) as lk:
        trunk = await lk.sip.create_inbound_trunk(CreateSIPInboundTrunkRequest(
            trunk=SIPInboundTrunkInfo(name="briefing", numbers=[BRIEFING])))
        await lk.sip.create_dispatch_rule(CreateSIPDispatchRuleRequest(
            rule=SIPDispatchRule(dispatch_rule_individual=SIPDispatchRuleIndividual(room_prefix=prefix)),
            trunk_ids=[trunk.sip_trunk_id], name="briefing rule"))
        start = stage.webhooks.count()
        placed = phone.call(BRIEFING, caller=CALLER, target=stage.sip_address, hangup_after_s=3.0,
                            media=(Silence(1.0), Dtmf("1234#"), Silence(3.0)))
        await phone.await_event("RINGING", call_id=placed.call_id, timeout_s=15)
        receiver = api.WebhookReceiver(api.TokenVerifier(stage.api_key, stage.api_secret))

        def caller_joined() -> str | None:
            for delivery in stage.webhooks.since(start):
                event = receiver.receive(delivery.body.decode(), delivery.authorization)
                if event.event == "participant_joined" and event.room.name.startswith(prefix):
                    assert event.participant.attributes["sip.phoneNumber"] == CALLER
                    assert event.participant.attributes["sip.trunkPhoneNumber"] == BRIEFING
                    return str(event.room.name)
            return None

        await asyncio.to_thread(stage.webhooks.wait, lambda _d: caller_joined() is not None, 15)
        room_name = caller_joined()
        assert room_name is not None
        listed = await lk.room.list_participants(api.ListParticipantsRequest(room=room_name))
        [caller] = [p for p in listed.participants if p.attributes.get("sip.phoneNumber") == CALLER]
        assert caller.attributes["sip.callStatus"] == "ringing"  # not answered while nobody speaks

        token = (api.AccessToken(stage.api_key, stage.api_secret).with_identity("briefer")
                 .with_grants(api.VideoGrants(room_join=True, room=room_name)).to_jwt())
        room = rtc.Room()
        digits: list[str] = []
        room.on("sip_dtmf_received", lambda dtmf: digits.append(dtmf.digit))
        await room.connect(stage.ws_url, token)
        try:
            source = rtc.AudioSource(48000, 1)
            track = rtc.LocalAudioTrack.create_audio_track("voice", source)
            await room.local_participant.publish_track(
                track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))
            speaking = asyncio.ensure_future(publish_tone(source, 6.0))
            await phone.await_event("ANSWERED", call_id=placed.call_id, timeout_s=15)
            await phone.await_event("HUNG_UP", call_id=placed.call_id, timeout_s=15)
            speaking.cancel()
        finally:
            await room.disconnect()
    assert "".join(digits) == "1234#"

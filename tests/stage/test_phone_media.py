"""The phone's media on real LiveKit, both ways: a participant in the room hears the callee's WAV and gets its DTMF
digits; the phone's recording holds what that participant said."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from livekit import api, rtc
from livekit.protocol.sip import CreateSIPParticipantRequest

from tests.stage.fixtures import create_outbound_trunk, unavailable
from tests.stage.phone import SipPhone
from tests.stage.room_audio import TONE_HZ, publish_tone, rms
from tests.stage.rtp_media import SAMPLE_RATE, Dtmf, Say, Silence, write_wav_pcm
from tests.stage.sipp_scenario import CallScript
from tests.stage.stage import Stage

pytestmark = pytest.mark.stage

NUMBER = "+12125550142"


def _speech(path: Path, text: str) -> Path:
    """Real speech from espeak-ng, at the phone's 8 kHz mono 16-bit."""
    raw = path.with_suffix(".raw.wav")
    for argv in (["espeak-ng", "-w", str(raw), text],
                 ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(path)]):
        if subprocess.run(argv, capture_output=True).returncode != 0:
            unavailable(f"`{argv[0]}` could not make the callee's voice")
    return path


@pytest.fixture
def talking_phone(stage: Stage, tmp_path: Path) -> Iterator[SipPhone]:
    hello = _speech(tmp_path / "hello.wav", "Hello? Yes, this is Ada speaking.")
    script = CallScript("answer", ring_s=0, hangup_after_s=8.0,
                        media=(Silence(1.0), Say(hello), Silence(0.5), Dtmf("42#"), Silence(8.0)))
    phone = SipPhone(tmp_path / "phone", {NUMBER: script}, at=stage.namespace.outer)
    phone.start()
    stage.processes.append(phone.process)
    yield phone
    phone.stop()


def _token(stage: Stage, room: str) -> str:
    return (api.AccessToken(stage.api_key, stage.api_secret).with_identity("listener")
            .with_grants(api.VideoGrants(room_join=True, room=room)).to_jwt())


async def test_the_room_hears_the_callee_and_its_dtmf_and_the_phone_records_the_room(
    stage: Stage, talking_phone: SipPhone, tmp_path: Path,
) -> None:
    room_name = f"media-{uuid.uuid4().hex[:8]}"
    trunk_id = await create_outbound_trunk(stage, talking_phone.address, "talking phone")
    room = rtc.Room()
    digits: list[str] = []
    heard: list[int] = []
    room.on("sip_dtmf_received", lambda dtmf: digits.append(dtmf.digit))

    async def listen(track: rtc.Track) -> None:
        async for event in rtc.AudioStream(track, sample_rate=SAMPLE_RATE, num_channels=1):
            heard.extend(event.frame.data)

    listeners: list[asyncio.Task[None]] = []
    room.on("track_subscribed", lambda track, *_: listeners.append(asyncio.ensure_future(listen(track))))
    await room.connect(stage.ws_url, _token(stage, room_name))
    source = rtc.AudioSource(48000, 1)
    track = rtc.LocalAudioTrack.create_audio_track("tone", source)
    await room.local_participant.publish_track(track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))
    try:
        async with api.LiveKitAPI(stage.url, stage.api_key, stage.api_secret) as lk:
            await lk.sip.create_sip_participant(CreateSIPParticipantRequest(
                sip_trunk_id=trunk_id, sip_call_to=NUMBER, room_name=room_name, participant_identity="callee",
                wait_until_answered=True,
            ), timeout=30)
            listed = await lk.room.list_participants(api.ListParticipantsRequest(room=room_name))
        sip_call_id = next(p.attributes["sip.callIDFull"] for p in listed.participants if p.identity == "callee")
        await publish_tone(source, 6.0)  # real time: the frames are paced by the source
        await talking_phone.await_event("HUNG_UP", call_id=sip_call_id, timeout_s=15)
    finally:
        await room.disconnect()
        for task in listeners:
            task.cancel()

    assert "".join(digits) == "42#"
    assert rms(heard) > 300, "the room heard no speech from the callee"
    recorded = talking_phone.recording(sip_call_id)
    write_wav_pcm(tmp_path / "heard-by-phone.wav", recorded.pcm())
    tone = recorded.pcm()
    windows = [tone[i:i + 160] for i in range(0, len(tone) - 160, 160)]  # 20 ms each
    loud = [w for w in windows if rms(w) > 1000]
    assert len(loud) > 100, f"the phone recorded no tone ({len(loud)} loud 20 ms windows)"
    crossings = sum(1 for w in loud for a, b in zip(w, w[1:]) if a < 0 <= b)  # upward zero crossings
    assert abs(crossings / (len(loud) * 0.02) - TONE_HZ) < 40, crossings / (len(loud) * 0.02)

"""Scenario 2: a voicemail greeting and its tone; the message is left after the tone; the attempt is `voicemail`
and a retry is scheduled. The classifier (the session's own model, scripted) classes the greeting `machine-vm`."""

from __future__ import annotations

import pytest

from tests.stage.rtp_media import Silence
from tests.stage.voice.conftest import VoiceStage
from tests.stage.voice.scenario import place_call
from tests.stage.voice.speech import wav_seconds

pytestmark = pytest.mark.stage

GREETING = "Hi, you've reached Ada Lovelace. I can't take your call right now. Please leave a message after the tone."


def test_the_message_is_left_after_the_tone_and_a_retry_is_scheduled(voice_stage: VoiceStage) -> None:
    voice = voice_stage.voice
    greeting, tone = voice.say(GREETING), voice.beep()
    placed = place_call(voice_stage, "52", (Silence(0.3), greeting, Silence(0.3), tone, Silence(60.0)),
                        ring_s=4.0, transcripts=[GREETING],
                        amd=lambda heard: "machine-vm" if "leave a message" in heard.lower() else "uncertain")

    answered = placed.answered()
    placed.ended("BYE_RECEIVED", timeout_s=60)
    heard = placed.heard()
    final = placed.final(lambda c: c["state"] == "scheduled" and c["attempts"], what="retry scheduled")

    spoken = voice_stage.models.spoken
    assert placed.greetings() == [], spoken  # a machine never hears the live greeting
    said = placed.said()
    assert said.startswith("Hello, this is an automated assistant calling for Ada"), spoken
    assert "Acme Corp" in said and "four one five, five five five" in said, spoken
    tone_ends = answered.at + 0.3 + 0.3 + wav_seconds(greeting) + 0.5
    message = heard.segments_after(answered.at)
    assert message and message[0].start > tone_ends, (message, tone_ends)  # after the tone, never over the greeting
    assert message[-1].end - message[0].start > 4.0, message  # the whole message, not a clipped start
    assert voice_stage.models.amd_transcripts, "the classifier never heard the greeting"
    assert final["attempts"][-1]["outcome"] == "voicemail", final
    assert final["next_attempt_at"] is not None and final["last_outcome"] == "voicemail", final


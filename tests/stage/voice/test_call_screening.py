"""Scenario 3 (issue 12 item 5): a call-screening prompt ("please say your name and why you are calling") is
answered, and the agent stays on the line. The classifier is scripted to say `machine-ivr`, as livekit-agents' own
prompt tells a model to: the agent must not hang up on it (it did, on every retry, so screeners were never reached)."""

from __future__ import annotations

import pytest

from dialer_testing.fake_openai import ToolCallReply
from tests.stage.rtp_media import Silence
from tests.stage.voice.conftest import VoiceStage
from tests.stage.voice.scenario import place_call

pytestmark = pytest.mark.stage

SCREENING = "Hi. Please state your name and why you're calling, and I'll see if this person is available."
PICKS_UP = "Hi, this is Ada Lovelace speaking."
IDENTIFIED = "Thanks, Ada. I have one quick question about your application. Is now a good time?"


def test_call_screening_is_answered_and_the_agent_stays_on_the_line(voice_stage: VoiceStage) -> None:
    say = voice_stage.voice.say
    media = (Silence(0.3), say(SCREENING), Silence(16.0), say(PICKS_UP), Silence(40.0))
    placed = place_call(voice_stage, "53", media, ring_s=3.0, hangup_after_s=36.0,
                        transcripts=[SCREENING, PICKS_UP],
                        turns={PICKS_UP: [ToolCallReply("confirm_identity", {}), IDENTIFIED]},
                        amd=lambda heard: "machine-ivr")

    answered = placed.answered()
    placed.ended("HUNG_UP", timeout_s=60)  # the phone hangs up at the end: the agent never did
    heard = placed.heard()
    final = placed.final(lambda c: c["state"] != "in_call" and c["attempts"][-1]["outcome"], what="call ended")

    spoken = voice_stage.models.spoken
    assert voice_stage.models.amd_transcripts, "the classifier never heard the screening prompt"
    assert len(placed.greetings()) == 1, spoken  # the greeting says who calls and for whom
    screening_ends = answered.at + 0.3 + 5.0
    assert heard.first_sound is not None and heard.first_sound > answered.at + 1.0, heard.segments
    assert IDENTIFIED in placed.said(), spoken  # still there when the candidate picked up, and talking to them
    assert final["attempts"][-1]["outcome"] != "voicemail", final
    assert [s for s in heard.segments if s.start > screening_ends], heard.segments

"""Scenario 4 (issue 12 item 6): the callee answers and says nothing. No dead air longer than a few seconds before
the greeting (the detector's default is 10 s), then "Are you still there?" on silence, and after the limit a polite
goodbye and the agent's hang-up."""

from __future__ import annotations

import pytest

from agent.prompts import silence_goodbye
from tests.stage.rtp_media import Silence
from tests.stage.voice.conftest import VoiceStage
from tests.stage.voice.scenario import place_call

pytestmark = pytest.mark.stage


def test_a_silent_answerer_is_greeted_within_seconds_prompted_and_let_go(voice_stage: VoiceStage) -> None:
    placed = place_call(voice_stage, "54", (Silence(120.0),), ring_s=3.0, hangup_after_s=110.0)

    answered = placed.answered()
    bye = placed.ended("BYE_RECEIVED", timeout_s=100)
    heard = placed.heard()
    final = placed.final(lambda c: c["state"] != "in_call" and c["attempts"][-1]["outcome"], what="call ended")

    spoken = voice_stage.models.spoken
    assert len(placed.greetings()) == 1, spoken
    assert heard.first_sound is not None, "the phone heard nothing"
    dead_air = heard.first_sound - answered.at
    assert 0 < dead_air < 6.0, f"{dead_air:.1f} s of dead air after the answer"
    assert spoken.count("Are you still there?") >= 1, spoken
    assert placed.said().endswith(silence_goodbye()), spoken
    agent_speech = heard.segments_after(answered.at)
    assert len(agent_speech) >= 3, agent_speech  # greeting, prompt(s), goodbye
    assert heard.longest_silence(answered.at, bye.at) < 25.0, agent_speech  # the line never just goes quiet
    assert bye.at - agent_speech[-1].end < 15.0, "the goodbye was not followed by the hang-up"
    assert final["attempts"][-1]["outcome"], final

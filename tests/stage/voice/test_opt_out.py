"""Scenario 5: "don't call me again" in the middle of the call: on the do-not-call list at once, a goodbye, the
agent's hang-up, and the number is never dialled again (a new call for the candidate is refused by the rules)."""

from __future__ import annotations

import pytest

from agent.prompts import opt_out_goodbye
from dialer_testing.fake_openai import ToolCallReply
from tests.stage.rtp_media import Silence
from tests.stage.voice.conftest import VoiceStage
from tests.stage.voice.scenario import place_call
from tests.stage.voice.services import wait_until

pytestmark = pytest.mark.stage

LINES = ["Hello?", "Yes, this is Ada.", "Actually, please don't call me again."]
TURNS = {
    LINES[1]: [ToolCallReply("confirm_identity", {}), "Thanks, Ada. What was your quota attainment last year?"],
    LINES[2]: [ToolCallReply("do_not_call", {"reason": "asked not to be called"})],
}


def test_an_opt_out_is_recorded_at_once_said_goodbye_to_hung_up_and_never_dialled_again(
    voice_stage: VoiceStage,
) -> None:
    say = voice_stage.voice.say
    media = (Silence(0.4), say(LINES[0]), Silence(14.0), say(LINES[1]), Silence(8.0), say(LINES[2]), Silence(40.0))
    placed = place_call(voice_stage, "55", media, ring_s=3.0, transcripts=LINES, turns=TURNS)

    answered = placed.answered()
    bye = placed.ended("BYE_RECEIVED", timeout_s=90)
    heard = placed.heard()
    final = placed.final(lambda c: c["state"] != "in_call", what="call ended")

    spoken = voice_stage.models.spoken
    assert placed.said().endswith(opt_out_goodbye()), spoken
    assert bye.at > heard.segments[-1].start and bye.at - heard.segments[-1].end < 15.0, (bye.at, heard.segments)
    assert final["state"] != "scheduled" and final["next_attempt_at"] is None, final  # never retried
    again = voice_stage.dialer.http.post("/api/calls", json={"candidate_id": placed.candidate["id"]})
    if again.status_code == 201:  # accepted as a request, then refused by the calling rules
        wait_until(lambda: {d["code"] for d in voice_stage.get_call(again.json()["id"])["decisions"]}
                   & {"do_not_call", "no_consent"}, 30, "the new call refused as do-not-call")
    else:
        assert 400 <= again.status_code < 500, again.text
    assert len(placed.phone.invites_to(placed.number)) == 1, "the number was dialled again"
    assert answered.at < bye.at

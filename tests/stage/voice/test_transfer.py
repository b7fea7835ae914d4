"""Scenario 6: "I'd like to talk to a person": the phone receives the REFER to DIALER_TRANSFER_NUMBER, and the call
is `transferred` (completed, never rung again by the bot), whether LiveKit's webhook that the transferred leg left or
the agent's report reaches the dialer first. When the phone rejects the REFER (603), the candidate stays on the line
and hears an apology, the failure is on the call's decision trail (`transfer_failed`, with the phone's SIP status),
and the call is what its conversation earned."""

from __future__ import annotations

import pytest

from dialer_testing.fake_openai import ToolCallReply
from tests.stage.rtp_media import Silence
from tests.stage.voice.conftest import TRANSFER_NUMBER, VoiceStage
from tests.stage.voice.scenario import PlacedCall, place_call

pytestmark = pytest.mark.stage

LINES = ["Hello?", "Yes, this is Ada.", "Can I talk to a real person, please?"]
TRANSFERRING = "Of course, I'm transferring you to a person now."
SORRY = "I'm sorry, the transfer didn't go through. Can I have someone call you back instead?"
TURNS = {
    LINES[1]: [ToolCallReply("confirm_identity", {}), "Thanks, Ada. What was your quota attainment last year?"],
    LINES[2]: [ToolCallReply("transfer_to_human", {}, text=TRANSFERRING), SORRY],
}


def _transfer_call(voice_stage: VoiceStage, last_two: str, refer: str) -> PlacedCall:
    say = voice_stage.voice.say
    media = (Silence(0.4), say(LINES[0]), Silence(14.0), say(LINES[1]), Silence(8.0), say(LINES[2]), Silence(40.0))
    return place_call(voice_stage, last_two, media, ring_s=3.0, hangup_after_s=50.0, refer=refer,
                      transcripts=LINES, turns=TURNS)


def test_a_transfer_refers_the_phone_to_the_transfer_number(voice_stage: VoiceStage) -> None:
    placed = _transfer_call(voice_stage, "56", "accept")
    answered = placed.answered()
    refer = placed.phone.wait_event("REFER", call_id=answered.call_id, timeout_s=60)
    placed.ended("HUNG_UP", timeout_s=30)  # a transferred phone leaves the call
    final = placed.final(lambda c: c["state"] != "in_call", what="call ended")

    assert TRANSFER_NUMBER.lstrip("+") in refer.fields["target"], refer.fields
    assert TRANSFERRING in placed.said()
    assert SORRY not in placed.said()
    # Nothing was asked before the transfer, yet a person has the candidate now: transferred, not nothing_collected
    # (which would ring them again in 2 h), and the call is done.
    assert final["attempts"][-1]["outcome"] == "transferred", final
    assert final["state"] == "completed" and final["next_attempt_at"] is None, final
    codes = [d["code"] for d in final["decisions"]]
    assert "transfer_started" in codes and "transfer_failed" not in codes, codes


def test_a_rejected_refer_keeps_the_candidate_on_the_line_with_an_apology(voice_stage: VoiceStage) -> None:
    placed = _transfer_call(voice_stage, "57", "reject")
    answered = placed.answered()
    rejected = placed.phone.wait_event("REFER_REJECTED", call_id=answered.call_id, timeout_s=60)
    placed.ended("BYE_RECEIVED", timeout_s=90)  # the call went on, until the agent let the quiet callee go
    heard = placed.heard()
    final = placed.final(lambda c: c["state"] != "in_call", what="call ended")

    assert SORRY in placed.said(), voice_stage.models.spoken
    assert [s for s in heard.segments if s.start > rejected.at], "nothing was said after the refused transfer"
    tool_errors = [r for r in voice_stage.models.chat_requests
                   if any(m.get("role") == "tool" and "did not go through" in str(m.get("content"))
                          for m in r.get("messages", []))]
    assert tool_errors, "the model was never told the transfer failed"
    failures = [d for d in final["decisions"] if d["code"] == "transfer_failed"]
    assert failures and "SIP 603" in failures[0]["reason"], final["decisions"]  # on the call's record
    assert final["attempts"][-1]["outcome"] == "nothing_collected", final  # the quiet callee gave no field
    assert final["state"] == "scheduled" and final["next_attempt_at"] is not None, final  # retried, not transferred

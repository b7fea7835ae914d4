"""Scenario 1: a gap-filling call, the worker as in production, measured at the phone: the phone rings, answers and
says hello; the agent greets once, never before the answer; asks; the phone answers; the agent reads back; the phone
confirms; both fields are saved; the agent ends the call; the call is completed and the signed report arrives."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from dialer_testing.fake_openai import ToolCallReply
from tests.stage.rtp_media import Silence
from tests.stage.voice.conftest import WEBHOOK_SECRET, VoiceStage
from tests.stage.voice.scenario import place_call

pytestmark = pytest.mark.stage

FIELDS = ["quota_attainment", "notice_period_weeks"]
LINES = ["Hello?", "Yes, speaking.", "It was a hundred and twelve percent.", "Yes, that's right.", "Four weeks.",
         "Correct."]
TURNS = {
    LINES[1]: [ToolCallReply("confirm_identity", {}), "Thanks, Ada. What was your quota attainment last year?"],
    LINES[2]: [ToolCallReply("record_field", {"name": "quota_attainment", "value": "a hundred and twelve percent",
                                              "confirmed": False}),
               "That's a hundred and twelve percent, right?"],
    LINES[3]: [ToolCallReply("record_field", {"name": "quota_attainment", "value": "112%", "confirmed": True}),
               "Thanks. How many weeks of notice do you need to give?"],
    LINES[4]: [ToolCallReply("record_field", {"name": "notice_period_weeks", "value": "four weeks",
                                              "confirmed": False}),
               "Four weeks, correct?"],
    LINES[5]: [ToolCallReply("record_field", {"name": "notice_period_weeks", "value": "4", "confirmed": True}),
               ToolCallReply("end_call", {"reason": "all fields collected"},
                             text="That's everything, thank you Ada. Goodbye!")],
}


def test_gap_filling_greets_once_after_the_answer_asks_reads_back_saves_and_ends(voice_stage: VoiceStage) -> None:
    say = voice_stage.voice.say
    media = (Silence(0.4), say(LINES[0]), Silence(14.0), say(LINES[1]), Silence(8.0), say(LINES[2]),
             Silence(8.0), say(LINES[3]), Silence(8.0), say(LINES[4]), Silence(7.0), say(LINES[5]), Silence(30.0))
    placed = place_call(voice_stage, "51", media, ring_s=6.0, transcripts=LINES, turns=TURNS, required=FIELDS)

    answered = placed.answered()
    ended = placed.ended("BYE_RECEIVED", timeout_s=120)  # the agent hangs up, not the phone
    heard = placed.heard()
    final = placed.final(lambda c: c["state"] == "completed", what="completed")
    report = voice_stage.hooks.wait_for("call.report", lambda b: b["data"].get("call_id") == placed.call["id"])

    spoken = voice_stage.models.spoken
    assert len(placed.greetings()) == 1, spoken
    assert heard.first_sound is not None and heard.first_sound > answered.at, "the agent spoke before the answer"
    assert heard.first_sound - answered.at < 6.0, f"first audio {heard.first_sound - answered.at:.1f} s after answer"
    said = placed.said()
    assert "That's a hundred and twelve percent, right?" in said and "Four weeks, correct?" in said, spoken
    assert said.endswith("thank you Ada. Goodbye!"), spoken
    assert len(heard.segments_after(answered.at)) >= 6, heard.segments  # greeting, 2 questions, 2 read-backs, bye
    assert ended.at > heard.segments[-1].start, "hung up before the goodbye was heard"
    assert final["attempts"][-1]["outcome"] == "answered", final
    candidate = voice_stage.dialer.api("GET", f"/api/candidates/{placed.candidate['id']}")
    assert candidate["missing_fields"] == [], candidate
    assert candidate["fields"]["quota_attainment"] == "112%", candidate
    assert str(candidate["fields"]["notice_period_weeks"]) == "4", candidate
    signature = hmac.new(WEBHOOK_SECRET.encode(), report.raw, hashlib.sha256).hexdigest()
    assert report.headers["x-dialer-signature"] == f"sha256={signature}"
    data = report.body["data"]
    assert {f["name"]: f["value"] for f in data["fields_collected"]} == {"quota_attainment": "112%",
                                                                          "notice_period_weeks": "4"}, data
    assert data["outcome"] == "answered" and data["missing_fields"] == [], data
    assert any(t["role"] in ("callee", "user") and "hundred and twelve" in t["text"] for t in data["transcript"]), data

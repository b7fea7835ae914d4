"""Scenario 7 of the voice path (issue 11), on real LiveKit: with the agent worker stopped, livekit-server drops the
job it dispatches at room creation; the dialer sees no agent join, so the phone never rings, the attempt is not
spent, and the reason shows in the call's decisions, /health and /metrics (issue 12, item 11)."""

from __future__ import annotations

import re
import time

import pytest

from tests.stage.rtp_media import Silence
from tests.stage.sipp_scenario import CallScript
from tests.stage.voice.conftest import VoiceStage

pytestmark = pytest.mark.stage


def _metric(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    assert match, f"{sample} not in /metrics"
    return float(match.group(1))


def test_with_the_worker_stopped_the_phone_never_rings(voice_stage: VoiceStage) -> None:
    vs = voice_stage
    number = vs.callee.number("58")  # a number no other voice scenario uses (its candidate is fresh)
    vs.models.script()
    phone = vs.callee.use({number: CallScript("answer", ring_s=1.0, media=(Silence(5.0),), hangup_after_s=3.0)})
    before = _metric(vs.dialer.http.get("/metrics").text, "dialer_dials_without_agent_total")
    vs.worker.stop()
    assert not vs.worker.running
    candidate = vs.candidate(number, required=["start_date"])
    try:
        call = vs.call_now(candidate["id"])
        given_back = vs.wait_call(call["id"], lambda c: any(d["code"] == "no_agent" for d in c["decisions"]),
                                  timeout_s=60, what="the call given back for want of an agent")
        time.sleep(2.0)  # had anything been sent to the carrier, its INVITE would be at the phone by now
        assert phone.invites_to(number) == [], "the phone rang with no agent to talk to"
        assert given_back["state"] == "scheduled"
        assert [a["outcome"] for a in given_back["attempts"]] == ["no_agent"]
        # DIALER_MAX_ATTEMPTS is unset (3): all three are still to come
        assert given_back["max_attempts"] - given_back["attempts_made"] == 3
        reason = next(d["reason"] for d in given_back["decisions"] if d["code"] == "no_agent")
        assert "no agent took the job" in reason and "not rung" in reason

        health = vs.dialer.http.get("/health").json()
        assert health["status"] == "degraded" and health["agents"]["status"] == "unavailable", health
        metrics = vs.dialer.http.get("/metrics").text
        assert _metric(metrics, "dialer_dials_without_agent_total") >= before + 1
        assert _metric(metrics, "dialer_agents_available") == 0
    finally:
        # Never ring this number later (the call would be retried once a worker is back): do-not-call closes it.
        vs.dialer.http.post("/api/dnc", json={"phone": number, "reason": "test over"})

"""Scenarios 10 to 12 (issue 12, items 15 and 17): the recruiter's side ends a call on real LiveKit.

A number added to do-not-call while the agent is talking to it is hung up at once (the dialer deletes the room, so
livekit-sip sends the phone a BYE), the call is never retried, and the response names the call it ended. A batch
cancelled with ``hang_up`` does the same to its live call; the attempt's end reaches the dialer afterwards (the
callee's departure webhook), and the call is counted ``cancelled``, never ``scheduled`` for a retry that would never
be dialled. A batch cancelled without ``hang_up`` while its call rings lets the phone answer as it will (here, a
603 decline): the attempt is recorded as declined and the call counted ``cancelled`` at once, not ``scheduled`` for
its 24 h declined retry.
"""

from __future__ import annotations

import time

import pytest

from tests.stage.rtp_media import Silence
from tests.stage.sipp_scenario import CallScript
from tests.stage.voice.conftest import VoiceStage
from tests.stage.voice.scenario import PlacedCall, place_call

pytestmark = pytest.mark.stage

LINES = ["Hello?"]
HUNG_UP_WITHIN_S = 10.0  # room deletion to the phone's BYE: LiveKit's round trips, not a timer of ours


def _talking(vs: VoiceStage, last_two: str, *, as_batch: bool = False) -> PlacedCall:
    """A call answered and under way: the callee said hello and the agent answered; the phone would stay on for
    a minute more."""
    media = (Silence(0.4), vs.voice.say(LINES[0]), Silence(60.0))
    placed = place_call(vs, last_two, media, ring_s=1.0, hangup_after_s=None, transcripts=LINES, as_batch=as_batch)
    placed.answered()
    placed.final(lambda c: c["state"] == "in_call", timeout_s=60, what="call in progress")
    return placed


def test_do_not_call_hangs_up_the_live_call_at_once(voice_stage: VoiceStage) -> None:
    placed = _talking(voice_stage, "64")
    asked = time.time()
    response = voice_stage.dialer.http.post("/api/dnc", json={"phone": placed.number, "reason": "asked by email"})
    assert response.status_code == 201, response.text
    assert response.json()["ended_calls"] == [placed.call["id"]]

    bye = placed.ended("BYE_RECEIVED", timeout_s=HUNG_UP_WITHIN_S + 5)
    assert bye.at - asked < HUNG_UP_WITHIN_S, (bye.at, asked)
    final = placed.final(lambda c: c["state"] != "in_call", what="call ended")
    assert final["state"] == "failed" and final["next_attempt_at"] is None, final
    assert any(d["code"] == "do_not_call" and "live call is ended" in d["reason"] for d in final["decisions"])
    assert final["attempts"][0]["ended_at"] is not None
    assert len(placed.phone.invites_to(placed.number)) == 1


def test_a_batch_cancelled_with_hang_up_ends_its_live_call_and_counts_it_cancelled(voice_stage: VoiceStage) -> None:
    placed = _talking(voice_stage, "65", as_batch=True)
    asked = time.time()
    cancelled = voice_stage.dialer.api("POST", f"/api/batches/{placed.batch_id}/cancel", json={"hang_up": True})
    assert cancelled["status"] == "cancelled" and cancelled["ended_calls"] == [placed.call["id"]]

    bye = placed.ended("BYE_RECEIVED", timeout_s=HUNG_UP_WITHIN_S + 5)
    assert bye.at - asked < HUNG_UP_WITHIN_S, (bye.at, asked)
    final = placed.final(lambda c: c["attempts"][0]["ended_at"] is not None, what="the attempt ended")
    assert final["state"] == "cancelled" and final["next_attempt_at"] is None, final
    assert any(d["code"] == "batch_cancelled" and "hang-up" in d["reason"] for d in final["decisions"])
    counts = voice_stage.dialer.api("GET", f"/api/batches/{placed.batch_id}")["counts"]
    assert counts["cancelled"] == 1 and counts["scheduled"] == 0 and counts["in_call"] == 0, counts


def test_a_batch_cancelled_while_its_call_rings_counts_the_declined_call_cancelled(voice_stage: VoiceStage) -> None:
    vs = voice_stage
    number = vs.callee.number("66")
    phone = vs.callee.use({number: CallScript("reject", ring_s=8.0, code=603, reason="Decline")})
    candidate = vs.candidate(number, required=["quota_attainment"])
    batch = vs.dialer.api("POST", "/api/batches", json={"candidate_ids": [candidate["id"]]})
    phone.wait_event("RINGING", callee=number, timeout_s=60)

    cancelled = vs.dialer.api("POST", f"/api/batches/{batch['id']}/cancel")
    assert cancelled["status"] == "cancelled" and cancelled["ended_calls"] == []  # ringing goes on: the phone decides
    phone.wait_event("REJECTED", callee=number, timeout_s=30)
    (call,) = vs.dialer.api("GET", "/api/calls", params={"batch_id": batch["id"]})["items"]
    final = vs.wait_call(call["id"], lambda c: bool(c["attempts"]) and c["attempts"][0]["ended_at"] is not None,
                         what="the declined attempt recorded")
    assert final["attempts"][0]["outcome"] == "declined", final
    assert final["state"] == "cancelled" and final["next_attempt_at"] is None, final
    counts = vs.dialer.api("GET", f"/api/batches/{batch['id']}")["counts"]
    assert counts["cancelled"] == 1 and counts["scheduled"] == 0, counts

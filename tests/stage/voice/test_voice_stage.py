"""The voice stage itself: ``dialer serve`` places a call on real LiveKit, the worker process takes the job, and
the phone hears the agent speak after it answered (never before); when the callee hangs up, the job ends and the
dialer leaves the call's ``in_call`` state."""

from __future__ import annotations

import pytest

from tests.stage.rtp_media import Silence
from tests.stage.sipp_scenario import CallScript
from tests.stage.voice.conftest import VoiceStage
from tests.stage.voice.heard import analyse

pytestmark = pytest.mark.stage


def test_the_worker_takes_the_dialers_call_and_the_phone_hears_it_after_the_answer(voice_stage: VoiceStage) -> None:
    vs = voice_stage
    number = vs.callee.number("50")
    vs.models.script()
    phone = vs.callee.use({number: CallScript("answer", ring_s=1.0, media=(Silence(40.0),), hangup_after_s=25.0)})
    call = vs.call_now(vs.candidate(number, required=["start_date"])["id"])

    answered = phone.wait_event("ANSWERED", callee=number, timeout_s=60)
    phone.wait_event("HUNG_UP", call_id=answered.call_id, timeout_s=40)
    heard = analyse(phone.recording(answered.call_id))
    final = vs.wait_call(call["id"], lambda c: c["state"] != "in_call", timeout_s=30, what="call left in_call")

    assert heard.first_sound is not None, "the phone heard nothing from the agent"
    assert heard.first_sound > answered.at, "the agent spoke before the phone answered"
    assert [t for t in vs.models.spoken if t.startswith("Hello, this is an automated assistant")], vs.models.spoken
    assert final["state"] != "dialing", final
    assert vs.worker.running

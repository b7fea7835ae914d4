"""Scenario 8 (issue 11): an interviewer calls the briefing number on real LiveKit.

The stage's livekit-sip gets the inbound trunk and dispatch rule from the product's own ``dialer provision``
(``DIALER_BRIEFING_NUMBER``); the production worker takes the caller's room. The phone types the PIN as DTMF and
hears the briefing (its recording: the agent's speech after the answer, then seconds of briefing after the PIN);
three wrong PINs get a goodbye, and the agent hangs up.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from tests.stage.rtp_media import Dtmf, Silence
from tests.stage.stage import Stage
from tests.stage.voice.conftest import VoiceStage
from tests.stage.voice.heard import analyse
from tests.stage.voice.services import ROOT, DialerService

pytestmark = pytest.mark.stage

BRIEFING_NUMBER = "+14155550188"  # apart from the number tests/stage/test_phone_calls_in.py gives its own trunk
PIN = "2468"
BRIEFING_TEXT = ("Here is your briefing for Ada Lovelace, interviewing for Account Executive at three this "
                 "afternoon. She has seven years of enterprise sales and reached one hundred and twelve percent "
                 "of quota last year. Her notice period is two weeks.")


@pytest.fixture(scope="module")
def briefing_line(stage: Stage, dialer_service: DialerService) -> Iterator[str]:
    """``dialer provision`` with the briefing number: the inbound trunk and the rule dispatching the agent."""
    env = {**dialer_service.env, "DIALER_BRIEFING_NUMBER": BRIEFING_NUMBER}
    env.pop("DIALER_SIP_OUTBOUND_TRUNK_ID", None)
    done = subprocess.run([sys.executable, "-m", "dialer", "provision"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"dialer provision failed:\n{done.stdout}\n{done.stderr}"
    yield BRIEFING_NUMBER


def _interviewer(vs: VoiceStage, phone: str) -> None:
    """An interviewer calling from ``phone`` (caller ID alone is not trusted here: the PIN is asked) with an
    interview of Ada's this afternoon."""
    candidate = vs.candidate(f"+1415555{phone[-4:]}", fields={"quota_attainment": 112})
    interviewer = vs.dialer.api("POST", "/api/interviewers", json={"name": "Alan Turing", "phone": phone, "pin": PIN})
    vs.dialer.api("POST", "/api/interviews", json={
        "candidate_id": candidate["id"], "interviewer_id": interviewer["id"], "role": "Account Executive",
        "scheduled_at": (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat(),
        "resume_summary": "Seven years of enterprise sales.", "notes": "Two weeks' notice.",
    })


def test_the_pin_typed_on_the_keypad_gets_the_briefing(voice_stage: VoiceStage, briefing_line: str) -> None:
    vs = voice_stage
    caller = "+12125550161"
    _interviewer(vs, caller)
    vs.models.script([BRIEFING_TEXT])
    phone = vs.callee.use({})
    placed = phone.call(briefing_line, caller=caller, target=vs.stage.sip_address, hangup_after_s=45.0,
                        media=(Silence(4.0), Dtmf(f"{PIN}#"), Silence(50.0)))
    answered = phone.wait_event("ANSWERED", call_id=placed.call_id, timeout_s=60)
    phone.wait_event("HUNG_UP", call_id=placed.call_id, timeout_s=60)
    heard = analyse(phone.recording(placed.call_id))
    pin_sent = answered.at + 4.0

    assert heard.first_sound is not None and heard.first_sound > answered.at, heard
    assert vs.models.spoken[:1] and vs.models.spoken[0].startswith("Welcome to the interview briefing line")
    assert BRIEFING_TEXT in " ".join(vs.models.spoken), vs.models.spoken  # text-to-speech gets it sentence by sentence
    briefing_speech = sum(s.seconds for s in heard.segments_after(pin_sent + 1.0))
    assert briefing_speech > 5.0, (briefing_speech, heard.segments)  # espeak-ng reads the briefing for ~12 s
    assert not vs.worker.tracebacks()


def test_three_wrong_pins_get_a_goodbye_and_the_agent_hangs_up(voice_stage: VoiceStage, briefing_line: str) -> None:
    vs = voice_stage
    caller = "+12125550162"
    _interviewer(vs, caller)
    vs.models.script([])  # no model turn is expected: the keypad path speaks fixed lines
    phone = vs.callee.use({})
    tries = (Silence(4.0), Dtmf("1111#"), Silence(10.0), Dtmf("2222#"), Silence(10.0), Dtmf("3333#"), Silence(90.0))
    placed = phone.call(briefing_line, caller=caller, target=vs.stage.sip_address, hangup_after_s=110.0,
                        media=tries)
    answered = phone.wait_event("ANSWERED", call_id=placed.call_id, timeout_s=60)
    phone.wait_event("END", call_id=placed.call_id, timeout_s=130)
    spoken = " ".join(vs.models.spoken)  # text-to-speech gets each line sentence by sentence
    assert spoken.startswith("Welcome to the interview briefing line"), spoken
    assert spoken.count("That PIN was not recognised") == 3, spoken
    assert spoken.endswith("Please contact your recruiter. Goodbye."), spoken
    bye = phone.wait_event("BYE_RECEIVED", call_id=placed.call_id, timeout_s=0)  # the agent hung up, not the phone
    heard = analyse(phone.recording(placed.call_id))
    assert answered.at + 24.0 < bye.at < answered.at + 100.0  # after the three tries and the goodbye, not the phone
    assert heard.segments and heard.segments[-1].end <= bye.at + 1.0
    assert not [h for h in vs.models.chat_requests if h], vs.models.chat_requests  # no model was asked
    assert not vs.worker.tracebacks()

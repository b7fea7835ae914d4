"""Scenario 9 (issue 11): the interviewer's browser on real LiveKit.

Headless Chromium with a fake microphone (a WAV file) opens ``/web/briefing`` of the stage's ``dialer serve``, joins
the interview's room with livekit-client (the agent dispatched by the room's configuration), receives the agent's
audio (its level measured in the page with Web Audio on the track the page attached), and shows the live transcript;
End leaves, and the dialer records the session as ended.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.browser.browser import Browser, chromium_driver
from tests.stage.fixtures import unavailable
from tests.stage.voice.conftest import API_KEY, VoiceStage
from tests.stage.voice.services import wait_until

pytestmark = pytest.mark.stage

BRIEFING_TEXT = ("Here is your briefing for Grace Hopper, interviewing for Account Executive this afternoon. She "
                 "has nine years of enterprise sales and a notice period of one month.")

# Samples the agent's audio as the page plays it: the RMS of each 50 ms of the attached tracks' streams.
MEASURE_LEVEL = """
window.agentLevels = [];
const context = new AudioContext();
const seen = new Set();
setInterval(() => {
  for (const audio of document.querySelectorAll("#audio audio")) {
    if (seen.has(audio) || !audio.srcObject) continue;
    seen.add(audio);
    const analyser = context.createAnalyser();
    analyser.fftSize = 2048;
    context.createMediaStreamSource(audio.srcObject).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      window.agentLevels.push(Math.sqrt(sum / samples.length));
    }, 50);
  }
}, 100);
"""


def _microphone(folder: Path) -> Path:
    """The interviewer's microphone: 30 s of near silence (the briefing is the agent's to give)."""
    wav = folder / "microphone.wav"
    done = subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", "-b", "16", str(wav), "synth", "30", "sine", "300",
                           "vol", "0.001"], capture_output=True)
    if done.returncode != 0:
        unavailable("`sox` could not make the fake microphone's WAV")
    return wav


@pytest.fixture(scope="module")
def stage_chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    microphone = _microphone(tmp_path_factory.mktemp("microphone"))
    flags = (f"--use-file-for-fake-audio-capture={microphone}", "--autoplay-policy=no-user-gesture-required")
    with chromium_driver(flags) as driver:
        yield driver


async def test_the_browser_joins_the_briefing_hears_the_agent_and_end_ends_the_session(
    voice_stage: VoiceStage, stage_chromium: Any,
) -> None:
    vs = voice_stage
    candidate = vs.candidate("+12125550163", fields={"notice_period": "one month"}, name="Grace Hopper")
    interviewer = vs.dialer.api("POST", "/api/interviewers", json={"name": "Alan Turing"})
    interview = vs.dialer.api("POST", "/api/interviews", json={
        "candidate_id": candidate["id"], "interviewer_id": interviewer["id"], "role": "Account Executive",
        "scheduled_at": (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat(),
        "resume_summary": "Nine years of enterprise sales.",
    })
    vs.models.script([BRIEFING_TEXT])
    browser = Browser(stage_chromium, vs.dialer.url)
    await browser.sign_in(API_KEY, f"/web/briefing?interview_id={interview['id']}")
    await browser.wait_text("#interview-details", "Grace Hopper")
    await browser.type("#user-name", "Alan Turing")
    await browser.script(MEASURE_LEVEL)
    await browser.click("#voice-start")
    await browser.wait(lambda d: d.find_element("id", "voice").get_attribute("data-state") == "connected",
                       "the page never joined the room", timeout=60)
    await browser.wait_text("#transcript", "notice period of one month", timeout=90)
    levels = await browser.script("return window.agentLevels")
    assert levels and max(levels) > 0.01, f"no agent audio measured in the page (max {max(levels or [0])})"

    await browser.click("#voice-end")
    await browser.wait_text("#voice-status", "Briefing ended.")
    room = interview["room_name"]
    status = await asyncio.to_thread(wait_until, lambda: _ended(vs, room), 30.0, "the session recorded as ended")
    assert status["mode"] == "briefing" and status["interview_id"] == interview["id"]
    assert BRIEFING_TEXT in " ".join(vs.models.spoken)
    assert await browser.console_problems() == []
    assert not vs.worker.tracebacks()


def _ended(vs: VoiceStage, room: str) -> dict[str, Any] | None:
    status = dict(vs.dialer.api("GET", f"/api/voice/session/{room}/status"))
    return status if status["state"] == "ended" else None

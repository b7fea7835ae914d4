"""The interviewer's briefing page in a real browser: the "Voice briefing" button asks the API for a token and
starts joining the room with livekit-client (the sandbox speaks no WebRTC, so "connecting" is as far as it gets
here), and every API error reaches the user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dialer.livekit_target import LiveKitAccess
from tests.stack import Stack
from tests.support import API_KEY
from tests.browser.browser import Browser

RECORD_STATES = """
const panel = document.getElementById("voice");
window.voiceStates = [panel.dataset.state];
new MutationObserver(() => window.voiceStates.push(panel.dataset.state))
  .observe(panel, { attributes: true, attributeFilter: ["data-state"] });
"""


async def _interview(stack: Stack) -> dict[str, str]:
    candidate = await stack.http.post(
        "/api/candidates", json={"external_id": "ada", "name": "Ada Lovelace", "phone": "+12125550101"}
    )
    interviewer = await stack.http.post("/api/interviewers", json={"name": "Alan Turing"})
    interview = await stack.http.post(
        "/api/interviews",
        json={
            "candidate_id": candidate.json()["id"],
            "interviewer_id": interviewer.json()["id"],
            "role": "Account Executive",
            "scheduled_at": "2026-12-02T17:00:00Z",
            "resume_summary": "Eight years of SaaS sales.",
        },
    )
    assert interview.status_code == 201, interview.text
    return dict(interview.json())


async def test_voice_briefing_gets_a_token_and_starts_connecting(stack: Stack, browser: Browser) -> None:
    interview = await _interview(stack)
    await browser.sign_in(API_KEY, "/web/briefing")
    await browser.wait(lambda d: d.find_element("css selector", f'#interview option[value="{interview["id"]}"]'), "interview not listed")
    await browser.script(f'const s = document.getElementById("interview"); s.value = "{interview["id"]}"; s.dispatchEvent(new Event("change"));')
    await browser.wait_text("#interview-details", "Ada Lovelace")
    assert interview["room_name"] in await browser.text("#interview-details")
    await browser.type("#user-name", "Alan Turing")
    assert await browser.text("#voice-start") == "Voice briefing"

    await browser.script(RECORD_STATES)
    await browser.click("#voice-start")
    await browser.wait(lambda d: "connecting" in d.execute_script("return window.voiceStates"), "never reached connecting")
    # No WebRTC here: joining fails, and the page says so and offers the button again.
    await browser.wait_text("#error", f"Could not connect to the briefing room {interview['room_name']}", timeout=30)
    # The token was issued for this interview's room (before the join was tried): the dialer knows a browser session.
    status = await stack.http.get(f"/api/voice/session/{interview['room_name']}/status")
    assert status.status_code == 200, status.text
    assert status.json()["mode"] == "briefing" and status.json()["interview_id"] == interview["id"]
    await browser.wait(lambda d: d.find_element("id", "voice").get_attribute("data-state") == "idle", "not back to idle")
    assert await browser.text("#voice-start") == "Voice briefing"
    assert await browser.script("return document.activeElement.id") == "voice-start"
    assert await browser.console_problems() == []


@asynccontextmanager
async def _silent_livekit() -> AsyncIterator[str]:
    """A loopback port that accepts connections and never answers: joining stays at "connecting"."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_end_leaves_a_briefing_that_is_still_connecting(stack: Stack, browser: Browser) -> None:
    interview = await _interview(stack)
    async with _silent_livekit() as url:
        access = stack.runtime.livekit
        stack.runtime.livekit = LiveKitAccess(url=url, api_key=access.api_key, api_secret=access.api_secret)
        await browser.sign_in(API_KEY, f"/web/briefing?interview_id={interview['id']}")
        await browser.wait_text("#interview-details", "Ada Lovelace")
        await browser.type("#user-name", "Alan Turing")
        await browser.click("#voice-start")
        await browser.wait_text("#voice-status", f"Connecting to room {interview['room_name']}")
        assert await browser.attribute("#voice", "data-state") == "connecting"
        assert await browser.text("#voice-start") == "Connecting…"
        assert await browser.attribute("#voice-start", "disabled") == "true"
        await browser.screenshot("briefing.png")

        await browser.click("#voice-end")
        await browser.wait_text("#voice-status", "Briefing ended.")
        assert await browser.attribute("#voice", "data-state") == "idle"
        assert await browser.text("#voice-start") == "Voice briefing"
        assert not await browser.script("return document.getElementById('voice-end').offsetParent")
        assert await browser.text("#error") == ""  # leaving on purpose is no error
        assert await browser.console_problems() == []


async def test_api_errors_are_shown_to_the_interviewer(stack: Stack, browser: Browser) -> None:
    await browser.sign_in(API_KEY, "/web/briefing?interview_id=int_missing")
    await browser.wait_text("#interview", "Interview int_missing (from the link)")

    # The name is required: said on the page, and no request is made.
    await browser.click("#voice-start")
    await browser.wait_text("#error", "enter your name")
    assert await browser.attribute("#user-name", "aria-invalid") == "true"

    await browser.type("#user-name", "Alan Turing")
    await browser.script(RECORD_STATES)
    await browser.click("#voice-start")
    await browser.wait_text("#error", "Could not start the voice briefing: interview int_missing not found (HTTP 404)")
    await browser.wait(lambda d: d.find_element("id", "voice").get_attribute("data-state") == "idle", "not back to idle")
    assert await browser.script("return window.voiceStates") == ["idle", "connecting", "idle"]
    assert await browser.attribute("#error", "role") == "alert"


# A stand-in for livekit-client's Room (no LiveKit server here): the real VoiceSession is wired to it and fed the
# events and text streams livekit-agents sends, and the page's own view functions render them.
FAKE_ROOM_SESSION = """
const done = arguments[arguments.length - 1];
(async () => {
  const { RoomEvent } = await import("/web/static/vendor/livekit-client/livekit-client.esm.mjs");
  const { VoiceSession } = await import("/web/static/voice-session.js");
  const { renderAgent, renderSegment } = await import("/web/static/briefing-view.js");
  class FakeRoom {
    constructor() { this.handlers = {}; this.localParticipant = { identity: "web-me" }; this.canPlaybackAudio = true; }
    on(event, fn) { (this.handlers[event] ||= []).push(fn); return this; }
    emit(event, ...args) { for (const fn of this.handlers[event] || []) fn(...args); }
    registerTextStreamHandler(topic, fn) { this.topic = topic; this.onText = fn; }
  }
  function stream(segment, chunks, finalAfter) {
    const info = { id: "TS_" + Math.random(), attributes: { "lk.segment_id": segment, "lk.transcription_final": "false" } };
    return { info, async *[Symbol.asyncIterator]() {
      for (const chunk of chunks) { yield chunk; await new Promise((r) => setTimeout(r, 0)); }
      if (finalAfter) info.attributes = { ...info.attributes, "lk.transcription_final": "true" };  // the trailer
    } };
  }
  const room = new FakeRoom();
  const session = new VoiceSession({ audioContainer: document.getElementById("audio"), callbacks: {
    onConnection() {}, onAudioBlocked() {}, onError(what, err) { throw err; },
    onAgent: (s) => renderAgent(document.getElementById("agent-state"), s),
    onSegment: (s) => renderSegment(document.getElementById("transcript"), s),
  } });
  session.room = room;
  session.wire(room);
  const agent = { identity: "agent-1", isAgent: true, attributes: { "lk.agent.state": "listening" } };
  room.emit(RoomEvent.ParticipantConnected, agent);
  const states = [document.getElementById("agent-state").textContent];
  room.emit(RoomEvent.ParticipantAttributesChanged, { "lk.agent.state": "speaking" }, agent);
  states.push(document.getElementById("agent-state").textContent + (document.getElementById("agent-state").classList.contains("speaking") ? "!" : ""));
  // The agent's words arrive as deltas in one stream; the interviewer's as whole-segment updates, one stream each.
  await room.onText(stream("SG_1", ["Ada has eight ", "years of SaaS sales."], true), { identity: "agent-1" });
  await room.onText(stream("SG_2", ["What was"], false), { identity: "web-me" });
  const interim = document.querySelector('#transcript li[data-segment="SG_2"]').className;
  await room.onText(stream("SG_2", ["What was her quota attainment?"], true), { identity: "web-me" });
  room.emit(RoomEvent.ParticipantAttributesChanged, { "lk.agent.state": "thinking" }, agent);
  states.push(document.getElementById("agent-state").textContent);
  room.emit(RoomEvent.ParticipantDisconnected, agent);
  states.push(document.getElementById("agent-state").textContent);
  return { topic: room.topic, states, interim };
})().then(done, (err) => done({ error: String(err) }));
"""


async def test_agent_state_and_live_transcript_render_from_livekit_events(stack: Stack, browser: Browser) -> None:
    await browser.sign_in(API_KEY, "/web/briefing")
    await browser.wait_text("#voice-start", "Voice briefing")
    result = await browser.run(browser.driver.execute_async_script, FAKE_ROOM_SESSION)
    assert "error" not in result, result["error"]
    assert result["topic"] == "lk.transcription"
    assert result["states"] == ["listening", "speaking!", "thinking", "not in the room"]
    assert result["interim"] == "interim"
    lines = await browser.script(
        "return [...document.querySelectorAll('#transcript li')].map(li => [li.textContent, li.className])"
    )
    assert lines == [
        ["Agent:Ada has eight years of SaaS sales.", ""],
        ["You:What was her quota attainment?", ""],
    ]
    assert await browser.attribute("#transcript", "role") == "log"
    assert await browser.attribute("#transcript", "aria-live") == "polite"
    assert await browser.attribute("#voice-status", "aria-live") == "polite"

"""Agent overhead, with scripted LLM/TTS and the fake dialer API on loopback. Prints figures; asserts nothing.

  1. join -> greeting handed to TTS: mode resolution, the dialer context GET, session set-up and start,
     until the TTS receives the greeting text (what the callee waits through after answering, minus TTS).
  2. tool round trip: a `record_unknown` turn through AgentSession (scripted LLM -> tool -> HTTP POST to the
     fake API -> tool output -> scripted reply), and the bare HTTP round trip of that POST for comparison.

Run from the repository root:  /work/venv/bin/python bench/agent_bench.py --runs 200
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from livekit import rtc  # noqa: E402
from livekit.agents import APIConnectOptions, io, tts, utils  # noqa: E402
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS  # noqa: E402

from agent.call_control import LocalCallControl  # noqa: E402
from agent.dialer_client import DialerClient  # noqa: E402
from agent.gap_filling import GapFillingAgent  # noqa: E402
from agent.modes import GapFillingJob, resolve_mode  # noqa: E402
from agent.runner import Models, create_session, prepare_job  # noqa: E402
from agent.settings import AgentSettings  # noqa: E402
from dialer_testing.fake_dialer import FakeDialer, gap_filling_metadata  # noqa: E402
from dialer_testing.scripted_llm import ScriptedLLM, call, say  # noqa: E402

SAMPLE_RATE = 24_000
SIP_ATTRIBUTES = {"dialer.mode": "gap_filling", "sip.callStatus": "active"}


class ScriptedTTS(tts.TTS[None]):
    """Returns 20 ms of silence per request and notes when it was handed text."""

    def __init__(self) -> None:
        super().__init__(capabilities=tts.TTSCapabilities(streaming=False), sample_rate=SAMPLE_RATE, num_channels=1)
        self.first_text = asyncio.Event()
        self.first_text_at = 0.0

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        if not self.first_text.is_set():
            self.first_text_at = time.perf_counter()
            self.first_text.set()
        return _SilentStream(tts=self, input_text=text, conn_options=conn_options)


class _SilentStream(tts.ChunkedStream):
    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(request_id=utils.shortuuid(), sample_rate=SAMPLE_RATE, num_channels=1,
                                  mime_type="audio/pcm")
        output_emitter.push(b"\x00\x00" * (SAMPLE_RATE // 50))
        output_emitter.flush()


class NullAudioOutput(io.AudioOutput):
    """A speaker that plays instantly, so the pipeline reaches the TTS without a room."""

    def __init__(self) -> None:
        super().__init__(label="null", capabilities=io.AudioOutputCapabilities(pause=False), sample_rate=SAMPLE_RATE)
        self._pushed = 0.0

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if not self._pushed:
            self.on_playback_started(created_at=time.time())
        self._pushed += frame.duration

    def flush(self) -> None:
        super().flush()
        pushed, self._pushed = self._pushed, 0.0
        self.on_playback_finished(playback_position=pushed, interrupted=False)

    def clear_buffer(self) -> None:
        if self._pushed:
            pushed, self._pushed = self._pushed, 0.0
            self.on_playback_finished(playback_position=pushed, interrupted=True)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {p50 * 1000:7.2f} ms   p99 {p99 * 1000:7.2f} ms   (n={len(ordered)})"


async def greeting_latency(dialer: FakeDialer, settings: AgentSettings, run: int) -> float:
    call_id = f"greet-{run}"
    dialer.add_call(call_id, token=f"tok-{call_id}", fields=["quota_attainment", "notice_period_weeks"])
    metadata = gap_filling_metadata(dialer, call_id)
    speech = ScriptedTTS()
    started = time.perf_counter()  # the participant has joined and is on the line
    job = resolve_mode(metadata, SIP_ATTRIBUTES)
    assert isinstance(job, GapFillingJob)
    prepared = await prepare_job(job, settings=settings, call_control=LocalCallControl())
    session = create_session(Models(llm=ScriptedLLM([]), tts=speech))
    session.output.audio = NullAudioOutput()
    try:
        await session.start(prepared.agent)
        assert isinstance(prepared.agent, GapFillingAgent)
        handle = prepared.agent.greet()
        await speech.first_text.wait()
        elapsed = speech.first_text_at - started
        await handle
    finally:
        await session.aclose()
        await prepared.finalize("bench")
    return elapsed


async def tool_round_trips(dialer: FakeDialer, settings: AgentSettings, runs: int) -> tuple[list[float], list[float]]:
    call_id = "tools"
    dialer.add_call(call_id, token="tok-tools", fields=["quota_attainment"])
    job = resolve_mode(gap_filling_metadata(dialer, call_id), SIP_ATTRIBUTES)
    assert isinstance(job, GapFillingJob)
    opening = [call("confirm_identity"), say("Thanks, Ada. One quick question.")]  # nothing is saved before it
    model = ScriptedLLM(opening + [turn for _ in range(runs) for turn in
                                   (call("record_unknown", name="quota_attainment", status="unknown"),
                                    say("No problem."))])
    prepared = await prepare_job(job, settings=settings, call_control=LocalCallControl())
    session = create_session(Models(llm=model))
    turns: list[float] = []
    try:
        await session.start(prepared.agent)
        assert isinstance(prepared.agent, GapFillingAgent)
        await prepared.agent.greet()  # the agent answers nothing before its greeting
        await session.run(user_input="Yes, speaking")
        for _ in range(runs):
            started = time.perf_counter()
            await session.run(user_input="I don't know")
            turns.append(time.perf_counter() - started)
    finally:
        await session.aclose()
        await prepared.finalize("bench")

    if dialer.calls[call_id].saved.get("quota_attainment", {}).get("status") != "unknown":
        raise SystemExit("the record_unknown turns did not reach the dialer: the figures would measure an error path")
    bare: list[float] = []
    async with DialerClient(dialer.url, "tok-tools") as client:
        for _ in range(runs):
            started = time.perf_counter()
            await client.record_field(call_id, name="quota_attainment", value=None, status="unknown", source_text=None)
            bare.append(time.perf_counter() - started)
    return turns, bare


async def main(runs: int) -> None:
    logging.disable(logging.WARNING)  # the framework warns about text-only sessions; not what we measure
    dialer = FakeDialer()
    await dialer.start()
    settings = AgentSettings()
    try:
        await greeting_latency(dialer, settings, -1)  # warm-up: imports, first connections
        greetings = [await greeting_latency(dialer, settings, i) for i in range(runs)]
        turns, bare = await tool_round_trips(dialer, settings, runs)
    finally:
        await dialer.stop()
    print(f"agent bench ({runs} runs, scripted LLM/TTS, fake dialer API on 127.0.0.1)")
    print(f"  join -> greeting handed to TTS     {percentiles(greetings)}")
    print(f"  record_unknown turn (LLM+tool+API) {percentiles(turns)}")
    print(f"  bare POST /fields round trip       {percentiles(bare)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    asyncio.run(main(parser.parse_args().runs))

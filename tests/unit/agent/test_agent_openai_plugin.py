"""The production LLM path: the real `livekit.plugins.openai.LLM` against a local OpenAI-compatible
server (as OpenRouter would be), streaming SSE with a tool call, inside an AgentSession text run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest
from livekit import rtc
from livekit.plugins import openai

from agent.runner import open_text_session
from agent.settings import AgentSettings
from agent.worker import build_llm, build_models
from tests.unit.agent.conftest import fixed_clock
from dialer_testing.fake_dialer import FakeDialer, gap_filling_metadata
from tests.support import require_tool
from dialer_testing.fake_openai import SILENCE_PEAK, FakeOpenAI, ToolCallReply


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI([
        ToolCallReply("confirm_identity", {}),
        "Thanks, Ada. I have one quick question. Is now a good time?",
        ToolCallReply("record_field", {"name": "quota_attainment", "value": "a hundred and twelve percent",
                                       "confirmed": False}),
        "Just to confirm, that's 112 percent?",
    ])
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_openai_plugin_streams_a_tool_call_into_the_real_agent(
    dialer: FakeDialer, settings: AgentSettings, fake_openai: FakeOpenAI
) -> None:
    dialer.add_call("call-1", token="tok-call-1", fields=["quota_attainment"])
    model_settings = AgentSettings(llm_model="openai/gpt-4o-mini", llm_base_url=fake_openai.base_url,
                                   llm_api_key="sk-test-key")
    model = build_llm(model_settings)  # the worker's own model construction
    assert isinstance(model, openai.LLM)
    async with model, open_text_session(
        gap_filling_metadata(dialer, "call-1"), {"sip.callStatus": "active"},
        llm=model, settings=settings, clock=fixed_clock,
    ) as run:
        await run.agent.greet()  # type: ignore[attr-defined]
        await run.user_says("Yes, speaking")
        result = await run.user_says("It was a hundred and twelve percent")
        result.expect.next_event().is_function_call(
            name="record_field", arguments={"name": "quota_attainment", "confirmed": False}
        )
        output = result.expect.next_event().is_function_call_output(is_error=False).event().item.output
        assert 'quota attainment, "a hundred and twelve percent"' in output and '"112%"' in output
        reply = result.expect.next_event().is_message(role="assistant").event().item
        assert reply.text_content == "Just to confirm, that's 112 percent?"
        result.expect.no_more_events()

    _, _, first, second = fake_openai.requests
    assert fake_openai.auth_headers == ["Bearer sk-test-key"] * 4
    assert first["model"] == "openai/gpt-4o-mini" and first["stream"] is True
    system = first["messages"][0]
    assert system["role"] in ("system", "developer")
    assert "- quota_attainment: quota attainment (a percentage" in str(system["content"])
    tools = {tool["function"]["name"]: tool["function"] for tool in first["tools"]}
    assert set(tools) == {"record_field", "record_unknown", "do_not_call", "schedule_callback",
                          "transfer_to_human", "end_call", "voicemail_detected", "confirm_identity",
                          "wrong_person", "not_looking"}
    assert set(tools["record_field"]["parameters"]["properties"]) == {"name", "value", "confirmed"}
    assert first["messages"][-1] == {"role": "user", "content": "It was a hundred and twelve percent"}
    tool_message = [m for m in second["messages"] if m["role"] == "tool"][-1]
    assert '"112%"' in tool_message["content"]
    assert dialer.calls["call-1"].saved == {}  # read back, not yet confirmed


async def _speech_server(transcripts: list[str]) -> FakeOpenAI:
    """(Speech models read OPENAI_API_KEY, as in production; the tests set it with monkeypatch.)"""
    require_tool("espeak-ng", "espeak-ng")
    server = FakeOpenAI([], transcripts=transcripts)
    await server.start()
    return server


async def test_openai_tts_plugin_speaks_real_audio_from_the_local_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's own TTS construction, over HTTP, decodes espeak-ng's WAV into loud audio frames."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key")
    server = await _speech_server([])
    try:
        models = build_models(AgentSettings(tts_base_url=server.base_url, stt_base_url=server.base_url), vad=None)
        assert models.tts is not None
        frames = [ev.frame async for ev in models.tts.synthesize("Hello, is this Ada?")]
        samples = np.concatenate([np.frombuffer(f.data, dtype=np.int16) for f in frames])
        seconds = len(samples) / frames[0].sample_rate
        assert server.speech.spoken == ["Hello, is this Ada?"]
        assert 0.8 < seconds < 5.0
        assert int(np.abs(samples).max()) > 5000  # speech, not silence
        await models.tts.aclose()
    finally:
        await server.stop()


async def test_openai_stt_plugin_hears_the_scripted_line_only_in_sound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Silence transcribes as nothing and keeps the script; sound gets the next scripted line."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key")
    server = await _speech_server(["Yes, this is Ada."])
    try:
        models = build_models(AgentSettings(tts_base_url=server.base_url, stt_base_url=server.base_url), vad=None)
        assert models.stt is not None and models.tts is not None
        speech = [ev.frame async for ev in models.tts.synthesize("Yes, this is Ada.")]
        silence = rtc.AudioFrame.create(24000, 1, 24000)  # one second of zeros
        heard_silence = await models.stt.recognize([silence])
        heard_speech = await models.stt.recognize(speech)
        assert heard_silence.alternatives[0].text == ""
        assert heard_speech.alternatives[0].text == "Yes, this is Ada."
        assert [t.text for t in server.speech.transcriptions] == ["", "Yes, this is Ada."]
        assert server.speech.transcriptions[1].peak >= SILENCE_PEAK > server.speech.transcriptions[0].peak
        await models.stt.aclose()
        await models.tts.aclose()
    finally:
        await server.stop()

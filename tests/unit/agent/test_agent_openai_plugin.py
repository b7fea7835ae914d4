"""The production LLM path: the real `livekit.plugins.openai.LLM` against a local OpenAI-compatible
server (as OpenRouter would be), streaming SSE with a tool call, inside an AgentSession text run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from livekit.plugins import openai

from agent.runner import open_text_session
from agent.settings import AgentSettings
from agent.worker import build_llm
from tests.unit.agent.conftest import fixed_clock
from tests.unit.agent.fake_dialer import FakeDialer, gap_filling_metadata
from tests.unit.agent.fake_openai import FakeOpenAI, ToolCallReply


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI([
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
        result = await run.user_says("It was a hundred and twelve percent")
        result.expect.next_event().is_function_call(
            name="record_field", arguments={"name": "quota_attainment", "confirmed": False}
        )
        output = result.expect.next_event().is_function_call_output(is_error=False).event().item.output
        assert 'quota attainment: "112%"' in output
        reply = result.expect.next_event().is_message(role="assistant").event().item
        assert reply.text_content == "Just to confirm, that's 112 percent?"
        result.expect.no_more_events()

    first, second = fake_openai.requests
    assert fake_openai.auth_headers == ["Bearer sk-test-key", "Bearer sk-test-key"]
    assert first["model"] == "openai/gpt-4o-mini" and first["stream"] is True
    system = first["messages"][0]
    assert system["role"] in ("system", "developer")
    assert "- quota_attainment: quota attainment (a percentage" in str(system["content"])
    tools = {tool["function"]["name"]: tool["function"] for tool in first["tools"]}
    assert set(tools) == {"record_field", "record_unknown", "do_not_call", "schedule_callback",
                          "transfer_to_human", "end_call", "voicemail_detected"}
    assert set(tools["record_field"]["parameters"]["properties"]) == {"name", "value", "confirmed"}
    assert first["messages"][-1] == {"role": "user", "content": "It was a hundred and twelve percent"}
    tool_message = next(m for m in second["messages"] if m["role"] == "tool")
    assert 'quota attainment: "112%"' in tool_message["content"]
    assert dialer.calls["call-1"].saved == {}  # read back, not yet confirmed

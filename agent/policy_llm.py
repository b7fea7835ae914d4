"""`PolicyLLM`: agent/policy_model.py's deterministic policy behind livekit-agents' `llm.LLM` interface.

It is the model of the sandbox's simulated conversations when no model key is configured: the AgentSession, the
agent's tools and the dialer's API run exactly as with a real model; only the words and tool choices come from the
policy. Each `chat()` answers the last thing in the history: a callee turn, or the result of the tool it called.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from livekit.agents import APIConnectOptions, llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr

from .policy_briefing import BriefingPolicy
from .policy_model import GapFillingPolicy, Reply
from .schemas import Briefing, CallContext


class PolicyLLM(llm.LLM[None]):
    """Bound to one call with `bind` once the agent has its call context (before anything is asked of it), or to
    one briefing with `bind_briefing`."""

    def __init__(self) -> None:
        super().__init__()
        self._policy: GapFillingPolicy | BriefingPolicy | None = None
        self._calls = 0

    @property
    def model(self) -> str:
        return "dialer-policy"

    @property
    def provider(self) -> str:
        return "dialer"

    @property
    def bound(self) -> bool:
        return self._policy is not None

    def bind(self, context: CallContext, *, today: Callable[[], date]) -> None:
        self._policy = GapFillingPolicy(context, today=today)

    def bind_briefing(self, briefing: Briefing) -> None:
        self._policy = BriefingPolicy(briefing)

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> llm.LLMStream:
        reply = self._decide(chat_ctx)
        self._calls += 1
        return _PolicyStream(self, reply, f"policy_{self._calls}", chat_ctx, tools or [], conn_options)

    def _decide(self, chat_ctx: llm.ChatContext) -> Reply:
        if self._policy is None:
            return Reply()
        items = chat_ctx.items
        for index in range(len(items) - 1, -1, -1):
            item = items[index]
            if isinstance(item, llm.FunctionCallOutput):
                return self._policy.on_tool_result(
                    item.name, _arguments_of(items[:index], item.call_id), item.output, is_error=item.is_error
                )
            if isinstance(item, llm.ChatMessage) and item.role == "user":
                return self._policy.on_callee(item.text_content or "")
        return self._policy.on_start()  # nothing said yet: the agent's opening (a briefing's summary)


def _arguments_of(items: list[llm.ChatItem], call_id: str) -> dict[str, object]:
    for item in reversed(items):
        if isinstance(item, llm.FunctionCall) and item.call_id == call_id:
            try:
                parsed = json.loads(item.arguments or "{}")
            except ValueError:
                return {}
            return parsed if isinstance(parsed, dict) else {}
    return {}


class _PolicyStream(llm.LLMStream):
    def __init__(self, model: PolicyLLM, reply: Reply, call_id: str, chat_ctx: llm.ChatContext,
                 tools: list[llm.Tool], conn_options: APIConnectOptions) -> None:
        super().__init__(model, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._reply = reply
        self._call_id = call_id

    async def _run(self) -> None:
        if self._reply.text:
            self._event_ch.send_nowait(llm.ChatChunk(id=self._call_id, delta=llm.ChoiceDelta(
                role="assistant", content=self._reply.text)))
        if self._reply.tool is not None:
            tool_call = llm.FunctionToolCall(
                name=self._reply.tool.name, arguments=json.dumps(self._reply.tool.args), call_id=self._call_id
            )
            self._event_ch.send_nowait(llm.ChatChunk(id=self._call_id, delta=llm.ChoiceDelta(
                role="assistant", tool_calls=[tool_call])))

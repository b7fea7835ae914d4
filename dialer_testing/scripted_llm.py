"""A scripted `llm.LLM` that replays pre-written turns, so agent tests are deterministic.

livekit-agents ships no fake LLM; this one is just enough for `AgentSession` text runs: each
`chat()` call pops the next turn (text and/or tool calls) and records the chat context it was
given, so a test can assert what the model was told (e.g. a tool's error message).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from livekit.agents import APIConnectOptions, llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr


@dataclass(frozen=True)
class Call:
    """One tool call the scripted model makes."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Turn:
    """One model response: optional text, then tool calls."""

    text: str = ""
    calls: tuple[Call, ...] = ()


def say(text: str) -> Turn:
    return Turn(text=text)


def call(tool: str, /, **args: Any) -> Turn:
    return Turn(calls=(Call(tool, args),))


class ScriptedLLM(llm.LLM[None]):
    def __init__(self, turns: list[Turn]) -> None:
        super().__init__()
        self._turns = list(turns)
        self.contexts: list[llm.ChatContext] = []  # what each chat() call was shown

    @property
    def remaining(self) -> int:
        return len(self._turns)

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
        if not self._turns:
            raise AssertionError("ScriptedLLM: the agent asked the model for more turns than scripted")
        self.contexts.append(chat_ctx.copy())
        return _ScriptedStream(self, self._turns.pop(0), chat_ctx, tools or [], conn_options)


class _ScriptedStream(llm.LLMStream):
    def __init__(self, model: ScriptedLLM, turn: Turn, chat_ctx: llm.ChatContext,
                 tools: list[llm.Tool], conn_options: APIConnectOptions) -> None:
        super().__init__(model, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._turn = turn

    async def _run(self) -> None:
        calls = [
            llm.FunctionToolCall(name=c.name, arguments=json.dumps(c.args), call_id=f"call_{i}")
            for i, c in enumerate(self._turn.calls)
        ]
        if self._turn.text:
            self._event_ch.send_nowait(llm.ChatChunk(id="scripted", delta=llm.ChoiceDelta(
                role="assistant", content=self._turn.text)))
        if calls:
            self._event_ch.send_nowait(llm.ChatChunk(id="scripted", delta=llm.ChoiceDelta(
                role="assistant", tool_calls=calls)))

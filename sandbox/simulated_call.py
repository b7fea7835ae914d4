"""A simulated conversation on an answered sandbox call: the real agent, in text mode, and a scripted callee.

When the sandbox answers a call whose number names a persona (sandbox/numbers.py) in a room the dialer dispatched
an agent to, `ConversationSimulator` runs the job as the worker would, through `agent.runner.open_text_session`:
the same mode resolution from the dispatch's metadata, the same `GapFillingAgent` and its tools, the dialer's
`/api/agent/...` routes with the call's own credential, the transcript posted turn by turn, and the hang-up through
LiveKit's server API (here: the sandbox's). Only the two voices differ: typed turns instead of audio, and the
model is the configured OpenAI-compatible LLM when a key is set, else the deterministic `PolicyLLM`.

The callee (sandbox/personas.py) hears the agent's words and answers; it hangs up when it has nothing left to say.
Nothing here is logged but ids and counts: no name, number, transcript or value reaches log text.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from livekit import api
from livekit.agents import ConversationItemAddedEvent, llm

from agent.call_control import LiveKitCallControl
from agent.call_turns import zone_or_utc
from agent.gap_filling import GapFillingAgent, utc_now
from agent.policy_llm import PolicyLLM
from agent.runner import TextRun, open_text_session
from agent.settings import AgentSettings

from .personas import Callee, callee_for

if TYPE_CHECKING:
    from .calls import SandboxCall
    from .server import LiveKitSandbox

logger = logging.getLogger(__name__)

ModelFactory = Callable[[], llm.LLM[Any]]


@dataclass
class SimulatedConversation:
    """What one simulated call said and how it ended (for tests and the sandbox's own inspection)."""

    room_name: str
    persona: str
    model: str
    turns: list[tuple[str, str]] = field(default_factory=list)  # (agent | callee, text), in order
    outcome: str | None = None  # what the agent told the dialer
    ended_by: str | None = None  # agent | callee | error
    done: asyncio.Event = field(default_factory=asyncio.Event)


class _ObservedControl(LiveKitCallControl):
    """LiveKit's call control, remembering that the agent hung up (so the callee stops talking)."""

    def __init__(self, lkapi: api.LiveKitAPI, *, room_name: str, participant_identity: str) -> None:
        super().__init__(lkapi, room_name=room_name, participant_identity=participant_identity)
        self.hung_up = asyncio.Event()

    async def hang_up(self) -> None:
        self.hung_up.set()
        await super().hang_up()


def configured_model(settings: AgentSettings) -> ModelFactory | None:
    """The worker's own chat model when a key is configured (DIALER_LLM_API_KEY or OPENAI_API_KEY), else None."""
    if not (settings.llm_api_key or os.environ.get("OPENAI_API_KEY", "").strip()):
        return None

    def build() -> llm.LLM[Any]:
        from agent.worker import build_llm

        return build_llm(settings)

    return build


async def converse(
    *,
    conversation: SimulatedConversation,
    metadata: str,
    attributes: dict[str, str],
    livekit: tuple[str, str, str],
    callee_identity: str,
    callee_left: asyncio.Event,
    hang_up_callee: Callable[[], Awaitable[None]],
    model: llm.LLM[Any],
    clock: Callable[[], datetime] = utc_now,
) -> None:
    """Run one conversation to its end: the agent hangs up, or the callee does, or the callee's line drops."""
    url, key, secret = livekit
    async with api.LiveKitAPI(url, key, secret) as lkapi:
        control = _ObservedControl(lkapi, room_name=conversation.room_name, participant_identity=callee_identity)
        async with open_text_session(metadata, attributes, llm=model, call_control=control, clock=clock) as run:
            agent = run.agent
            assert isinstance(agent, GapFillingAgent)
            zone = zone_or_utc(agent.context.candidate.timezone)
            if isinstance(model, PolicyLLM):
                model.bind(agent.context, today=lambda: clock().astimezone(zone).date())
            callee = callee_for(conversation.persona, candidate_name=agent.context.candidate.name,
                                fields=list(agent.context.fields))
            heard: list[str] = []

            def _on_item(event: ConversationItemAddedEvent) -> None:
                item = event.item
                if isinstance(item, llm.ChatMessage) and item.text_content:
                    speaker = "agent" if item.role == "assistant" else "callee" if item.role == "user" else None
                    if speaker is not None:
                        conversation.turns.append((speaker, item.text_content))
                        if speaker == "agent":
                            heard.append(item.text_content)

            run.session.on("conversation_item_added", _on_item)
            await run.answer()
            await _talk(run, agent, callee, heard, control, callee_left, hang_up_callee, conversation)
            await agent.wait_background()
            conversation.outcome = agent.outcome


async def _talk(run: TextRun, agent: GapFillingAgent, callee: Callee, heard: list[str], control: _ObservedControl,
                callee_left: asyncio.Event, hang_up_callee: Callable[[], Awaitable[None]],
                conversation: SimulatedConversation) -> None:
    if callee.is_machine:  # a mailbox records until the caller hangs up (or its own time runs out)
        await agent.wait_background()
    while True:
        if agent.outcome is not None or control.hung_up.is_set():
            conversation.ended_by = "agent"
            return
        if callee_left.is_set():
            conversation.ended_by = "callee"
            return
        said = " ".join(heard)
        heard.clear()
        reply = callee.reply(said)
        if reply is None:
            conversation.ended_by = "callee"
            await hang_up_callee()
            return
        await run.user_says(reply)


class ConversationSimulator:
    """Attached to a sandbox: each answered call with a persona, in a room with a gap-filling agent dispatch,
    gets a simulated conversation. `conversations` keeps every one, by room name. The model: `model_factory`'s
    (the sandbox passes the worker's configured one when a key is set), else the deterministic PolicyLLM."""

    def __init__(self, sandbox: LiveKitSandbox, *, model_factory: ModelFactory | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._sandbox = sandbox
        self._model_factory = model_factory
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self._left: dict[str, asyncio.Event] = {}
        self.conversations: dict[str, SimulatedConversation] = {}
        sandbox.on_call_answered(self._answered)
        sandbox.on_call_ended(self._ended)

    def _answered(self, call: SandboxCall) -> None:
        persona = call.outcome.persona
        metadata = self._sandbox.gap_filling_dispatch(call.room_name)
        if persona is None or metadata is None:
            return  # nobody talks: a silent line, or no agent was dispatched to this room
        participant = self._sandbox.participants.get(call.room_name, {}).get(call.identity)
        attributes = dict(participant.attributes) if participant is not None else {}
        model = self._model_factory() if self._model_factory is not None else PolicyLLM()
        conversation = SimulatedConversation(room_name=call.room_name, persona=persona, model=model.model)
        self.conversations[call.room_name] = conversation
        left = self._left[call.call_id] = asyncio.Event()
        task = asyncio.create_task(self._run(conversation, call, metadata, attributes, model, left),
                                   name=f"simulated-call-{call.call_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _ended(self, call: SandboxCall) -> None:
        left = self._left.pop(call.call_id, None)
        if left is not None:
            left.set()

    async def _run(self, conversation: SimulatedConversation, call: SandboxCall, metadata: str,
                   attributes: dict[str, str], model: llm.LLM[Any], left: asyncio.Event) -> None:
        sandbox = self._sandbox

        async def hang_up_callee() -> None:
            if not left.is_set():
                try:
                    await sandbox.hang_up(call.room_name)
                except LookupError:
                    pass  # already gone

        logger.info("simulated conversation on sandbox call %s (persona %s, model %s)", call.call_id,
                    conversation.persona, conversation.model)
        try:
            await converse(
                conversation=conversation, metadata=metadata, attributes=attributes,
                livekit=(sandbox.url, sandbox.api_key, sandbox.api_secret), callee_identity=call.identity,
                callee_left=left, hang_up_callee=hang_up_callee, model=model, clock=self._clock,
            )
        except Exception as exc:  # JobSetupError or anything else: a broken conversation must not leave a live line
            conversation.ended_by = "error"
            logger.warning("simulated conversation on sandbox call %s failed: %s", call.call_id, type(exc).__name__)
            await hang_up_callee()
        finally:
            logger.info("simulated conversation on sandbox call %s ended by %s (%d turns, outcome %s)",
                        call.call_id, conversation.ended_by, len(conversation.turns), conversation.outcome)
            conversation.done.set()

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Until every conversation started so far has ended."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


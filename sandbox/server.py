"""``LiveKitSandbox``: a LiveKit server stand-in on loopback that places no real calls.

It speaks LiveKit's server API wire protocol (Twirp, HS256 access tokens with LiveKit's grants,
signed webhooks), so production code drives it through the unmodified ``livekit.api.LiveKitAPI``
and tests exercise the real client. The client's cloud failover never engages for a loopback URL
(it only fails over for ``*.livekit.cloud`` hosts), so no ``failover=False`` is needed.
"""

from __future__ import annotations

import asyncio
import logging
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from livekit.api import TokenVerifier
from livekit.protocol.agent_dispatch import AgentDispatch
from livekit.protocol.models import ParticipantInfo, Room
from livekit.protocol.sip import SIPDispatchRuleInfo, SIPInboundTrunkInfo, SIPOutboundTrunkInfo
from livekit.protocol.webhook import WebhookEvent

from dialer.agent_dispatch import GAP_FILLING, KEY_MODE

from .agents import SandboxAgents
from .calls import CallManager, SandboxCall
from .faults import Fault, FaultPlan, split_method
from .room_service import dispatch_routes, room_routes
from .sip_service import call_routes, config_routes
from .state import RoomRegistry
from .trunks import SipConfigStore
from .twirp import RecordedRequest, TwirpServer
from .webhooks import WebhookDelivery, WebhookSender

if TYPE_CHECKING:
    from .simulated_call import ConversationSimulator, ModelFactory
    from .text_chat import TextChats

logger = logging.getLogger(__name__)

DEFAULT_OUTBOUND_TRUNK_ID = "ST_sandbox"
_SEED_TRUNK = SIPOutboundTrunkInfo(
    name="sandbox outbound trunk", address="sip.sandbox.invalid", numbers=["+12125550199"],
)


class LiveKitSandbox:
    """In-memory LiveKit (rooms, agent dispatch, SIP) served over HTTP on loopback.

    Beyond the LiveKit-like knobs: ``seed_outbound_trunk_id`` pre-provisions an outbound trunk with
    that id (the dialer's default ``ST_sandbox``) so dialling works without provisioning; pass None
    for an empty trunk list. ``webhook_backoff_s`` is the first retry delay for failed webhooks.
    ``departure_time_scale`` scales each room's departure time-out (LiveKit's: 1; 0 closes an emptied room at once,
    for tests that do not wait for it, as ``ring_delay_s=0`` skips the ringing).
    ``conversations`` simulates a conversation on each answered call whose number names a persona, in a room with
    a gap-filling agent dispatch (sandbox/simulated_call.py): the real agent in text mode, with
    ``conversation_model`` (a factory; None: the deterministic policy model) and ``conversation_clock``.
    ``agents``: the worker that takes dispatched jobs (sandbox/agents.py). True: one serving every explicit agent
    name; False: none, so every dispatch is dropped as on a LiveKit with no worker free.
    """

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        webhook_url: str | None = None,
        ring_delay_s: float = 1.0,
        talk_time_scale: float = 1.0,
        auto_hangup: bool = True,
        clock: Callable[[], float] = time.time,
        seed_outbound_trunk_id: str | None = DEFAULT_OUTBOUND_TRUNK_ID,
        webhook_backoff_s: float = 0.1,
        departure_time_scale: float = 1.0,
        conversations: bool = False,
        conversation_model: ModelFactory | None = None,
        conversation_clock: Callable[[], datetime] | None = None,
        agents: SandboxAgents | bool = True,
    ) -> None:
        if not api_key or not api_secret:
            raise ValueError("api_key and api_secret are required")
        if ring_delay_s < 0 or talk_time_scale < 0 or departure_time_scale < 0:
            raise ValueError("ring_delay_s, talk_time_scale and departure_time_scale cannot be negative")
        self._api_key = api_key
        self._api_secret = api_secret
        self._webhook_url = webhook_url
        self._clock = clock
        self._change = asyncio.Event()
        self.webhook_events: list[WebhookEvent] = []
        self._sender = (
            WebhookSender(url=webhook_url, api_key=api_key, api_secret=api_secret, backoff_s=webhook_backoff_s)
            if webhook_url else None
        )
        self.agents: SandboxAgents | None = SandboxAgents() if agents is True else (agents or None)
        self._registry = RoomRegistry(clock=clock, emit=self._emit, departure_time_scale=departure_time_scale,
                                      agents=self.agents)
        self._store = SipConfigStore(clock=clock)
        self._calls = CallManager(
            registry=self._registry, clock=clock, ring_delay_s=ring_delay_s,
            talk_time_scale=talk_time_scale, auto_hangup=auto_hangup, changed=self._changed,
        )
        self._faults = FaultPlan()
        self._twirp = TwirpServer(
            routes=[
                *room_routes(self._registry),
                *dispatch_routes(self._registry),
                *call_routes(self._registry, self._calls, self._store, ring_delay_s=ring_delay_s),
                *config_routes(self._store),
            ],
            verifier=TokenVerifier(api_key, api_secret),
            clock=clock,
            faults=self._faults,
            on_request=self._changed,
        )
        if seed_outbound_trunk_id:
            self._store.create_outbound(_SEED_TRUNK, trunk_id=seed_outbound_trunk_id)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._conversations = conversations
        self._conversation_model = conversation_model
        self._conversation_clock = conversation_clock
        self.simulator: ConversationSimulator | None = None
        self.text_chats: TextChats | None = None

    # lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serves on host:port (0 picks a free port) and returns the base URL for LiveKitAPI."""
        if self._runner is not None:
            raise RuntimeError("sandbox already started")
        app = self._twirp.app()
        if self._conversations:  # loads the agent only when conversations are on
            from agent.settings import AgentSettings

            from .simulated_call import ConversationSimulator, configured_model
            from .text_chat import TextChats

            model = self._conversation_model or configured_model(AgentSettings.from_env())
            self.text_chats = TextChats(
                registry=self._registry, verifier=TokenVerifier(self._api_key, self._api_secret), model_factory=model
            )
            self.text_chats.add_routes(app)
            self.simulator = ConversationSimulator(
                self, model_factory=model, **({"clock": self._conversation_clock} if self._conversation_clock else {})
            )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"
        logger.warning(
            "LiveKit SANDBOX serving on %s — NO REAL PHONE CALLS ARE PLACED; outcomes come from reserved "
            "test numbers (+1 NPA 555-01XX)%s",
            self.url, f"; webhooks go to {self._webhook_url}" if self._webhook_url else "",
        )
        return self.url

    async def stop(self) -> None:
        """Ends conversations and timers, answers waiting requests, stops serving and flushes webhooks (bounded)."""
        if self.simulator is not None:
            await self.simulator.aclose()
        if self.text_chats is not None:
            await self.text_chats.aclose()
        self._calls.shutdown()
        self._registry.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._sender is not None:
            await self._sender.aclose()

    async def __aenter__(self) -> LiveKitSandbox:
        await self.start()
        return self

    async def __aexit__(self, *_exc: Any) -> None:
        await self.stop()

    # hooks

    def on_call_answered(self, listener: Callable[[SandboxCall], None]) -> None:
        self._calls.on_answered(listener)

    def on_call_ended(self, listener: Callable[[SandboxCall], None]) -> None:
        self._calls.on_ended(listener)

    def gap_filling_dispatch(self, room_name: str) -> str | None:
        """The metadata of the room's live gap-filling agent dispatch (the agent's job), or None."""
        for dispatch in reversed(self._registry.dispatches):
            if dispatch.room == room_name and not dispatch.state.deleted_at and is_gap_filling(dispatch.metadata):
                return dispatch.metadata
        return None

    @property
    def api_key(self) -> str:
        return self._api_key

    @property
    def api_secret(self) -> str:
        return self._api_secret

    # callee-side controls for tests

    async def hang_up(self, room_name: str) -> None:
        """The callee hangs up: participant_left, then room_finished once the room is empty."""
        self._calls.hang_up(room_name)

    def inject_fault(self, method: str, *, status: int | None = None, delay_s: float = 0, times: int = 1) -> Fault:
        """The next ``times`` calls of ``method`` (e.g. "CreateSIPParticipant") answer ``status``
        and/or wait ``delay_s`` first."""
        service, name = split_method(method)
        known = {m for s, m in self._twirp.methods if service in (None, s)}
        if name not in known:
            raise ValueError(f"unknown method {method!r}; known: {sorted(m for _, m in self._twirp.methods)}")
        return self._faults.add(method, status=status, delay_s=delay_s, times=times)

    async def wait_until(self, predicate: Callable[[], bool], *, timeout: float = 5.0) -> None:
        """Waits (without polling) until ``predicate()`` holds after some change; TimeoutError otherwise."""
        async with asyncio.timeout(timeout):
            while not predicate():
                await self._change.wait()

    async def drain_webhooks(self) -> None:
        """Waits until every webhook queued so far was delivered or given up on."""
        if self._sender is not None:
            await self._sender.drain()

    # inspectable state

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._twirp.requests

    @property
    def rooms(self) -> dict[str, Room]:
        return self._registry.rooms

    @property
    def participants(self) -> dict[str, dict[str, ParticipantInfo]]:
        """Room name -> identity -> participant, for rooms that exist now."""
        return self._registry.participants

    @property
    def dispatches(self) -> list[AgentDispatch]:
        """Every agent dispatch ever made, in order; deleted ones have ``state.deleted_at`` set."""
        return self._registry.dispatches

    @property
    def inbound_trunks(self) -> dict[str, SIPInboundTrunkInfo]:
        return self._store.inbound_trunks

    @property
    def outbound_trunks(self) -> dict[str, SIPOutboundTrunkInfo]:
        return self._store.outbound_trunks

    @property
    def trunks(self) -> dict[str, SIPInboundTrunkInfo | SIPOutboundTrunkInfo]:
        return {**self._store.inbound_trunks, **self._store.outbound_trunks}

    @property
    def dispatch_rules(self) -> dict[str, SIPDispatchRuleInfo]:
        return self._store.dispatch_rules

    @property
    def calls(self) -> dict[str, SandboxCall]:
        """Every call placed, by SIP call id (``SCL_…``)."""
        return self._calls.calls

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return self._sender.deliveries if self._sender is not None else []

    def requests_for(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method]

    # internals

    def _emit(self, event: WebhookEvent) -> None:
        self.webhook_events.append(event)
        if self._sender is not None:
            self._sender.submit(event, key=event.room.name)
        self._changed()

    def _changed(self) -> None:
        self._change.set()
        self._change = asyncio.Event()


def is_gap_filling(metadata: str) -> bool:
    """Whether a dispatch's metadata is a gap-filling job (whose callee a persona may play)."""
    try:
        parsed = json.loads(metadata)
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get(KEY_MODE) == GAP_FILLING

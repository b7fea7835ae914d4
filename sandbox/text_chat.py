"""Typed turns with a room's agent: the sandbox's stand-in for a browser joining a briefing room.

The sandbox has no media server (no `/rtc`), so a browser cannot join a room with audio. Instead the briefing page
posts typed turns here with the same join token `POST /api/voice/token` hands out: the token is checked as LiveKit
checks a join (signature, expiry, `roomJoin` for this room), the browser's participant joins the room, and the job
the dialer dispatched to that room (its metadata, with the interview's credential) runs as the worker would run it,
through `agent.runner.open_text_session`: the real `BriefingAgent` and its read-only tools, reading the record through
the dialer's `/api/agent/...` routes. The model is the configured one when a key is set, else the deterministic
briefing policy (agent/policy_briefing.py).

    POST   /sandbox/chat/{room}   {"text": "..."} (no text: join and hear the opening)  → {"replies": [...]}
    DELETE /sandbox/chat/{room}                                                           → leave the room
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from livekit.agents import ConversationItemAddedEvent, llm
from livekit.api import TokenVerifier
from livekit.api.access_token import Claims
from livekit.protocol.models import DisconnectReason, ParticipantInfo, ParticipantPermission

from agent.briefing import BriefingAgent
from agent.call_control import LocalCallControl
from agent.dialer_client import DialerClient
from agent.modes import BriefingJob, resolve_mode
from agent.policy_llm import PolicyLLM
from agent.runner import TextRun, open_text_session

from .auth import authenticate
from .errors import TwirpError
from .state import RoomRegistry

logger = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_CHATS = 20
MAX_TURNS = 200
REPLY_TIMEOUT_S = 60.0


@dataclass
class _Chat:
    room: str
    identity: str
    stack: AsyncExitStack
    run: TextRun
    heard: list[str] = field(default_factory=list)
    turns: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def said(self) -> list[str]:
        lines, self.heard[:] = list(self.heard), []
        return lines


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"detail": message}, status=status, headers=CORS)


CORS = {
    "Access-Control-Allow-Origin": "*",  # the token, not a cookie, authenticates: any page holding one may chat
    "Access-Control-Allow-Methods": "POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "600",
}


class TextChats:
    def __init__(self, *, registry: RoomRegistry, verifier: TokenVerifier,
                 model_factory: Callable[[], llm.LLM[Any]] | None) -> None:
        self._registry = registry
        self._verifier = verifier
        self._model_factory = model_factory
        self._chats: dict[tuple[str, str], _Chat] = {}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("OPTIONS", "/sandbox/chat/{room}", self._preflight)
        app.router.add_post("/sandbox/chat/{room}", self._post)
        app.router.add_delete("/sandbox/chat/{room}", self._delete)

    async def _preflight(self, _request: web.Request) -> web.Response:
        return web.Response(status=204, headers=CORS)

    def _claims(self, request: web.Request) -> Claims:
        claims = authenticate(request.headers.get("Authorization"), self._verifier)
        room = request.match_info["room"]
        video = claims.video
        if not (video and video.room_join and video.room == room):
            raise TwirpError("permission_denied", "permissions denied: a roomJoin grant for this room is required")
        if not claims.identity:
            raise TwirpError("unauthenticated", "the token names no identity")
        return claims

    async def _post(self, request: web.Request) -> web.Response:
        try:
            claims = self._claims(request)
        except TwirpError as exc:
            return _json_error(exc.status, exc.msg)
        try:
            body = await request.json() if request.can_read_body else {}
        except json.JSONDecodeError:
            return _json_error(400, "the body must be JSON: {\"text\": \"...\"}")
        text = body.get("text") if isinstance(body, dict) else None
        if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT or "\x00" in text):
            return _json_error(400, f"text must be a string of at most {MAX_TEXT} characters")
        room = request.match_info["room"]
        chat = self._chats.get((room, claims.identity))
        if chat is None:
            try:
                chat = await self._open(room, claims)
            except TwirpError as exc:
                return _json_error(exc.status, exc.msg)
        async with chat.lock:
            if text and text.strip():
                chat.turns += 1
                if chat.turns > MAX_TURNS:
                    return _json_error(429, f"this chat has had its {MAX_TURNS} turns: leave and join again")
                async with asyncio.timeout(REPLY_TIMEOUT_S):
                    await chat.run.user_says(text.strip())
            return web.json_response({"room_name": room, "replies": chat.said()}, headers=CORS)

    async def _open(self, room: str, claims: Claims) -> _Chat:
        if len(self._chats) >= MAX_CHATS:
            raise TwirpError("resource_exhausted", "too many text chats are open in the sandbox")
        metadata = self._briefing_dispatch(room)
        if metadata is None:
            raise TwirpError("failed_precondition", "no briefing agent was dispatched to this room")
        job = resolve_mode(metadata, {})
        if not isinstance(job, BriefingJob) or job.interview_id is None or job.token is None or not job.dialer_url:
            raise TwirpError("failed_precondition", "the room's agent dispatch is not an interview briefing")
        attributes = dict(claims.attributes or {})
        model = self._model_factory() if self._model_factory is not None else PolicyLLM()
        if isinstance(model, PolicyLLM):  # the policy needs the record before the agent's opening line
            async with DialerClient(job.dialer_url, job.token) as client:
                model.bind_briefing(await client.briefing(job.interview_id))
        self._registry.join(room, ParticipantInfo(
            identity=claims.identity, name=claims.name, kind=ParticipantInfo.Kind.STANDARD, attributes=attributes,
            permission=ParticipantPermission(can_subscribe=True, can_publish=True, can_publish_data=True),
        ))
        stack = AsyncExitStack()
        try:
            run = await stack.enter_async_context(open_text_session(
                metadata, attributes, llm=model, call_control=LocalCallControl(can_transfer=False)))
        except BaseException:
            await stack.aclose()
            self._leave(room, claims.identity)
            raise
        assert isinstance(run.agent, BriefingAgent)
        chat = _Chat(room=room, identity=claims.identity, stack=stack, run=run)

        def _on_item(event: ConversationItemAddedEvent) -> None:
            item = event.item
            if isinstance(item, llm.ChatMessage) and item.role == "assistant" and item.text_content:
                chat.heard.append(item.text_content)

        if run.start_result is not None:
            async with asyncio.timeout(REPLY_TIMEOUT_S):
                await run.start_result  # the opening briefing
        chat.heard.extend(item.text_content for item in run.session.history.items
                          if isinstance(item, llm.ChatMessage) and item.role == "assistant" and item.text_content)
        run.session.on("conversation_item_added", _on_item)
        self._chats[(room, claims.identity)] = chat
        logger.info("sandbox text chat opened in room %s", room)
        return chat

    def _briefing_dispatch(self, room: str) -> str | None:
        for dispatch in reversed(self._registry.dispatches):
            if dispatch.room == room and not dispatch.state.deleted_at:
                return dispatch.metadata
        return None

    async def _delete(self, request: web.Request) -> web.Response:
        try:
            claims = self._claims(request)
        except TwirpError as exc:
            return _json_error(exc.status, exc.msg)
        room = request.match_info["room"]
        chat = self._chats.pop((room, claims.identity), None)
        if chat is not None:
            await self._close(chat)
        return web.Response(status=204, headers=CORS)

    async def _close(self, chat: _Chat) -> None:
        try:
            await chat.stack.aclose()
        finally:
            self._leave(chat.room, chat.identity)
            logger.info("sandbox text chat closed in room %s", chat.room)

    def _leave(self, room: str, identity: str) -> None:
        if identity in self._registry.participants.get(room, {}):
            self._registry.leave(room, identity, DisconnectReason.CLIENT_INITIATED)

    async def aclose(self) -> None:
        chats, self._chats = list(self._chats.values()), {}
        for chat in chats:
            await self._close(chat)

"""Posts every spoken turn of a call to the dialer, batched.

Turns queue up while a POST is in flight and leave together in the next one, so a chatty call makes
few requests and no turn waits for the call to end. A failed POST keeps its turns for the next try;
`aclose()` sends whatever is left when the session closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone

from livekit.agents import AgentSession, ConversationItemAddedEvent, llm

from .dialer_client import DialerAPIError, DialerClient
from .schemas import Speaker, TranscriptTurn

logger = logging.getLogger(__name__)

_ROLES: dict[str, Speaker] = {"assistant": "agent", "user": "callee"}


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class TranscriptRecorder:
    def __init__(
        self, client: DialerClient, call_id: str, *, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self._client = client
        self._call_id = call_id
        self._clock = clock
        self._pending: list[TranscriptTurn] = []
        self._flushing: asyncio.Task[None] | None = None
        self._closed = False
        self.posted = 0  # turns the dialer has accepted

    def attach(self, session: AgentSession[None]) -> None:
        session.on("conversation_item_added", self._on_item)

    def _on_item(self, event: ConversationItemAddedEvent) -> None:
        item = event.item
        if isinstance(item, llm.ChatMessage):
            self.add(item.role, item.text_content or "")

    def add(self, role: str, text: str) -> None:
        """Queue a turn (roles other than the two speakers, and empty turns, are skipped)."""
        speaker = _ROLES.get(role)
        if speaker is None or not text.strip() or self._closed:
            return
        self._pending.append(TranscriptTurn(role=speaker, text=text.strip(), at=self._clock().isoformat()))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_loop(), name="transcript-flush")

    async def flush(self) -> None:
        """Wait until everything queued so far has been sent (or has failed once)."""
        while self._flushing is not None and not self._flushing.done():
            await asyncio.shield(self._flushing)
        if self._pending:
            await self._send_batch()

    async def aclose(self) -> None:
        self._closed = True
        await self.flush()

    async def _flush_loop(self) -> None:
        while self._pending:
            if not await self._send_batch():
                return  # keep the turns; the next add() or flush() retries

    async def _send_batch(self) -> bool:
        batch = list(self._pending)
        try:
            await self._client.post_transcript(self._call_id, batch)
        except DialerAPIError as exc:
            logger.warning("transcript batch of %d turns not posted: %s", len(batch), exc.status or "no status")
            return False
        del self._pending[: len(batch)]
        self.posted += len(batch)
        return True

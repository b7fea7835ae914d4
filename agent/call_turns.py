"""Small pure helpers of the candidate call: what the chat history says, times and zones, the floor.

Kept apart from agent/gap_filling.py (the tools and the call's life) so each module has one job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from livekit.agents import RunContext, ToolError, llm

from dialer import spoken

GOODBYE = re.compile(r"\b(good ?bye|bye|take care|have a (good|great|nice|lovely))\b", re.IGNORECASE)


@dataclass(frozen=True)
class ReadBack:
    """A value read back to the callee, and the callee turn it answered (the confirmation must come later)."""

    value: str
    source_text: str | None
    after_turn: str | None  # id of the callee's last message when the value was read back


def zone_or_utc(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_words(local_iso: str, *, now: datetime) -> str:
    """The booked time as the callee says it ("tomorrow, Thursday November twenty-sixth, at 3 p.m. your time")."""
    try:
        at = datetime.fromisoformat(local_iso).replace(tzinfo=None)
    except ValueError:
        return f"{local_iso} their time"
    return spoken.local_time_words(at, now=now.replace(tzinfo=None))


def parse_local(raw: str) -> str:
    """'2026-11-26T15:00' (seconds and a trailing zone are dropped: the dialer wants wall time)."""
    try:
        parsed = datetime.fromisoformat(raw.strip().replace(" ", "T", 1))
    except ValueError:
        raise ToolError("Give the time as YYYY-MM-DDTHH:MM in the callee's time zone.") from None
    return parsed.replace(tzinfo=None, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


async def no_reply() -> None:
    return None


def last_user_message(context: RunContext[None]) -> llm.ChatMessage | None:
    for item in reversed(context.session.history.items):
        if isinstance(item, llm.ChatMessage) and item.role == "user":
            return item
    return None


def last_user_text(context: RunContext[None]) -> str | None:
    """What the callee last said: stored with the answer as its source (sent to the dialer, never logged)."""
    message = last_user_message(context)
    return message.text_content if message else None


def said_since_last_user_turn(context: RunContext[None]) -> str:
    """What the agent said after the callee last spoke (to tell whether a goodbye was already said)."""
    said: list[str] = []
    for item in reversed(context.session.history.items):
        if isinstance(item, llm.ChatMessage):
            if item.role == "user":
                break
            if item.role == "assistant":
                said.append(item.text_content or "")
    return " ".join(reversed(said))


def hold_the_floor(context: RunContext[None]) -> None:
    """A write, once started, is not interrupted by the callee's next words (they are heard afterwards)."""
    try:
        context.disallow_interruptions()
    except RuntimeError:
        pass  # already interrupted: the write still runs to completion in its own task

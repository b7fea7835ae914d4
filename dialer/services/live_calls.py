"""Ending calls that are live now (dialling or in a call): do-not-call and a cancelled batch's hang-up use it.

The room is deleted (DeleteRoom), which hangs up the SIP leg and ends the agent's job; LiveKit's webhooks and the
dial's own SIP result then end the attempt through the lifecycle as for any hang-up. Which calls were ended is
returned for the API's response; a room LiveKit cannot be asked to close is logged and left out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.lifecycle import ACTIVE
from dialer.store.models import Call
from dialer.telephony.base import Telephony, TelephonyUnavailable

log = logging.getLogger(__name__)


async def live_calls(session: AsyncSession, *, batch_id: str | None = None, candidate_ids: Sequence[str] = ()) -> list[Call]:
    """The batch's, or those candidates', calls that are dialling or in a call, locked (call rows first, as every
    writer takes them)."""
    query = select(Call).where(Call.state.in_(ACTIVE)).order_by(Call.id).with_for_update()
    if batch_id is not None:
        query = query.where(Call.batch_id == batch_id)
    else:
        query = query.where(Call.candidate_id.in_(list(candidate_ids)))
    return list(await session.scalars(query))


async def end_rooms(telephony: Telephony, calls: Sequence[tuple[str, str]]) -> list[str]:
    """Deletes each (call id, room) pair's room; returns the ids of the calls whose room was closed."""
    ended: list[str] = []
    for call_id, room in calls:
        try:
            await telephony.end_room(room)
        except TelephonyUnavailable as exc:
            log.warning("call %s: could not end its room: %s", call_id, exc.detail)
            continue
        ended.append(call_id)
    return ended

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import ApiKey, DoNotCall
from api.schemas.calls import DoNotCallAdded, DoNotCallIn, DoNotCallList, DoNotCallOut

router = APIRouter(prefix="/api/dnc", tags=["do-not-call"], dependencies=[ApiKey])


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_to_dnc(body: DoNotCallIn, dnc: DoNotCall) -> DoNotCallAdded:
    """The number is never dialled again, whichever batch it is in, and a live call to it is hung up at once
    (`ended_calls`)."""
    phone, ended = await dnc.add(body.phone, body.reason)
    return DoNotCallAdded(phone=phone, ended_calls=ended)


@router.get("")
async def list_dnc(
    dnc: DoNotCall,
    after: Annotated[str | None, Query(min_length=1, max_length=40, description="the previous page's next_after")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DoNotCallList:
    """The list in number order, a page at a time (pass `next_after` back as `after`; null: no more)."""
    items, next_after = await dnc.list_numbers(after=after, limit=limit)
    return DoNotCallList(items=[DoNotCallOut.model_validate(item) for item in items], next_after=next_after)


@router.delete("/{phone}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_from_dnc(phone: str, dnc: DoNotCall) -> None:
    await dnc.remove(phone)

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import ApiKey, DoNotCall
from api.schemas.calls import DoNotCallIn

router = APIRouter(prefix="/api/dnc", tags=["do-not-call"], dependencies=[ApiKey])


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_to_dnc(body: DoNotCallIn, dnc: DoNotCall) -> dict[str, str]:
    """The number is never dialled again, whichever batch it is in."""
    return {"phone": await dnc.add(body.phone, body.reason)}


@router.delete("/{phone}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_from_dnc(phone: str, dnc: DoNotCall) -> None:
    await dnc.remove(phone)

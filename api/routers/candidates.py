from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import ApiKey, Candidates
from api.schemas.candidates import (
    BulkItemOut,
    CandidateBulkIn,
    CandidateBulkOut,
    CandidateIn,
    CandidateList,
    CandidateOut,
)
from api.schemas.rules import FIELD_NAME_PATTERN, MAX_ID
from dialer.services.candidate_search import MAX_PAGE, CandidateQuery

router = APIRouter(prefix="/api/candidates", tags=["candidates"], dependencies=[ApiKey])


@router.post("", status_code=status.HTTP_201_CREATED, responses={200: {"model": CandidateOut}})
async def upsert_candidate(body: CandidateIn, candidates: Candidates, response: Response) -> CandidateOut:
    """Create (201) or update (200) by `external_id`."""
    candidate, created = await candidates.upsert(body.to_input())
    if not created:
        response.status_code = status.HTTP_200_OK
    return CandidateOut.of(candidate)


@router.post("/bulk", status_code=status.HTTP_200_OK)
async def bulk_upsert(body: CandidateBulkIn, candidates: Candidates) -> CandidateBulkOut:
    """Up to 10,000 candidates, all or nothing: one bad record and nothing is written."""
    result = await candidates.bulk_upsert([item.to_input() for item in body.candidates])
    return CandidateBulkOut(
        created=result.created,
        updated=result.updated,
        items=[BulkItemOut(external_id=key, id=value) for key, value in result.ids.items()],
    )


@router.get("")
async def list_candidates(
    candidates: Candidates,
    batch_id: Annotated[str | None, Query(min_length=1, max_length=MAX_ID, description="only this batch's candidates")] = None,
    missing_field: Annotated[
        str | None, Query(pattern=FIELD_NAME_PATTERN, description="only candidates for whom this field is missing")
    ] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="part of the name (any case), or 3+ digits of the number"),
    ] = None,
    after: Annotated[str | None, Query(min_length=1, max_length=MAX_ID, description="the previous page's next_after")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> CandidateList:
    """Candidates in id order, a page at a time (pass `next_after` back as `after`; null: no more)."""
    page = await candidates.search(
        CandidateQuery(batch_id=batch_id, missing_field=missing_field, search=q, after=after, limit=limit)
    )
    return CandidateList(items=[CandidateOut.of(c) for c in page.items], next_after=page.next_after)


@router.get("/{candidate_id}")
async def get_candidate(candidate_id: str, candidates: Candidates) -> CandidateOut:
    return CandidateOut.of(await candidates.get(candidate_id))

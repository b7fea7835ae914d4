from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import ApiKey, Candidates
from api.schemas.candidates import BulkItemOut, CandidateBulkIn, CandidateBulkOut, CandidateIn, CandidateOut

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


@router.get("/{candidate_id}")
async def get_candidate(candidate_id: str, candidates: Candidates) -> CandidateOut:
    return CandidateOut.of(await candidates.get(candidate_id))

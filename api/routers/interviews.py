from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import ApiKey, Interviews
from api.schemas.interviews import InterviewerIn, InterviewerOut, InterviewIn, InterviewOut
from dialer.services.interviews import InterviewerInput, InterviewInput
from dialer.store.models import Interviewer

router = APIRouter(tags=["interviews"], dependencies=[ApiKey])


def _interviewer_out(interviewer: Interviewer) -> InterviewerOut:
    return InterviewerOut(
        id=interviewer.id,
        name=interviewer.name,
        phone=interviewer.phone,
        email=interviewer.email,
        has_pin=interviewer.pin_hash is not None,
        created_at=interviewer.created_at,
    )


@router.post("/api/interviewers", status_code=status.HTTP_201_CREATED)
async def create_interviewer(body: InterviewerIn, interviews: Interviews) -> InterviewerOut:
    interviewer = await interviews.create_interviewer(InterviewerInput(**body.model_dump()))
    return _interviewer_out(interviewer)


@router.get("/api/interviewers")
async def list_interviewers(interviews: Interviews) -> dict[str, list[InterviewerOut]]:
    return {"items": [_interviewer_out(i) for i in await interviews.list_interviewers()]}


@router.post("/api/interviews", status_code=status.HTTP_201_CREATED)
async def create_interview(body: InterviewIn, interviews: Interviews) -> InterviewOut:
    interview = await interviews.create_interview(InterviewInput(**body.model_dump()))
    return InterviewOut.model_validate(interview)


@router.get("/api/interviews")
async def list_interviews(
    interviews: Interviews, interviewer_id: str | None = None, candidate_id: str | None = None
) -> dict[str, list[InterviewOut]]:
    found = await interviews.list_interviews(interviewer_id=interviewer_id, candidate_id=candidate_id)
    return {"items": [InterviewOut.model_validate(i) for i in found]}


@router.get("/api/interviews/{interview_id}")
async def get_interview(interview_id: str, interviews: Interviews) -> InterviewOut:
    return InterviewOut.model_validate(await interviews.get_interview(interview_id))

from __future__ import annotations

import httpx


async def _candidate(client: httpx.AsyncClient, auth: dict[str, str]) -> str:
    body = {"external_id": "c1", "name": "Grace Hopper", "phone": "+12125552671"}
    response = await client.post("/api/candidates", json=body, headers=auth)
    return str(response.json()["id"])


async def test_interviewers_and_interviews(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    candidate_id = await _candidate(client, auth)
    made = await client.post(
        "/api/interviewers", json={"name": "Alan Turing", "phone": "+442079460000", "pin": "4321"}, headers=auth
    )
    assert made.status_code == 201, made.text
    interviewer = made.json()
    assert interviewer["has_pin"] is True and "pin" not in interviewer and "pin_hash" not in interviewer

    # A PIN in use is not an error: a 409 here told anyone with the API key that the PIN exists (issue #13).
    shared = await client.post("/api/interviewers", json={"name": "Other", "pin": "4321"}, headers=auth)
    assert shared.status_code == 201, shared.text

    interview = await client.post(
        "/api/interviews",
        json={
            "candidate_id": candidate_id,
            "interviewer_id": interviewer["id"],
            "role": "Account Executive",
            "scheduled_at": "2026-12-02T17:00:00Z",
            "resume_summary": "Eight years of SaaS sales.",
        },
        headers=auth,
    )
    assert interview.status_code == 201, interview.text
    assert interview.json()["room_name"] == f"briefing-{interview.json()['id']}"

    listed = await client.get(f"/api/interviews?interviewer_id={interviewer['id']}", headers=auth)
    assert [i["id"] for i in listed.json()["items"]] == [interview.json()["id"]]
    assert len((await client.get("/api/interviewers", headers=auth)).json()["items"]) == 2


async def test_interview_needs_known_people_and_an_offset(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    candidate_id = await _candidate(client, auth)
    unknown = await client.post(
        "/api/interviews",
        json={"candidate_id": candidate_id, "interviewer_id": "ivr_x", "role": "AE", "scheduled_at": "2026-12-02T17:00:00Z"},
        headers=auth,
    )
    assert unknown.status_code == 404
    naive = await client.post(
        "/api/interviews",
        json={"candidate_id": candidate_id, "interviewer_id": "ivr_x", "role": "AE", "scheduled_at": "2026-12-02T17:00:00"},
        headers=auth,
    )
    assert naive.status_code == 422
    assert "offset" in naive.json()["detail"]
    bad_pin = await client.post("/api/interviewers", json={"name": "X", "pin": "12"}, headers=auth)
    assert bad_pin.status_code == 422 and "4 to 8 digits" in bad_pin.text

"""Candidate API behaviour, run on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from tests.support import T0

ADA = {
    "external_id": "ats-123",
    "name": "Ada Lovelace",
    "phone": "+14155552671",
    "timezone": None,
    "fields": {"quota_attainment": "112%"},
    "required_fields": ["quota_attainment", "start_date"],
}


async def test_create_then_update_by_external_id(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = await client.post("/api/candidates", json=ADA, headers=auth)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"].startswith("cand_")
    assert body["missing_fields"] == ["start_date"]
    assert body["phone"] == "+14155552671"
    assert body["created_at"] == T0.isoformat().replace("+00:00", "Z")

    updated = await client.post(
        "/api/candidates", json={**ADA, "phone": "(415) 555-2671", "fields": {"quota_attainment": "", "start_date": "2027-01-04"}}, headers=auth
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["id"] == body["id"]
    assert updated.json()["missing_fields"] == ["quota_attainment"]

    fetched = await client.get(f"/api/candidates/{body['id']}", headers=auth)
    assert fetched.status_code == 200
    assert fetched.json()["fields"] == {"quota_attainment": "", "start_date": "2027-01-04"}


async def test_auth_is_required_except_for_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).status_code == 200
    missing = await client.post("/api/candidates", json=ADA)
    assert missing.status_code == 401
    wrong = await client.post("/api/candidates", json=ADA, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert "DIALER_API_KEY" in wrong.json()["detail"]


async def test_unknown_candidate_is_404(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get("/api/candidates/cand_missing", headers=auth)
    assert response.status_code == 404
    assert "cand_missing" in response.json()["detail"]


async def test_bad_input_is_422_with_a_message_and_writes_nothing(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    cases = [
        ({**ADA, "phone": "12"}, "phone"),
        ({**ADA, "favourite_colour": "blue"}, "favourite_colour"),
        ({**ADA, "timezone": "Mars/Olympus"}, "time zone"),
        ({k: v for k, v in ADA.items() if k != "name"}, "name"),
    ]
    for body, fragment in cases:
        response = await client.post("/api/candidates", json=body, headers=auth)
        assert response.status_code == 422, response.text
        assert fragment in response.text
    malformed = await client.post(
        "/api/candidates", content=b'{"external_id": ', headers={**auth, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 422
    assert "JSON" in malformed.json()["detail"]
    bulk = await client.post("/api/candidates/bulk", json={"candidates": []}, headers=auth)
    assert bulk.json() == {"created": 0, "updated": 0, "items": []}


async def test_bulk_is_all_or_nothing(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    good = [{**ADA, "external_id": f"ats-{i}", "phone": f"+1415555{i:04d}"} for i in range(1, 6)]
    bad_phone = [*good, {**ADA, "external_id": "ats-bad", "phone": "+1555"}]
    response = await client.post("/api/candidates/bulk", json={"candidates": bad_phone}, headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["candidates", 5, "phone"]
    assert (await client.post("/api/candidates", json={**good[0]}, headers=auth)).status_code == 201  # nothing was written

    duplicate = [*good, {**good[1]}]
    response = await client.post("/api/candidates/bulk", json={"candidates": duplicate}, headers=auth)
    assert response.status_code == 422
    assert "duplicate external_id 'ats-2'" in response.json()["detail"]

    response = await client.post("/api/candidates/bulk", json={"candidates": good}, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 4 and response.json()["updated"] == 1


async def test_oversized_bulk_is_rejected(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    many = [{"external_id": f"x{i}", "name": "N", "phone": "+14155552671"} for i in range(10_001)]
    response = await client.post("/api/candidates/bulk", json={"candidates": many}, headers=auth)
    assert response.status_code == 422
    assert "10000" in response.text

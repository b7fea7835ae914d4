"""The recruiter's read views over the wire, on SQLite and PostgreSQL: candidates listed and searched (paged, by
batch, by a missing field, by name or number), the do-not-call list paged, a call's transcript with the words each
field came from, a batch's outcome breakdown and connect rate by local hour, its CSV export, and the explicit
`again` a completed candidate needs before being rung once more."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from tests.stack import Stack, running_stack

NY_ANSWERS = "+12125550116"  # answers, stays on until hung up
LA_BUSY = "+12135550110"
CHICAGO_NO_ANSWER = "+13125550111"


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    tuned = settings.model_copy(update={"calls_per_second": 100.0})
    async with running_stack(tuned, clock) as s:
        yield s


async def _candidate(stack: Stack, external_id: str, name: str, phone: str, **extra: Any) -> str:
    body = {"external_id": external_id, "name": name, "phone": phone, "required_fields": ["start_date"], **extra}
    response = await stack.http.post("/api/candidates", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _batch(stack: Stack, ids: list[str], **extra: Any) -> str:
    response = await stack.http.post("/api/batches", json={"candidate_ids": ids, "max_attempts": 3, **extra})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _credential(stack: Stack, call: dict[str, Any]) -> dict[str, str]:
    dispatch = next(d for d in stack.sandbox.dispatches if d.room == call["room_name"])
    return {"Authorization": f"Bearer {json.loads(dispatch.metadata)['token']}"}


async def test_candidates_are_paged_searched_and_filtered(stack: Stack) -> None:
    ada = await _candidate(stack, "a1", "Ada Lovelace", "+14155552671")
    grace = await _candidate(stack, "g1", "Grace Hopper", "+12125550123", fields={"start_date": "2027-01-04"})
    alan = await _candidate(stack, "t1", "Alan Turing", "+13125550142", required_fields=["start_date", "notice"])
    batch = await _batch(stack, [ada, alan])

    first = (await stack.http.get("/api/candidates", params={"limit": 2})).json()
    assert [c["id"] for c in first["items"]] == sorted([ada, grace, alan])[:2]
    second = (await stack.http.get("/api/candidates", params={"limit": 2, "after": first["next_after"]})).json()
    assert [c["id"] for c in second["items"]] == sorted([ada, grace, alan])[2:]
    assert second["next_after"] is None

    async def ids(**params: Any) -> list[str]:
        response = await stack.http.get("/api/candidates", params=params)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert await ids(q="grace") == [grace]
    assert await ids(q="LOVE") == [ada]
    assert await ids(q="(312) 555") == [alan]  # digits of the number, however they are written
    assert await ids(q="100%") == []  # LIKE's wildcards are plain characters here
    assert await ids(batch_id=batch) == sorted([ada, alan])
    assert await ids(missing_field="start_date") == sorted([ada, alan])
    assert await ids(missing_field="notice") == [alan]
    assert await ids(missing_field="start_date", batch_id=batch, q="turing") == [alan]
    paged = (await stack.http.get("/api/candidates", params={"missing_field": "start_date", "limit": 1})).json()
    assert len(paged["items"]) == 1 and paged["next_after"] == paged["items"][0]["id"]
    rest = await ids(missing_field="start_date", after=paged["next_after"])
    assert len(rest) == 1 and rest[0] != paged["items"][0]["id"]


async def test_bad_list_parameters_are_422s_that_say_what_to_fix(stack: Stack) -> None:
    for params, fragment in [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"missing_field": "start date"}, "field name is letters"),
        ({"q": ""}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"after": "a" * 65}, "after"),
    ]:
        response = await stack.http.get("/api/candidates", params=params)
        assert response.status_code == 422, (params, response.text)
        assert fragment in response.text
    assert (await stack.http.get("/api/dnc", params={"limit": 1000})).status_code == 422
    unauthenticated = await stack.http.get("/api/candidates", headers={"Authorization": "Bearer nope"})
    assert unauthenticated.status_code == 401


async def test_a_searched_number_never_reaches_the_log(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    await _candidate(stack, "a1", "Ada Lovelace", "+14155552671")
    caplog.set_level(logging.WARNING, logger="httpx")  # the test's own client logs the URLs it requests
    caplog.set_level(logging.INFO)
    for name in ("dialer", "api", "uvicorn", "sqlalchemy.engine", "aiosqlite", "asyncpg"):
        caplog.set_level(logging.DEBUG, logger=name)
    found = await stack.http.get("/api/candidates", params={"q": "4155552671"})
    named = await stack.http.get("/api/candidates", params={"q": "Lovelace"})
    assert len(found.json()["items"]) == 1 and len(named.json()["items"]) == 1
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET /api/candidates 200" in text, text  # the access log ran, naming the route alone
    assert "5552671" not in text and "Lovelace" not in text


async def test_the_access_log_names_the_route_template_never_the_number_in_the_path(
    stack: Stack, caplog: pytest.LogCaptureFixture,
) -> None:
    assert (await stack.http.post("/api/dnc", json={"phone": "+14155550177", "reason": "asked"})).status_code == 201
    caplog.set_level(logging.WARNING, logger="httpx")
    caplog.set_level(logging.INFO, logger="api")
    assert (await stack.http.delete("/api/dnc/+14155550177")).status_code == 204
    assert (await stack.http.get("/api/no-such-route/4155550177")).status_code in (401, 404)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "DELETE /api/dnc/{phone} 204" in text, text
    assert "GET <unmatched>" in text, text
    assert "5550177" not in text


async def test_the_do_not_call_list_is_paged_in_number_order(stack: Stack) -> None:
    numbers = ["+14155550150", "+12125550151", "+13125550152"]
    for number in numbers:
        assert (await stack.http.post("/api/dnc", json={"phone": number, "reason": "asked"})).status_code == 201
    page = (await stack.http.get("/api/dnc", params={"limit": 2})).json()
    assert [i["phone"] for i in page["items"]] == sorted(numbers)[:2]
    assert page["items"][0]["reason"] == "asked" and page["items"][0]["created_at"]
    rest = (await stack.http.get("/api/dnc", params={"after": page["next_after"]})).json()
    assert [i["phone"] for i in rest["items"]] == sorted(numbers)[2:] and rest["next_after"] is None


async def test_a_calls_transcript_and_the_words_each_field_came_from(stack: Stack) -> None:
    ada = await _candidate(stack, "a1", "Ada Lovelace", NY_ANSWERS)
    await _batch(stack, [ada])
    await stack.dispatch()
    call = (await stack.http.get("/api/calls", params={"candidate_id": ada})).json()["items"][0]
    agent = _credential(stack, call)
    turns = [
        {"role": "agent", "text": "Hello, is this Ada?", "at": "2026-12-02T15:00:01Z"},
        {"role": "callee", "text": "Yes. I can start on the fourth of January.", "at": "2026-12-02T15:00:05Z"},
    ]
    sent = await stack.http.post(f"/api/agent/calls/{call['id']}/transcript", json={"turns": turns}, headers=agent)
    assert sent.status_code == 204, sent.text
    saved = await stack.http.post(
        f"/api/agent/calls/{call['id']}/fields",
        json={"name": "start_date", "value": "2027-01-04", "source_text": "the fourth of January"},
        headers=agent,
    )
    assert saved.status_code == 200, saved.text

    record = (await stack.http.get(f"/api/calls/{call['id']}/transcript")).json()
    assert record["candidate_name"] == "Ada Lovelace" and record["state"] == "in_call"
    assert [(t["attempt"], t["role"], t["text"]) for t in record["turns"]] == [
        (1, "agent", "Hello, is this Ada?"), (1, "callee", "Yes. I can start on the fourth of January.")]
    [field] = record["collected_fields"]
    assert field == {**field, "attempt": 1, "name": "start_date", "value": "2027-01-04", "status": "answered",
                     "source_text": "the fourth of January"}
    assert (await stack.http.get("/api/calls/call_nope/transcript")).status_code == 404


async def test_outcomes_and_connect_rate_by_the_callees_local_hour(stack: Stack) -> None:
    ny = await _candidate(stack, "ny", "New York", NY_ANSWERS)
    la = await _candidate(stack, "la", "Los Angeles", LA_BUSY)
    chicago = await _candidate(stack, "chi", "Chicago", CHICAGO_NO_ANSWER)
    stack.clock.advance(timedelta(hours=2))  # 17:00 UTC: 12:00 in New York, 11:00 in Chicago, 09:00 in Los Angeles
    batch = await _batch(stack, [ny, la, chicago])
    await stack.dispatch()
    stats = (await stack.http.get(f"/api/batches/{batch}/stats")).json()
    assert stats["calls"] == 3 and stats["attempts"] == 3
    assert stats["outcomes"]["busy"] == 1 and stats["outcomes"]["no_answer"] == 1
    assert stats["outcomes"]["voicemail"] == 0  # every known outcome is listed
    hours = {h["hour"]: h for h in stats["by_hour"]}
    assert len(hours) == 24
    assert (hours[12]["attempts"], hours[12]["connected"], hours[12]["connect_rate"]) == (1, 1, 1.0)  # New York
    assert (hours[9]["attempts"], hours[9]["connected"], hours[9]["connect_rate"]) == (1, 0, 0.0)  # Los Angeles
    assert (hours[11]["attempts"], hours[11]["connected"]) == (1, 0)  # Chicago
    assert hours[3]["connect_rate"] is None
    assert stats["connect_rate"] == round(1 / 3, 4)
    assert (await stack.http.get("/api/batches/bat_nope/stats")).status_code == 404


async def test_the_export_is_one_row_per_call_with_formulas_defused(stack: Stack) -> None:
    evil = await _candidate(stack, "=HYPERLINK(\"x\")", "@SUM(A1)", NY_ANSWERS, required_fields=["current_title"])
    plain = await _candidate(stack, "p1", "Plain, Name", LA_BUSY)
    stack.clock.advance(timedelta(hours=2))  # 09:00 in Los Angeles: inside the window
    batch = await _batch(stack, [evil, plain])
    await stack.dispatch()
    call = (await stack.http.get("/api/calls", params={"candidate_id": evil})).json()["items"][0]
    saved = await stack.http.post(
        f"/api/agent/calls/{call['id']}/fields",
        json={"name": "current_title", "value": "-1+1", "source_text": "minus one plus one"},
        headers=_credential(stack, call),
    )
    assert saved.status_code == 200, saved.text

    response = await stack.http.get(f"/api/batches/{batch}/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f'filename="{batch}.csv"' in response.headers["content-disposition"]
    rows = {r["candidate_id"]: r for r in csv.DictReader(io.StringIO(response.text))}
    assert set(rows) == {evil, plain}
    assert rows[evil]["external_id"] == "'=HYPERLINK(\"x\")" and rows[evil]["name"] == "'@SUM(A1)"
    assert rows[evil]["current_title"] == "'-1+1" and rows[evil]["phone"] == "'" + NY_ANSWERS
    assert rows[plain]["name"] == "Plain, Name" and rows[plain]["last_outcome"] == "busy"
    assert rows[plain]["current_title"] == "" and rows[plain]["attempts_made"] == "1"
    assert (await stack.http.get("/api/batches/bat_nope/export.csv")).status_code == 404


async def test_a_completed_candidate_is_called_again_only_when_asked(stack: Stack) -> None:
    ada = await _candidate(stack, "a1", "Ada Lovelace", NY_ANSWERS)
    first = await stack.http.post("/api/calls", json={"candidate_id": ada})
    assert first.status_code == 201, first.text
    await stack.dispatch()
    call = (await stack.http.get(f"/api/calls/{first.json()['id']}")).json()
    # The candidate answers the one question ("I don't know"): the call is complete, not merely answered.
    said = await stack.http.post(f"/api/agent/calls/{call['id']}/fields", headers=_credential(stack, call),
                                 json={"name": "start_date", "status": "unknown", "source_text": "no idea yet"})
    assert said.status_code == 200, said.text
    await stack.hang_up(call["room_name"])
    assert (await stack.http.get(f"/api/calls/{first.json()['id']}")).json()["state"] == "completed"

    refused = await stack.http.post("/api/calls", json={"candidate_id": ada})
    assert refused.status_code == 409
    assert "already called" in refused.json()["detail"] and '"again": true' in refused.json()["detail"]
    assert (await stack.http.post("/api/calls", json={"candidate_id": ada, "again": "yes"})).status_code == 422
    again = await stack.http.post("/api/calls", json={"candidate_id": ada, "again": True})
    assert again.status_code == 201, again.text
    assert again.json()["id"] != first.json()["id"]

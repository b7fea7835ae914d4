"""The recruiter's pages in a real browser: a batch from a CSV upload (its preview, the API's messages on the rows
they concern, the batch), candidates searched and opened with each call's answers table and transcript, the
confirmation before ringing a candidate whose call completed, errors beside the control that caused them, live
updates by server-sent events, the batch's charts and CSV export, and a call in a few lines on a phone."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from dialer.clock import ManualClock
from tests.browser.browser import PHONE, Browser
from tests.stack import Stack, running_stack
from tests.support import API_KEY

NY_ANSWERS = "+12125550116"  # answers and stays on until hung up
CHICAGO_BUSY = "+13125550110"  # SIP 486


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    """Other instances' writes are re-read every ten minutes here: a page that updates did so by this instance's
    own wake-up of its event stream, not by any timer."""
    tuned = settings.model_copy(update={"calls_per_second": 100.0, "max_concurrent_calls": 10, "web_events_check_s": 600.0})
    async with running_stack(tuned, clock) as s:
        yield s


async def _candidate(stack: Stack, external_id: str, name: str, phone: str) -> str:
    body = {"external_id": external_id, "name": name, "phone": phone, "required_fields": ["start_date", "current_title"]}
    response = await stack.http.post("/api/candidates", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _agent(stack: Stack, call: dict[str, Any]) -> dict[str, str]:
    dispatch = next(d for d in stack.sandbox.dispatches if d.room == call["room_name"])
    return {"Authorization": f"Bearer {json.loads(dispatch.metadata)['token']}"}


async def _alert(browser: Browser) -> Any:
    from selenium.webdriver.support import expected_conditions

    return await browser.wait(expected_conditions.alert_is_present(), "no confirmation was asked")


async def test_a_batch_from_a_csv_upload_with_the_apis_messages_on_their_rows(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    await browser.sign_in(API_KEY, "/web/upload")
    no_phone = tmp_path / "no-phone.csv"
    no_phone.write_text("external_id,name\na1,Ada\n")
    await browser.run((await browser.wait_visible("#csv-file")).send_keys, str(no_phone))
    await browser.wait_text("#upload .field-error", "must name the columns phone")
    assert await browser.attribute("#csv-file", "aria-invalid") == "true"

    bad = tmp_path / "candidates.csv"
    bad.write_text(
        "external_id,name,phone,timezone,required_fields,current_title\r\n"
        'a1,"Lovelace, Ada",+12125550116,,start_date;current_title,"Head of ""Engines"""\r\n'
        "g1,Grace Hopper,12,,start_date,\r\n"
        "t1,Alan Turing,+13125550110,Mars/Olympus,start_date,\r\n"
    )
    await browser.run((await browser.wait_visible("#csv-file")).send_keys, str(bad))
    await browser.wait_text("#preview-summary", "3 candidates read from the file")
    assert not await browser.script("return document.querySelector('#upload .field-error')")  # the old error went
    assert await browser.text('#preview tr[data-row="0"] td[data-column="name"]') == "Lovelace, Ada"
    assert await browser.text('#preview tr[data-row="0"] td[data-column="current_title"]') == 'Head of "Engines"'
    await browser.type("#batch-name", "From the file")
    await browser.click("#create-batch")
    await browser.wait_text('#preview tr[data-row="1"] td.problem', "phone:")
    assert "time zone" in await browser.text('#preview tr[data-row="2"] td.problem')
    assert await browser.text('#preview tr[data-row="0"] td.problem') == ""
    assert await browser.attribute('#preview tr[data-row="1"] td[data-column="phone"]', "aria-invalid") == "true"
    assert "2 rows have problems (lines 3, 4)" in await browser.text("#preview-section .field-error")
    assert (await stack.http.get("/api/candidates")).json()["items"] == []  # all or nothing: nothing was saved
    await browser.screenshot("upload.png")

    fixed = tmp_path / "fixed.csv"
    fixed.write_text(bad.read_text().replace(",12,", ",+12125550100,").replace("Mars/Olympus", "America/Chicago"))
    await browser.run((await browser.wait_visible("#csv-file")).send_keys, str(fixed))
    await browser.wait_text('#preview tr[data-row="1"] td[data-column="phone"]', "+12125550100")
    await browser.click("#create-batch")
    await browser.wait(lambda d: "/web/#batch=" in d.current_url, "the page did not go to the new batch")
    [batch] = (await stack.http.get("/api/batches")).json()["items"]
    assert batch["name"] == "From the file" and batch["counts"]["scheduled"] == 3 and batch["max_attempts"] == 3
    await browser.wait_text(f'#batches tr[data-id="{batch["id"]}"]', "From the file")
    await browser.wait_text("#calls-title", "Calls in From the file")
    ada = (await stack.http.get("/api/candidates", params={"q": "lovelace"})).json()["items"][0]
    assert ada["fields"] == {"current_title": 'Head of "Engines"'} and ada["missing_fields"] == ["start_date"]
    assert await browser.console_problems() == []


async def test_a_candidate_found_opened_with_answers_and_transcript_and_a_confirmed_second_call(
    stack: Stack, browser: Browser
) -> None:
    ada = await _candidate(stack, "a1", "Ada Lovelace", NY_ANSWERS)
    await _candidate(stack, "g1", "Grace Hopper", CHICAGO_BUSY)
    first = (await stack.http.post("/api/calls", json={"candidate_id": ada})).json()
    await stack.dispatch()
    call = (await stack.http.get(f"/api/calls/{first['id']}")).json()
    agent = _agent(stack, call)
    turns = [
        {"role": "agent", "text": "Hello, this is an automated assistant calling for Ada.", "at": "2026-12-02T15:00:01Z"},
        {"role": "callee", "text": "Speaking. I could start on the fourth of January.", "at": "2026-12-02T15:00:06Z"},
    ]
    assert (await stack.http.post(f"/api/agent/calls/{call['id']}/transcript", json={"turns": turns}, headers=agent)).status_code == 204
    saved = await stack.http.post(f"/api/agent/calls/{call['id']}/fields", headers=agent,
                                  json={"name": "start_date", "value": "2027-01-04", "source_text": "the fourth of January"})
    assert saved.status_code == 200, saved.text
    # Her title too ("I'd rather not say" is her answer): every field has one, so the call completes on hang-up.
    declined = await stack.http.post(f"/api/agent/calls/{call['id']}/fields", headers=agent,
                                     json={"name": "current_title", "status": "declined", "source_text": "rather not say"})
    assert declined.status_code == 200, declined.text

    await browser.sign_in(API_KEY, "/web/candidates")
    await browser.wait_text("#candidates tbody", "Grace Hopper")
    await browser.type("#missing-field", "start date")
    await browser.click("#search-button")
    await browser.wait_text("#search .field-error", "a field name is letters")  # beside the field it concerns
    assert await browser.attribute("#missing-field", "aria-invalid") == "true"
    await browser.type("#missing-field", "")
    await browser.type("#q", "lovelace")
    await browser.click("#search-button")
    await browser.wait(lambda d: len(d.find_elements("css selector", "#candidates tbody tr")) == 1, "search did not narrow")
    assert not await browser.script("return document.querySelector('#search .field-error')")
    await browser.click(f'#candidates tr[data-id="{ada}"] a')
    await browser.wait_text("#candidate-name", "Ada Lovelace")
    row = f'#candidate-calls tr[data-id="{call["id"]}"]'
    await browser.wait_text(f'{row} table.answers tr[data-field="start_date"]', "2027-01-04")
    assert "“the fourth of January”" in await browser.text(f'{row} table.answers tr[data-field="start_date"]')
    await browser.wait_text(f"{row} ol.turns", "I could start on the fourth of January.")
    assert "Agent" in await browser.text(f"{row} ol.turns li.turn.agent")

    # A turn sent now appears without a reload; the callee hangs up: the call is completed.
    late = {"role": "callee", "text": "Thanks, bye.", "at": "2026-12-02T15:01:30Z"}
    assert (await stack.http.post(f"/api/agent/calls/{call['id']}/transcript", json={"turns": [late]}, headers=agent)).status_code == 204
    await browser.wait_text(f"{row} ol.turns", "Thanks, bye.")
    stack.clock.advance(timedelta(seconds=95))
    await stack.hang_up(call["room_name"])
    await browser.wait_text(f"{row} .badge", "completed")
    await browser.screenshot("candidate.png")

    # Calling her again asks first: "no" places nothing, "yes" places one call (with the API's explicit flag).
    await browser.click("#call-this")
    await browser.run((await _alert(browser)).dismiss)
    await browser.wait(lambda d: not d.find_element("css selector", "#call-this").get_attribute("disabled"), "button stayed busy")
    assert len((await stack.http.get("/api/calls", params={"candidate_id": ada})).json()["items"]) == 1
    await browser.click("#call-this")
    alert = await _alert(browser)
    assert "already called and that call completed" in await browser.run(lambda: alert.text)
    await browser.run(alert.accept)
    await browser.wait_text("#announce", "placed: scheduled")
    assert len((await stack.http.get("/api/calls", params={"candidate_id": ada})).json()["items"]) == 2
    await browser.wait(lambda d: len(d.find_elements("css selector", "#candidate-calls > tbody > tr")) == 2, "new call not shown")
    assert await browser.console_problems() == []


async def test_the_dashboard_is_live_by_events_with_charts_export_and_a_phone_layout(stack: Stack, browser: Browser) -> None:
    ny = await _candidate(stack, "ny", "Ny Answers", NY_ANSWERS)
    chicago = await _candidate(stack, "chicago", "Chi Busy", CHICAGO_BUSY)
    batch = (await stack.http.post("/api/batches", json={"candidate_ids": [ny, chicago], "name": "Live"})).json()["id"]
    await browser.sign_in(API_KEY, "/web/")
    await browser.get(f"/web/#batch={batch}")
    await browser.run(browser.driver.refresh)  # a new hash alone does not reload the page
    await browser.wait_text("#calls-title", "Calls in Live")
    await browser.wait(lambda d: d.find_element("css selector", "#live").get_attribute("data-live") == "open", "no live stream")
    await browser.wait_text("#connect-rate", "Connect rate: no attempts yet.")

    await stack.dispatch()  # New York answers, Chicago is busy: only the event stream can tell the page
    await browser.wait_text(f'#batches tr[data-id="{batch}"] .counts li[data-state="in_call"]', "in call 1")
    await browser.wait_text("#connect-rate", "50 % of 2 attempts answered by a person")
    await browser.wait_text('#outcome-chart g[data-key="busy"] .value', "1")  # once the busy attempt has ended
    # 15:00 UTC: 10:00 in New York (answered), 09:00 in Chicago (busy)
    assert await browser.script("return document.querySelectorAll('#hour-chart g[data-hour] rect').length") == 2
    assert await browser.script("return document.querySelector('#hour-chart g[data-hour=\"10\"] title').textContent") == "10:00 — 1 of 1 answered"

    # A call's transcript opens in its row and follows the call: new turns appear as the agent sends them.
    answered = '#calls tr[data-state="in_call"]'
    await browser.click(f"{answered} details.transcript summary")
    await browser.wait_text(f"{answered} .call-record", "No transcript for this call yet.")
    call = (await stack.http.get("/api/calls", params={"candidate_id": ny})).json()["items"][0]
    turn = {"role": "callee", "text": "Yes, this is me.", "at": "2026-12-02T15:00:04Z"}
    sent = await stack.http.post(f"/api/agent/calls/{call['id']}/transcript", json={"turns": [turn]}, headers=_agent(stack, call))
    assert sent.status_code == 204, sent.text
    await browser.wait_text(f"{answered} ol.turns", "Yes, this is me.")

    export = await browser.script(
        "const r = await fetch(document.getElementById('export').href); return [r.status, r.headers.get('content-type'), await r.text()]"
    )
    assert export[0] == 200 and export[1].startswith("text/csv") and export[2].startswith("call_id,candidate_id")
    assert "Chi Busy" in export[2] and "busy" in export[2]

    await browser.run(browser.driver.set_window_size, *PHONE)
    try:
        row = '#calls tr[data-state="scheduled"]'
        await browser.wait_text(row, "busy · SIP 486")
        height = await browser.script(f"return document.querySelector('{row}').getBoundingClientRect().height")
        lines = [line for line in (await browser.text(row)).splitlines() if line.strip()]
        assert height < 200 and len(lines) <= 5, (height, lines)
        assert "Chi Busy" in lines[0] and "scheduled" in " ".join(lines[:2])
    finally:
        await browser.run(browser.driver.set_window_size, 1280, 900)
    assert await browser.console_problems() == []

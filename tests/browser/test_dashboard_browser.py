"""The batch dashboard in a real browser: it follows a batch as the sandbox completes its calls, and pauses,
resumes and cancels batches and calls candidates through the same API as everyone else."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.stack import Stack
from tests.support import API_KEY
from tests.browser.browser import PHONE, Browser

NY_ANSWERS = "+12125550116"  # answers and stays on until hung up
CHICAGO_BUSY = "+13125550110"  # SIP 486


async def _candidate(stack: Stack, external_id: str, phone: str, **extra: object) -> str:
    body = {"external_id": external_id, "name": external_id.title(), "phone": phone, "required_fields": ["start_date"], **extra}
    response = await stack.http.post("/api/candidates", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _batch(stack: Stack, candidate_ids: list[str], name: str) -> str:
    response = await stack.http.post("/api/batches", json={"candidate_ids": candidate_ids, "name": name, "max_attempts": 2})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _row(batch_id: str) -> str:
    return f'#batches tr[data-id="{batch_id}"]'


def _count(batch_id: str, state: str) -> str:
    return f'{_row(batch_id)} .counts li[data-state="{state}"]'


async def test_dashboard_follows_a_batch_as_the_sandbox_completes_its_calls(stack: Stack, browser: Browser) -> None:
    ny = await _candidate(stack, "ny", NY_ANSWERS)
    chicago = await _candidate(stack, "chicago", CHICAGO_BUSY)
    batch_id = await _batch(stack, [ny, chicago], "Q4 sales")

    await browser.sign_in(API_KEY, "/web/")
    await browser.wait_text(_row(batch_id), "Q4 sales")
    await browser.wait_text(_count(batch_id, "scheduled"), "scheduled 2")
    await browser.wait_text(f"{_row(batch_id)} .summary", "0 of 2 calls finished")
    await browser.click(f"{_row(batch_id)} button.show")
    await browser.wait_text("#calls-title", "Calls in Q4 sales")
    await browser.wait_text("#calls tbody", ny)
    assert chicago in await browser.text("#calls tbody")

    # The dispatcher rings both: New York answers (in call), Chicago is busy (486) and is rescheduled.
    await stack.dispatch()
    await browser.wait_text(_count(batch_id, "in_call"), "in call 1")
    await browser.wait_text(_count(batch_id, "scheduled"), "scheduled 1")
    chicago_row = '#calls tr[data-state="scheduled"]'
    await browser.wait_text(f"{chicago_row} .attempts", "busy · SIP 486")
    assert chicago in await browser.text(chicago_row)
    assert "1 of 2" in await browser.text(f'{chicago_row} td[data-label="Attempts"]')
    assert await browser.text(f'{chicago_row} td[data-label="Next attempt"]') != "—"

    # The agent saves an answer on the live call (with the call's own credential): it shows up as collected.
    ny_call = (await stack.http.get("/api/calls", params={"candidate_id": ny})).json()["items"][0]
    dispatch = next(d for d in stack.sandbox.dispatches if d.room == ny_call["room_name"])
    token = json.loads(dispatch.metadata)["token"]
    saved = await stack.http.post(
        f"/api/agent/calls/{ny_call['id']}/fields",
        json={"name": "start_date", "value": "2027-01-04", "source_text": "the fourth of January"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert saved.status_code == 200, saved.text
    await browser.wait_text('#calls tr[data-state="in_call"] .fields', "start_date: 2027-01-04 (answered)")
    await browser.screenshot("dashboard.png")
    await browser.screenshot("dashboard-phone.png", PHONE)

    # The callee hangs up after 42 s: completed, with the duration; the screen reader hears the new totals.
    stack.clock.advance(timedelta(seconds=42))
    await stack.hang_up(ny_call["room_name"])
    await browser.wait_text(_count(batch_id, "completed"), "completed 1")
    await browser.wait_text('#calls tr[data-state="completed"] .attempts', "answered · 42 s")
    await browser.wait_text("#announce", "Q4 sales: 1 of 2 calls finished")

    # Fifteen minutes later the busy number is tried again, is busy again, and the batch is done.
    stack.clock.advance(timedelta(minutes=15))
    await stack.dispatch()
    await browser.wait_text(_count(batch_id, "failed"), "failed 1")
    await browser.wait_text(f"{_row(batch_id)} .badge", "completed")
    await browser.wait_text(f"{_row(batch_id)} .summary", "2 of 2 calls finished")
    assert await browser.console_problems() == []


async def test_pause_resume_and_cancel_from_the_page_with_the_keyboard(stack: Stack, browser: Browser) -> None:
    from selenium.webdriver.common.keys import Keys

    ny = await _candidate(stack, "ny", NY_ANSWERS)
    chicago = await _candidate(stack, "chicago", CHICAGO_BUSY)
    paused_id = await _batch(stack, [ny], "Pause me")
    cancelled_id = await _batch(stack, [chicago], "Cancel me")
    await browser.sign_in(API_KEY, "/web/")

    # Cancel asks first; dismissing changes nothing, accepting cancels for good.
    await browser.click(f"{_row(cancelled_id)} button.cancel")
    await browser.run(lambda: browser.driver.switch_to.alert.dismiss())
    assert (await stack.http.get(f"/api/batches/{cancelled_id}")).json()["status"] == "active"
    await browser.click(f"{_row(cancelled_id)} button.cancel")
    await browser.run(lambda: browser.driver.switch_to.alert.accept())
    await browser.wait_text(f"{_row(cancelled_id)} .badge", "cancelled")
    await browser.wait_text(_count(cancelled_id, "cancelled"), "cancelled 1")
    assert not await browser.script(f"return document.querySelector('{_row(cancelled_id)} button.resume').offsetParent")

    # Pause: Enter on the focused button; focus moves to Resume, which replaced it.
    pause = await browser.wait_visible(f"{_row(paused_id)} button.pause")
    assert await browser.run(pause.get_attribute, "aria-label") == "Pause Pause me"
    await browser.run(pause.send_keys, Keys.ENTER)
    await browser.wait_text(f"{_row(paused_id)} .badge", "paused")
    await browser.wait_text("#announce", "Pause me is paused.")
    assert (await stack.http.get(f"/api/batches/{paused_id}")).json()["status"] == "paused"
    assert await browser.script("return document.activeElement.className") == "resume"
    await stack.dispatch()
    assert NY_ANSWERS not in stack.dialled_numbers()

    # Resume with Enter on the focused button: the batch dials again.
    await browser.run(lambda: browser.driver.switch_to.active_element.send_keys(Keys.ENTER))
    await browser.wait_text(f"{_row(paused_id)} .badge", "active")
    assert (await stack.http.get(f"/api/batches/{paused_id}")).json()["status"] == "active"
    await stack.dispatch()
    assert stack.dialled_numbers() == [NY_ANSWERS]  # and never the cancelled batch's number
    await browser.wait_text(_count(paused_id, "in_call"), "in call 1")


async def test_call_candidate_button_and_its_errors(stack: Stack, browser: Browser) -> None:
    ny = await _candidate(stack, "ny", NY_ANSWERS)
    await browser.sign_in(API_KEY, "/web/")
    await browser.wait_text("#no-batches", "No batches yet")

    # An empty id, then an unknown candidate: each error is shown beside the input, with what was being done.
    await browser.click("#call-candidate")
    await browser.wait_text("#call-now .field-error", "enter a candidate id")
    assert await browser.attribute("#candidate-id", "aria-invalid") == "true"
    await browser.type("#candidate-id", "cand_nobody")
    await browser.click("#call-candidate")
    await browser.wait_text("#call-now .field-error", "Could not call candidate cand_nobody:")
    assert "(HTTP 404)" in await browser.text("#call-now .field-error")
    described = await browser.attribute("#candidate-id", "aria-describedby")
    assert described and await browser.script(
        "return document.getElementById(arguments[0].split(' ').pop()).innerText", described
    ) == await browser.text("#call-now .field-error")
    assert await browser.text("#error") == ""  # nothing at the top of the page, off-screen from the form

    await browser.type("#candidate-id", ny)
    await browser.click("#call-candidate")
    await browser.wait_text("#announce", f"for candidate {ny}")
    assert not await browser.script("return document.querySelector('#call-now .field-error')")
    await browser.wait_text("#single-calls tbody", ny)
    await stack.dispatch()
    assert stack.dialled_numbers() == [NY_ANSWERS]
    await browser.wait_text('#single-calls tr[data-state="in_call"]', "in progress")

    # Calling again while the first call is live is refused by the API; the page says why, beside that button.
    await browser.click('#single-calls tr[data-state="in_call"] button.call')
    await browser.wait_text('#single-calls tr[data-state="in_call"] .actions .field-error', "Could not call Ny:")
    assert "already has an open call" in await browser.text('#single-calls tr[data-state="in_call"] .field-error')
    assert stack.dialled_numbers() == [NY_ANSWERS]

"""The briefing page on the built-in sandbox, in a real browser: before anything is pressed it says that browser
audio needs a real LiveKit, and it offers the text briefing, where the real briefing agent answers in writing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from agent.policy_llm import PolicyLLM
from config.settings import Settings
from dialer.clock import ManualClock
from tests.browser.browser import Browser
from tests.browser.test_briefing_browser import _interview
from tests.stack import Stack, running_stack
from tests.support import API_KEY


@pytest.fixture
async def stack(settings: Settings, clock: ManualClock) -> AsyncIterator[Stack]:
    async with running_stack(settings, clock, conversations=True, conversation_model=PolicyLLM) as s:
        yield s


async def test_the_sandbox_page_says_audio_needs_livekit_and_offers_a_text_briefing(stack: Stack, browser: Browser) -> None:
    interview = await _interview(stack)
    await browser.sign_in(API_KEY, f"/web/briefing?interview_id={interview['id']}")
    note = await browser.wait_visible("#sandbox-note")
    assert "Browser audio needs a real LiveKit server" in note.text
    await browser.wait_visible("#text-briefing")
    await browser.wait_text("#interview-details", "Ada Lovelace")

    await browser.click("#text-start")  # no name yet: said next to nothing, asked for
    await browser.wait_text("#error", "Cannot start the text briefing: enter your name")
    await browser.type("#user-name", "Alan Turing")
    await browser.click("#text-start")
    await browser.wait_text("#chat-log", "Here is your briefing on Ada Lovelace", timeout=30)
    assert "Eight years of SaaS sales." in await browser.text("#chat-log")
    assert await browser.script("return document.activeElement.id") == "chat-input"

    await browser.type("#chat-input", "Does she speak French?")
    await browser.click("#chat-send")
    await browser.wait_text("#chat-log", "I don't know that: the record does not say.", timeout=30)
    assert "You:Does she speak French?" in await browser.text("#chat-log")
    await browser.screenshot("briefing-text.png")

    await browser.click("#text-end")
    await browser.wait(lambda d: not d.find_element("id", "text-end").is_displayed(), "End still shown")
    room = interview["room_name"]
    await stack.sandbox.wait_until(lambda: not any(p.kind == 0 for p in stack.sandbox.participants.get(room, {}).values()))
    assert await browser.text("#error") == "" and await browser.text("#text-error") == ""
    assert await browser.console_problems() == []


async def test_a_sandbox_refusal_is_shown_to_the_interviewer(
    stack: Stack, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sandbox.text_chat.MAX_CHATS", 0)  # the sandbox refuses a new chat (HTTP 429)
    interview = await _interview(stack)
    await browser.sign_in(API_KEY, f"/web/briefing?interview_id={interview['id']}")
    await browser.wait_visible("#text-briefing")
    await browser.wait_text("#interview-details", "Ada Lovelace")
    await browser.type("#user-name", "Alan Turing")
    await browser.click("#text-start")
    await browser.wait_text("#text-error", "Could not start the text briefing: too many text chats are open in the sandbox (HTTP 429)")
    assert await browser.text("#error") == ""  # shown beside the chat's controls, not at the top
    assert not await browser.script("return document.getElementById('chat-form').offsetParent")
    assert await browser.attribute("#text-start", "disabled") is None

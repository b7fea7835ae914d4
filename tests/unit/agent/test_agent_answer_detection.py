"""Answering-machine detection on phone calls (issue 12 items 5, 6, 7): call screening is answered, a silent
answerer is greeted within seconds, and a job waits for its own callee."""

from __future__ import annotations

import asyncio
import json

import pytest
from livekit.agents.voice.amd.classifier import AMD_PROMPT, AMDCategory, AMDPredictionEvent, _AMDClassifier

from agent.answering import answer_action, is_call_screening
from agent.detection import NO_SPEECH_S, PHONE_DETECTION, phone_prompt
from agent.modes import expected_callee
from dialer.agent_dispatch import call_room, gap_filling_metadata

SCREENING = [
    "Please state your name and why you're calling, and I will check if the person is available.",
    "Hi, the person you're calling is using a screening service. Say your name and the reason for your call.",
    "Who's calling, please?",
    "Google Assistant here, this call is being screened. What is this regarding?",
]
MENUS = [
    "Thank you for calling Truly Pizza. If you'd like to place an order, please press 1.",
    "For sales, press 2. To say your name and leave a message, press 3.",
]


@pytest.mark.parametrize("words", SCREENING)
def test_call_screening_classed_as_an_ivr_is_answered_with_the_greeting(words: str) -> None:
    assert is_call_screening(words)
    assert answer_action(amd_category="machine-ivr", transcript=words) == "greet"


@pytest.mark.parametrize("words", MENUS)
def test_a_keypad_menu_is_still_hung_up_on(words: str) -> None:
    assert not is_call_screening(words)
    assert answer_action(amd_category="machine-ivr", transcript=words) == "hang_up"


def test_other_verdicts_are_unchanged() -> None:
    assert answer_action(amd_category="machine-vm", transcript="Leave a message after the tone.") == "voicemail"
    assert answer_action(amd_category="machine-unavailable", transcript="The mailbox is full.") == "hang_up"
    assert answer_action(amd_category="human", transcript="Hello?") == "greet"
    assert answer_action(amd_category="uncertain") == "greet"


def test_the_classifier_prompt_calls_screening_a_person() -> None:
    assert "Output: machine-ivr\nNote: this should apply for any call screening prompts." in AMD_PROMPT
    prompt = PHONE_DETECTION["prompt"]
    assert "call screening prompts." not in prompt and "any call screening prompt" in prompt
    screening_example = prompt.split("Please state your name and why you're calling", 1)[1]
    assert screening_example.split("Output: ", 1)[1].startswith("human")
    assert "Input: \"Hello, this is Lisa.\"\nOutput: human" in prompt  # the library's other examples are kept
    assert phone_prompt("Classify it.").endswith("never hung up on. Only a menu that asks to press or say an "
                                                 "option is machine-ivr.")


class _NoModel:
    """Silence needs no model: the classifier settles on its timers alone."""

    def chat(self, **_kwargs: object) -> None:
        raise AssertionError("no speech was heard, so nothing should be classified")


async def test_a_silent_answerer_is_greeted_after_a_short_wait_not_ten_seconds() -> None:
    classifier = _AMDClassifier(_NoModel(),  # type: ignore[arg-type]
                                no_speech_threshold=PHONE_DETECTION["no_speech_threshold"])
    verdicts: list[AMDPredictionEvent] = []
    classifier.on("amd_prediction", verdicts.append)
    loop = asyncio.get_running_loop()
    started = loop.time()
    classifier.start_detection_timer()
    classifier.start_listening()  # the callee answered and says nothing
    try:
        await asyncio.wait_for(classifier._verdict_ready.wait(), timeout=NO_SPEECH_S + 5.0)
    finally:
        await classifier.close()
    waited = loop.time() - started
    assert [v.category for v in verdicts] == [AMDCategory.UNCERTAIN]
    assert verdicts[0].reason == "no_speech_timeout"
    assert waited < 10.0 - 2.0, f"waited {waited:.1f} s: the library default is 10 s of dead air"
    assert NO_SPEECH_S <= 3.0
    assert answer_action(amd_category=verdicts[0].category.value) == "greet"


def _metadata(call_id: str) -> str:
    return gap_filling_metadata(call_id=call_id, attempt_id="att_1", candidate_id="cand_1", token="t",
                                dialer_url="http://127.0.0.1:1")


def test_a_call_attempt_waits_for_its_own_callee_not_the_first_participant() -> None:
    assert expected_callee(_metadata("call_1"), call_room("call_1", 2)) == "callee-call_1"
    assert expected_callee(_metadata("call_1"), "web-call_1") is None  # a browser call: whoever joins
    assert expected_callee(_metadata("call_1"), call_room("call_2", 1)) is None  # not this call's room
    assert expected_callee(json.dumps({"mode": "briefing", "interview_id": "i"}), "briefing-i") is None
    assert expected_callee("not json", call_room("call_1", 1)) is None
    assert expected_callee(None, call_room("call_1", 1)) is None

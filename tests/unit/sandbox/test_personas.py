"""The sandbox's scripted callees: each answers the agent's words as its persona would, and hangs up when done."""

from __future__ import annotations

import pytest

from agent.schemas import CallField
from sandbox import outcome_for
from sandbox.personas import MAX_TURNS, PERSONAS, answer_for, callee_for

QUOTA = CallField(name="quota_attainment", label="quota attainment", type="percentage",
                  question="What was your quota attainment last year, as a percentage?")
NOTICE = CallField(name="notice_period_weeks", label="notice period", type="number")
GREETING = "Hello, this is an automated assistant calling on behalf of Acme Corp. Am I speaking with Ada Lovelace?"


def test_the_cooperative_callee_answers_each_question_and_confirms_its_read_back() -> None:
    callee = callee_for("cooperative", candidate_name="Ada Lovelace", fields=[QUOTA, NOTICE])
    assert callee.reply(GREETING) == "Yes, this is Ada, speaking."
    assert callee.reply("Thanks Ada, two quick questions. Is now a good time?") == "Sure, go ahead."
    assert callee.reply(QUOTA.question) == "It was a hundred and twelve percent"
    assert callee.reply("Quota attainment: a hundred and twelve percent. Is that right?") == "Yes, that's right."
    assert callee.reply("And how many weeks is your notice period?") == "four weeks"
    assert callee.reply("Thank you, goodbye!") is None


@pytest.mark.parametrize(("persona", "first_words"), [
    ("wrong_person", "No, I think you have the wrong number"),
    ("screens_the_call", "Please state your name and the reason for your call."),
])
def test_personas_that_do_not_say_yes_to_the_greeting(persona: str, first_words: str) -> None:
    callee = callee_for(persona, candidate_name="Ada Lovelace", fields=[QUOTA])
    assert (callee.reply(GREETING) or "").startswith(first_words)


def test_the_screening_callee_cooperates_once_told_who_calls() -> None:
    callee = callee_for("screens_the_call", candidate_name="Ada Lovelace", fields=[QUOTA])
    callee.reply(GREETING)
    assert callee.reply("I'm an automated assistant, calling on behalf of Acme Corp. Am I speaking with Ada?") == (
        "Oh, okay. Yes, this is Ada.")
    assert callee.reply(QUOTA.question) == "It was a hundred and twelve percent"


def test_the_callback_and_opt_out_callees_say_their_piece_after_saying_who_they_are() -> None:
    callback = callee_for("asks_for_callback", candidate_name="Ada Lovelace", fields=[QUOTA])
    assert callback.reply(GREETING) == "Yes, this is Ada, speaking."
    assert "call me back tomorrow at 3pm" in (callback.reply("Is now a good time?") or "")
    opt_out = callee_for("opts_out", candidate_name="Ada Lovelace", fields=[QUOTA])
    opt_out.reply(GREETING)
    assert "don't call me again" in (opt_out.reply("Is now a good time?") or "")


def test_a_mailbox_says_nothing_and_a_stuck_conversation_is_hung_up() -> None:
    assert callee_for("voicemail", candidate_name="Ada", fields=[QUOTA]).reply(GREETING) is None
    callee = callee_for("cooperative", candidate_name="Ada", fields=[QUOTA])
    replies = [callee.reply("Hmm?") for _ in range(MAX_TURNS + 1)]
    assert replies[-1] is None and all(r is not None for r in replies[:-1])


def test_every_field_type_has_an_answer_the_dialers_parser_reads() -> None:
    from datetime import date

    from agent.validation import normalize_answer
    from dialer.fields import CATALOG

    for spec in CATALOG.values():
        item = CallField(name=spec.name, label=spec.label, type=spec.type.value, choices=list(spec.choices),
                         question=spec.question)
        words = answer_for(item).split()
        tails = [" ".join(words[i:]) for i in range(len(words))]
        readable = []
        for tail in tails:
            try:
                readable.append(normalize_answer(item, tail, today=date(2026, 12, 2), currency="USD"))
            except ValueError:
                continue
        assert readable, spec.name


def test_numbers_choose_the_personas() -> None:
    assert {outcome_for(f"+1212555{suffix}").persona for suffix in ("0100", "0109", "0199")} == {"cooperative"}
    assert [outcome_for(f"+1212555{s}").persona for s in ("0115", "0120", "0121", "0122", "0123")] == [
        "voicemail", "asks_for_callback", "opts_out", "wrong_person", "screens_the_call"]
    assert outcome_for("+12125550116").persona is None and outcome_for("+12125550110").persona is None
    assert set(PERSONAS) == {"cooperative", "asks_for_callback", "opts_out", "wrong_person", "screens_the_call",
                             "voicemail"}
    with pytest.raises(ValueError, match="unknown persona"):
        callee_for("chatty", candidate_name="Ada", fields=[])


def test_the_conversations_use_the_configured_model_only_with_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.settings import AgentSettings
    from sandbox.simulated_call import configured_model

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert configured_model(AgentSettings()) is None  # the deterministic policy model then
    assert configured_model(AgentSettings(llm_api_key="sk-test")) is not None
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert configured_model(AgentSettings()) is not None

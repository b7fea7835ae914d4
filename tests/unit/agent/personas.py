"""Scripted callees for the conversation suite: what each says, what a well-behaved model does (for CI, where the
model is scripted), and what must come out of the call whatever the model (saved fields, outcome, lines said).

The same personas run against a real model in test_agent_personas_live.py when OPENAI_API_KEY is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer_testing.scripted_llm import Call, Turn, call, say

FIELDS = ["quota_attainment", "notice_period_weeks"]


@dataclass(frozen=True)
class Persona:
    name: str
    callee: list[str]  # what the callee says, turn by turn, after the greeting
    script: list[Turn]  # the scripted model's turns (CI)
    saved: dict[str, str] = field(default_factory=dict)  # values saved (answered) at the end
    outcome: str | None = "answered"  # what the dialer was told (None: nothing yet, the call goes on)
    do_not_call: bool = False
    callbacks: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)  # lines the agent must have said (substrings)
    never_said: list[str] = field(default_factory=list)


IDENTIFY = [call("confirm_identity"), say("Thanks, Ada. Two quick questions about your application. Is now okay?")]
QUOTA = [
    call("record_field", name="quota_attainment", value="a hundred and twelve percent", confirmed=False),
    say("That's a hundred and twelve percent, right?"),
    call("record_field", name="quota_attainment", value="112%", confirmed=True),
    say("Thanks. How many weeks of notice do you need to give?"),
]
NOTICE = [
    call("record_field", name="notice_period_weeks", value="four weeks", confirmed=False),
    say("Four weeks, correct?"),
    call("record_field", name="notice_period_weeks", value="4", confirmed=True),
    Turn(text="That's everything, thank you Ada. Goodbye!", calls=(Call("end_call", {"reason": "all fields"}),)),
]

PERSONAS = [
    Persona(
        "cooperative",
        ["Yes, speaking", "Sure, go ahead", "It was a hundred and twelve percent", "Yes", "Four weeks", "Correct"],
        [*IDENTIFY, say("What was your quota attainment last year?"), *QUOTA, *NOTICE],
        saved={"quota_attainment": "112%", "notice_period_weeks": "4"},
        said=["Goodbye"],
    ),
    Persona(
        "hesitant",
        ["Um, what is this about?", "Oh. Yes, this is Ada", "I guess so", "Maybe a hundred and twelve percent?",
         "Yeah", "Hmm, four weeks I think", "Yes"],
        [say("I'm an automated assistant calling on behalf of Jordan Lee at Acme Corp. Am I speaking with Ada?"),
         *IDENTIFY, say("What was your quota attainment last year?"), *QUOTA, *NOTICE],
        saved={"quota_attainment": "112%", "notice_period_weeks": "4"},
    ),
    Persona(
        "wrong person",
        ["No, this is her husband. Who is calling?"],
        [call("wrong_person", reason="her husband answered")],
        outcome="wrong_person",
        said=["wrong number"],
        never_said=["Account Executive", "application"],
    ),
    Persona(
        "screening",
        ["Please state your name and the reason for your call.", "Hi, yes, this is Ada"],
        [say("This is an automated assistant calling on behalf of Jordan Lee at Acme Corp, for Ada Lovelace."),
         *IDENTIFY],
        outcome=None,
        said=["automated assistant calling on behalf of Jordan Lee at Acme Corp"],
    ),
    Persona(
        "asks who is calling",
        ["Who is this? Is this a robot?", "Okay. Yes, I'm Ada"],
        [say("Yes, I'm an automated assistant, calling on behalf of Jordan Lee at Acme Corp. "
             "You can reach a person on four one five, five five five, zero one two three. Am I speaking with Ada?"),
         *IDENTIFY],
        outcome=None,
        said=["automated assistant", "four one five, five five five, zero one two three"],
    ),
    Persona(
        "opts out",
        ["Yes", "Take me off your list, don't ever call me again"],
        [*IDENTIFY, call("do_not_call", reason="asked not to be called again")],
        do_not_call=True,
        said=["you won't be called again"],
    ),
    Persona(
        "asks for a callback",
        ["Yes, that's me", "I'm driving, can you call me tomorrow at 3pm?"],
        [*IDENTIFY, call("schedule_callback", local_time="2026-11-26T15:00"),
         Turn(text="Sure, I'll call you tomorrow, Thursday November twenty-sixth, at 3 p.m. your time. Goodbye!",
              calls=(Call("end_call", {"reason": "callback booked"}),))],
        callbacks=["2026-11-26T15:00"],
        said=["tomorrow, Thursday November twenty-sixth, at 3 p.m. your time"],
    ),
    Persona(
        "gives an ambiguous answer",
        ["Yes", "Go ahead", "It depends on the project", "Oh, four weeks then", "Yes"],
        [*IDENTIFY, say("How many weeks of notice do you need to give?"),
         call("record_field", name="notice_period_weeks", value="it depends on the project", confirmed=False),
         say("I need a number of weeks. Roughly how many?"), *NOTICE],
        saved={"notice_period_weeks": "4"},
    ),
    Persona(
        "corrects a read-back",
        ["Yes", "Sure", "A hundred and twelve percent", "No, sorry, a hundred and twenty-one", "Yes, that's right"],
        [*IDENTIFY, say("What was your quota attainment?"),
         call("record_field", name="quota_attainment", value="112 percent", confirmed=False),
         say("A hundred and twelve percent?"),
         call("record_field", name="quota_attainment", value="112%", confirmed=True),  # refused: they said no
         call("record_field", name="quota_attainment", value="121 percent", confirmed=False),
         say("Sorry, a hundred and twenty-one percent?"),
         call("record_field", name="quota_attainment", value="121%", confirmed=True),
         say("Got it. How many weeks of notice?")],
        saved={"quota_attainment": "121%"},
        outcome=None,
    ),
    Persona(
        "no longer looking",
        ["Yes, it's me", "Actually I'm no longer looking for a job"],
        [*IDENTIFY, call("not_looking", reason="no_longer_looking")],
        outcome="no_longer_looking",
        said=["good luck"],
    ),
    Persona(
        "took another job",
        ["Speaking", "I took another job last week"],
        [*IDENTIFY, call("not_looking", reason="accepted_other_job")],
        outcome="accepted_other_job",
        said=["Congratulations on the new job"],
    ),
]

"""What to do once an outbound call is answered: greet a person, leave a message, or hang up.

Pure policy; the worker feeds it the answering-machine verdict (livekit-agents' AMD) and the words it heard, or, on
the sandbox, the `sandbox.answeredBy` attribute that stands in for a real greeting.

Call screening ("Please state your name and why you're calling") is a person's phone asking who calls; the
detector's own prompt classes it as `machine-ivr` (and a model given another prompt may still), which would hang up
on every candidate who screens calls, on every retry. So the words decide: a screening prompt with no keypad menu
in it is answered with the greeting, which says who calls and for whom, and the agent stays on the line.
"""

from __future__ import annotations

import re
from typing import Literal

AnswerAction = Literal["greet", "voicemail", "hang_up"]

MACHINE_VM = "machine-vm"
MACHINE_IVR = "machine-ivr"
MACHINE_NO_MESSAGE = frozenset({"machine-unavailable", MACHINE_IVR})

_SCREENING = re.compile(
    r"\b(?:(?:state|say|record|tell (?:me|us)|give (?:me|us))\s+(?:your|the caller'?s?)\s+name"
    r"|who(?:'s| is)\s+(?:calling|this)"
    r"|(?:why|what)\s+(?:you(?:'re| are)|are you)\s+calling"
    r"|reason for (?:your|the|this) call"
    r"|(?:this|the) (?:call|person) is being screened|screening (?:service|this call)"
    r"|before i (?:try to )?(?:connect|put) you|see if (?:this person|they|he|she) (?:is|are) available"
    r"|what(?:'s| is) (?:this|it) (?:about|regarding)|(?:may|can) i ask who)",
    re.IGNORECASE,
)
_KEYPAD = re.compile(r"\b(?:press|dial|enter)\s+(?:\d|one|two|three|four|five|six|seven|eight|nine|zero|the pound"
                     r"|star|pound)|\bfor \w+,? press\b", re.IGNORECASE)


def is_call_screening(transcript: str) -> bool:
    """A screening prompt (asking who calls, or why) and no keypad menu: a person's phone, not a machine."""
    return bool(_SCREENING.search(transcript)) and not _KEYPAD.search(transcript)


def answer_action(*, amd_category: str | None, sandbox_answered_by: str | None = None,
                  transcript: str = "") -> AnswerAction:
    """`amd_category` is an `AMDCategory` value, or None when detection did not run or failed; `transcript` is
    what the detector heard."""
    if sandbox_answered_by is not None:
        return "voicemail" if sandbox_answered_by == "machine" else "greet"
    if amd_category == MACHINE_VM:
        return "voicemail"
    if amd_category == MACHINE_IVR and is_call_screening(transcript):
        return "greet"  # the greeting answers the screening: who calls, on whose behalf, for whom
    if amd_category in MACHINE_NO_MESSAGE:
        return "hang_up"  # a full mailbox or a menu: nothing useful to say
    # A person, or unsure: greet. Leaving a real person in silence is worse than a wasted greeting.
    return "greet"

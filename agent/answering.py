"""What to do once an outbound call is answered: greet a person, leave a message, or hang up.

Pure policy; the worker feeds it the answering-machine verdict (livekit-agents' AMD) or, on the
sandbox, the `sandbox.answeredBy` attribute that stands in for a real greeting.
"""

from __future__ import annotations

from typing import Literal

AnswerAction = Literal["greet", "voicemail", "hang_up"]

MACHINE_VM = "machine-vm"
MACHINE_NO_MESSAGE = frozenset({"machine-unavailable", "machine-ivr"})


def answer_action(*, amd_category: str | None, sandbox_answered_by: str | None = None) -> AnswerAction:
    """`amd_category` is an `AMDCategory` value, or None when detection did not run or failed."""
    if sandbox_answered_by is not None:
        return "voicemail" if sandbox_answered_by == "machine" else "greet"
    if amd_category == MACHINE_VM:
        return "voicemail"
    if amd_category in MACHINE_NO_MESSAGE:
        return "hang_up"  # a full mailbox or a menu: nothing useful to say
    # A person, or unsure: greet. Leaving a real person in silence is worse than a wasted greeting.
    return "greet"

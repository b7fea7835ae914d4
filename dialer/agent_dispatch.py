"""The dispatch contract between the dialer and the agent worker: two processes, one definition.

What the dialer puts in LiveKit for the agent to find (the agent dispatch's metadata, the `dialer.*` participant
attributes, the callee's identity, the room names), and the LiveKit attributes the agent reads. The metadata is
scoped to one call or interview and carries its credential; attributes are visible to everyone in the room, so they
carry the mode and ids only. Pure (standard library only): agent/ imports it without the rest of the dialer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final, Literal

Mode = Literal["gap_filling", "briefing"]
GAP_FILLING: Final = "gap_filling"
BRIEFING: Final = "briefing"
MODES: Final = (GAP_FILLING, BRIEFING)

# Dispatch metadata keys (JSON object).
KEY_MODE: Final = "mode"
KEY_CALL_ID: Final = "call_id"
KEY_ATTEMPT_ID: Final = "attempt_id"
KEY_CANDIDATE_ID: Final = "candidate_id"
KEY_INTERVIEW_ID: Final = "interview_id"
KEY_TOKEN: Final = "token"
KEY_DIALER_URL: Final = "dialer_url"

# Participant attributes the dialer sets (and provisioning declares on the briefing dispatch rule).
ATTR_MODE: Final = "dialer.mode"
ATTR_CALL_ID: Final = "dialer.call_id"
ATTR_INTERVIEW_ID: Final = "dialer.interview_id"
# Attributes LiveKit (or the sandbox) sets on a SIP participant, read by the agent and the dialer.
ATTR_SIP_CALL_STATUS: Final = "sip.callStatus"
ATTR_SIP_PHONE: Final = "sip.phoneNumber"
ATTR_SANDBOX_ANSWERED_BY: Final = "sandbox.answeredBy"

BRIEFING_ROOM_PREFIX: Final = "briefing-call-"  # inbound callers to the briefing number, one room each
CALL_ROOM_PREFIX: Final = "call-"  # the dialer's phone attempts


def call_room(call_id: str, attempt_number: int) -> str:
    """A phone attempt's room: one per attempt, so a late webhook from an earlier attempt touches nothing."""
    return f"{CALL_ROOM_PREFIX}{call_id}-{attempt_number}"


def is_call_room(room_name: str) -> bool:
    return room_name.startswith(CALL_ROOM_PREFIX)


def web_call_room(call_id: str) -> str:
    return f"web-{call_id}"


def interview_room(interview_id: str) -> str:
    return f"briefing-{interview_id}"


def callee_identity(call_id: str) -> str:
    """The SIP participant the dialer creates for a call's candidate."""
    return f"callee-{call_id}"


def is_callee(identity: str, attributes: Mapping[str, str], call_id: str) -> bool:
    return identity == callee_identity(call_id) or attributes.get(ATTR_CALL_ID) == call_id


def gap_filling_metadata(
    *, call_id: str, attempt_id: str, candidate_id: str, token: str, dialer_url: str
) -> str:
    return json.dumps({
        KEY_MODE: GAP_FILLING,
        KEY_CALL_ID: call_id,
        KEY_ATTEMPT_ID: attempt_id,
        KEY_CANDIDATE_ID: candidate_id,
        KEY_TOKEN: token,
        KEY_DIALER_URL: dialer_url,
    })


def briefing_metadata(*, interview_id: str, token: str, dialer_url: str) -> str:
    return json.dumps({KEY_MODE: BRIEFING, KEY_INTERVIEW_ID: interview_id, KEY_TOKEN: token, KEY_DIALER_URL: dialer_url})


def inbound_briefing_metadata() -> str:
    """The same for every caller to the briefing number, so no credential: the agent identifies the caller."""
    return json.dumps({KEY_MODE: BRIEFING})


def gap_filling_attributes(call_id: str) -> dict[str, str]:
    return {ATTR_MODE: GAP_FILLING, ATTR_CALL_ID: call_id}


def briefing_attributes(interview_id: str | None = None) -> dict[str, str]:
    return {ATTR_MODE: BRIEFING, ATTR_INTERVIEW_ID: interview_id} if interview_id else {ATTR_MODE: BRIEFING}

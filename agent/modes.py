"""Which conversation a job is: pure resolution from dispatch metadata + participant attributes.

The dispatch metadata is authoritative (it is scoped to one call and carries the credential);
participant attributes are visible to the whole room, so they may only *confirm* it. Any
disagreement between the two is refused: talking to the wrong person about the wrong record is
worse than not talking at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from dialer.agent_dispatch import (
    ATTR_CALL_ID,
    ATTR_INTERVIEW_ID,
    ATTR_MODE,
    ATTR_SANDBOX_ANSWERED_BY,
    ATTR_SIP_CALL_STATUS,
    ATTR_SIP_PHONE,
    GAP_FILLING,
    KEY_ATTEMPT_ID,
    KEY_CALL_ID,
    KEY_CANDIDATE_ID,
    KEY_DIALER_URL,
    KEY_INTERVIEW_ID,
    KEY_MODE,
    KEY_TOKEN,
    MODES,
    callee_identity,
)

__all__ = ["ATTR_SANDBOX_ANSWERED_BY", "ATTR_SIP_CALL_STATUS", "BriefingJob", "GapFillingJob", "ModeError",
           "ResolvedJob", "expected_callee", "is_sip", "resolve_mode"]

Channel = Literal["sip", "web"]


@dataclass(frozen=True)
class GapFillingJob:
    """An outbound (or web) call asking a candidate for missing profile fields."""

    call_id: str
    attempt_id: str | None
    candidate_id: str | None
    token: str
    dialer_url: str | None
    channel: Channel

    def __repr__(self) -> str:  # the token is a credential: keep it out of logs and reprs
        return f"GapFillingJob(call_id={self.call_id!r}, channel={self.channel!r})"


@dataclass(frozen=True)
class BriefingJob:
    """An interviewer briefing. `interview_id` is None for an inbound caller not yet identified;
    then `token` is None too and the worker's own agent credential is used."""

    interview_id: str | None
    token: str | None
    dialer_url: str | None
    channel: Channel
    caller_phone: str | None = None

    @property
    def needs_identification(self) -> bool:
        return self.interview_id is None

    def __repr__(self) -> str:  # no token, no phone number
        return f"BriefingJob(interview_id={self.interview_id!r}, channel={self.channel!r})"


@dataclass(frozen=True)
class ModeError:
    """Why the job cannot be served; safe to log (no secrets, no phone numbers)."""

    reason: str


ResolvedJob = GapFillingJob | BriefingJob


def is_sip(attributes: Mapping[str, str]) -> bool:
    """SIP participants carry `sip.*` attributes; browser participants have none."""
    return any(key.startswith("sip.") for key in attributes)


def expected_callee(metadata: str | None, room_name: str) -> str | None:
    """The identity of the phone leg the dialer creates in a call attempt's room (`callee-{call_id}` in
    `call-{call_id}-{n}`), so the job waits for that participant and no other; None for any other room (browser
    calls, briefings), where the first participant is the one served."""
    try:
        meta = json.loads(metadata or "")
    except ValueError:
        return None
    call_id = _text(meta.get(KEY_CALL_ID)) if isinstance(meta, dict) and meta.get(KEY_MODE) == GAP_FILLING else None
    if call_id is None or not room_name.startswith(f"call-{call_id}-"):
        return None
    return callee_identity(call_id)


def resolve_mode(metadata: str | None, attributes: Mapping[str, str]) -> GapFillingJob | BriefingJob | ModeError:
    """Resolve the job's mode, or say why it cannot be resolved."""
    if not metadata or not metadata.strip():
        return ModeError("dispatch metadata is missing")
    try:
        meta = json.loads(metadata)
    except ValueError:
        return ModeError("dispatch metadata is not valid JSON")
    if not isinstance(meta, dict):
        return ModeError("dispatch metadata is not a JSON object")

    mode = meta.get(KEY_MODE)
    if mode not in MODES:
        return ModeError(f"dispatch metadata has no known mode (got {_shown(mode)})")
    attr_mode = attributes.get(ATTR_MODE)
    if attr_mode and attr_mode != mode:
        return ModeError(f"contradictory mode: dispatch says {mode}, participant says {_shown(attr_mode)}")

    channel: Channel = "sip" if is_sip(attributes) else "web"
    dialer_url = _text(meta.get(KEY_DIALER_URL))
    if mode == GAP_FILLING:
        return _gap_filling(meta, attributes, channel, dialer_url)
    return _briefing(meta, attributes, channel, dialer_url)


def _gap_filling(
    meta: dict[str, object], attributes: Mapping[str, str], channel: Channel, dialer_url: str | None
) -> GapFillingJob | ModeError:
    call_id = _text(meta.get(KEY_CALL_ID))
    token = _text(meta.get(KEY_TOKEN))
    if call_id is None:
        return ModeError("gap_filling dispatch has no call_id")
    if token is None:
        return ModeError("gap_filling dispatch has no token")
    attr_call = attributes.get(ATTR_CALL_ID)
    if attr_call and attr_call != call_id:
        return ModeError("contradictory call ids between dispatch and participant")
    if attributes.get(ATTR_INTERVIEW_ID):
        return ModeError("contradictory: gap_filling dispatch but participant names an interview")
    return GapFillingJob(
        call_id=call_id,
        attempt_id=_text(meta.get(KEY_ATTEMPT_ID)),
        candidate_id=_text(meta.get(KEY_CANDIDATE_ID)),
        token=token,
        dialer_url=dialer_url,
        channel=channel,
    )


def _briefing(
    meta: dict[str, object], attributes: Mapping[str, str], channel: Channel, dialer_url: str | None
) -> BriefingJob | ModeError:
    if attributes.get(ATTR_CALL_ID):
        return ModeError("contradictory: briefing dispatch but participant names a call")
    interview_id = _text(meta.get(KEY_INTERVIEW_ID))
    token = _text(meta.get(KEY_TOKEN))
    attr_interview = attributes.get(ATTR_INTERVIEW_ID)
    if interview_id is None:
        if attr_interview:
            # A room attribute alone must not unlock a briefing: it is visible to everyone.
            return ModeError("participant names an interview the dispatch does not carry")
        if channel != "sip":
            return ModeError("briefing dispatch has no interview_id and the participant is not a phone caller")
        return BriefingJob(
            interview_id=None,
            token=None,
            dialer_url=dialer_url,
            channel="sip",
            caller_phone=attributes.get(ATTR_SIP_PHONE) or None,
        )
    if token is None:
        return ModeError("briefing dispatch names an interview but carries no token")
    if attr_interview and attr_interview != interview_id:
        return ModeError("contradictory interview ids between dispatch and participant")
    return BriefingJob(
        interview_id=interview_id,
        token=token,
        dialer_url=dialer_url,
        channel=channel,
        caller_phone=attributes.get(ATTR_SIP_PHONE) or None,
    )


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _shown(value: object) -> str:
    """Echo an unexpected mode value in a log-safe, bounded form."""
    return repr(value)[:40]

"""The one decision the scheduler asks about a candidate: dial now, wait, give up, or cancel.

The reason is a sentence for the decision trail that a recruiter can read; it never contains the phone
number. The retry delay is not applied here: the caller folds it into `not_before` (next_attempt_at).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from dialer.policy.outcome import Outcome
from dialer.policy.window import WEEKDAY_NAMES, CallingWindow, next_allowed_at
from dialer.policy.zones import NoTimeZoneError, callee_zones

CANCELLED_STATUSES = frozenset({"cancelled", "canceled"})
PAUSED_STATUSES = frozenset({"paused"})


class Action(StrEnum):
    DIAL = "dial"
    WAIT = "wait"
    GIVE_UP = "give_up"
    CANCEL = "cancel"


class DecisionCode(StrEnum):
    """Machine-readable reason; stable strings for the API and the decision trail."""

    DUE = "due"
    BATCH_CANCELLED = "batch_cancelled"
    BATCH_PAUSED = "batch_paused"
    DO_NOT_CALL = "do_not_call"
    NOTHING_MISSING = "nothing_missing"
    INVALID_NUMBER = "invalid_number"
    MAX_ATTEMPTS = "max_attempts"
    NO_TIME_ZONE = "no_time_zone"
    NOT_YET = "not_yet"
    OUTSIDE_WINDOW = "outside_window"
    PAST_NOT_AFTER = "past_not_after"
    NO_COMMON_WINDOW = "no_common_window"


@dataclass(frozen=True)
class Decision:
    """`at` is when to dial: `now` for dial, the next allowed instant (UTC) for a timed wait, else None."""

    action: Action
    code: DecisionCode
    reason: str
    at: datetime | None = None


def decide(
    *,
    now: datetime,
    candidate_phone: str,
    candidate_tz: str | None,
    missing_fields: Sequence[str],
    on_dnc: bool,
    attempts_made: int,
    max_attempts: int,
    last_outcome: Outcome | None,
    window: CallingWindow,
    not_before: datetime | None,
    not_after: datetime | None,
    batch_status: str,
) -> Decision:
    """Apply the calling rules in order; the first rule that matches decides.

    Order: cancelled batch, do-not-call, nothing missing, invalid number, max attempts, paused batch,
    no time zone, calling window / not_before / not_after, else dial.
    `batch_status` is compared case-insensitively; anything but cancelled/paused counts as active.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    status = batch_status.strip().lower()
    if status in CANCELLED_STATUSES:
        return Decision(Action.CANCEL, DecisionCode.BATCH_CANCELLED, "the batch was cancelled")
    if on_dnc:
        return Decision(Action.GIVE_UP, DecisionCode.DO_NOT_CALL, "the candidate is on the do-not-call list")
    if not missing_fields:
        return Decision(Action.GIVE_UP, DecisionCode.NOTHING_MISSING, "no profile fields are missing")
    if last_outcome is not None and Outcome(last_outcome) is Outcome.INVALID_NUMBER:
        return Decision(Action.GIVE_UP, DecisionCode.INVALID_NUMBER, "the last attempt reported an invalid number")
    if attempts_made >= max_attempts:
        return Decision(
            Action.GIVE_UP,
            DecisionCode.MAX_ATTEMPTS,
            f"{attempts_made} of {max_attempts} allowed attempts already made",
        )
    if status in PAUSED_STATUSES:
        return Decision(Action.WAIT, DecisionCode.BATCH_PAUSED, "the batch is paused")
    try:
        zones = callee_zones(candidate_phone, candidate_tz)
    except NoTimeZoneError as exc:
        return Decision(Action.GIVE_UP, DecisionCode.NO_TIME_ZONE, f"cannot tell the callee's local time ({exc})")
    return _timing(now, zones, window, not_before, not_after)


def _timing(
    now: datetime,
    zones: tuple[ZoneInfo, ...],
    window: CallingWindow,
    not_before: datetime | None,
    not_after: datetime | None,
) -> Decision:
    if not_after is not None and now > not_after:
        return Decision(Action.GIVE_UP, DecisionCode.PAST_NOT_AFTER, f"past the last allowed time {_utc(not_after)}")
    at = next_allowed_at(now, zones, window, not_before, None)
    if at is None:
        return Decision(
            Action.GIVE_UP,
            DecisionCode.NO_COMMON_WINDOW,
            f"no time inside the calling window ({window.describe()}) in all of {_names(zones)} "
            "within the search horizon",
        )
    if not_after is not None and at > not_after:
        return Decision(
            Action.GIVE_UP,
            DecisionCode.PAST_NOT_AFTER,
            f"the next allowed time {_utc(at)} is after the last allowed time {_utc(not_after)}",
        )
    if at <= now:
        return Decision(Action.DIAL, DecisionCode.DUE, f"inside the calling window in {_names(zones)}", at=now)
    opens = f"next window opens {_local(at, zones[0])} local ({zones[0].key})"
    if not_before is not None and not_before > now:
        return Decision(Action.WAIT, DecisionCode.NOT_YET, f"not before {_utc(not_before)}; {opens}", at=at)
    closed = [z for z in zones if not window.contains_local(now.astimezone(z))]
    where = ", ".join(f"{z.key} (local {_local_time(now, z)})" for z in closed)
    return Decision(Action.WAIT, DecisionCode.OUTSIDE_WINDOW, f"outside calling window in {where}; {opens}", at=at)


def _names(zones: tuple[ZoneInfo, ...]) -> str:
    return ", ".join(z.key for z in zones)


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _local_time(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"{WEEKDAY_NAMES[local.weekday()]} {local:%H:%M}"

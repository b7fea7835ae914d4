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

from dialer.policy.consent import Consent, missing_consent
from dialer.policy.holidays import DEFAULT_HOLIDAYS, HolidayCalendar
from dialer.policy.local_rules import callee_rules, cap_reopens_at, is_quiet_day, lawful_window, next_lawful_at
from dialer.policy.outcome import Outcome
from dialer.policy.us_states import LocalRules, cite
from dialer.policy.window import WEEKDAY_NAMES, CallingWindow
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
    WRONG_NUMBER = "wrong_number"  # someone else answered this number before; it is not the candidate's
    NO_CONSENT = "no_consent"  # consent is required (DIALER_REQUIRE_CONSENT) and none is on record
    NOTHING_MISSING = "nothing_missing"
    INVALID_NUMBER = "invalid_number"
    MAX_ATTEMPTS = "max_attempts"
    NO_TIME_ZONE = "no_time_zone"
    NOT_YET = "not_yet"
    OUTSIDE_WINDOW = "outside_window"
    PAST_NOT_AFTER = "past_not_after"
    NO_COMMON_WINDOW = "no_common_window"
    STATE_HOURS = "state_hours"  # a state's calling hours are narrower than the window (dialer/policy/us_states.py)
    STATE_QUIET_DAY = "state_quiet_day"  # a Sunday or holiday on which the callee's state forbids calls
    STATE_DAILY_CAP = "state_daily_cap"  # the state's limit of calls per 24 hours to the same person is reached
    # Recorded by the call's lifecycle (dialer/lifecycle) rather than decided here: one enum for the whole trail.
    DIAL = "dial"
    RETRY = "retry"
    COMPLETED = "completed"
    MAX_DURATION = "max_duration"  # the dialer ended an answered call at DIALER_MAX_CALL_DURATION_S
    CALLBACK = "callback"
    CALLBACK_REQUESTED = "callback_requested"
    AGENT_ANSWERED = "agent_answered"
    AGENT_VOICEMAIL = "agent_voicemail"
    AGENT_WRONG_PERSON = "agent_wrong_person"
    AGENT_NO_LONGER_LOOKING = "agent_no_longer_looking"
    AGENT_ACCEPTED_OTHER_JOB = "agent_accepted_other_job"
    AGENT_TRANSFERRED = "agent_transferred"
    TRANSFER_STARTED = "transfer_started"  # the agent is handing the candidate to a person (the SIP REFER is out)
    TRANSFER_FAILED = "transfer_failed"  # the agent's transfer to a person did not go through; the call went on
    # An attempt's outcome that the retry policy does not retry (invalid_number above is one too).
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    DECLINED = "declined"
    VOICEMAIL = "voicemail"
    ERROR = "error"
    WRONG_PERSON = "wrong_person"
    NO_LONGER_LOOKING = "no_longer_looking"
    ACCEPTED_OTHER_JOB = "accepted_other_job"
    TRANSFERRED = "transferred"  # the candidate was handed to a person: the call is done
    PARTIALLY_COLLECTED = "partially_collected"
    NOTHING_COLLECTED = "nothing_collected"
    NO_AGENT = "no_agent"  # no agent took the job: not rung, the attempt given back, queued again
    NOT_PLACED = "not_placed"  # held back as the LiveKit circuit opened: not rung, the attempt given back


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
    candidate_state: str | None = None,
    recent_dials: Sequence[datetime] = (),
    holidays: HolidayCalendar = DEFAULT_HOLIDAYS,
    consent: Consent | None = None,
    consent_required: bool = False,
    number_flagged: bool = False,
) -> Decision:
    """Apply the calling rules in order; the first rule that matches decides.

    Order: cancelled batch, do-not-call, a number flagged as someone else's, consent (when required), nothing missing, invalid number, max attempts, paused batch,
    no time zone, state cap on calls per 24 hours, calling window (narrowed by state rules and quiet days) /
    not_before / not_after, else dial.
    `batch_status` is compared case-insensitively; anything but cancelled/paused counts as active.
    The callee's states are the record's (`candidate_state`) plus every state the number's area code serves;
    `recent_dials` are the starts of the dials to this number in (at least) the last 24 hours.
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
    if number_flagged:
        return Decision(
            Action.GIVE_UP,
            DecisionCode.WRONG_NUMBER,
            "someone else answered this number on an earlier call; update the candidate's number to call again",
        )
    no_consent = missing_consent(consent, required=consent_required)
    if no_consent is not None:
        return Decision(Action.GIVE_UP, DecisionCode.NO_CONSENT, no_consent)
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
    rules = callee_rules(candidate_phone, candidate_state)
    return _timing(now, zones, window, rules, holidays, not_before, not_after, recent_dials)


def _timing(
    now: datetime,
    zones: tuple[ZoneInfo, ...],
    window: CallingWindow,
    rules: LocalRules,
    holidays: HolidayCalendar,
    not_before: datetime | None,
    not_after: datetime | None,
    recent_dials: Sequence[datetime],
) -> Decision:
    if not_after is not None and now > not_after:
        return Decision(Action.GIVE_UP, DecisionCode.PAST_NOT_AFTER, f"past the last allowed time {_utc(not_after)}")
    narrowed = lawful_window(window, rules)
    if narrowed is None:
        return Decision(
            Action.GIVE_UP,
            DecisionCode.NO_COMMON_WINDOW,
            f"the calling window ({window.describe()}) has no time left under {cite(rules.applied)}",
        )
    cap_opens = cap_reopens_at(now, recent_dials, rules.max_calls_per_24h)
    earliest = max((t for t in (not_before, cap_opens) if t is not None), default=None)
    at = next_lawful_at(now, zones, window, rules, holidays, earliest, None)
    if at is None:
        return Decision(
            Action.GIVE_UP,
            DecisionCode.NO_COMMON_WINDOW,
            f"no time inside the calling window ({narrowed.describe()}) in all of {_names(zones)} "
            "within the search horizon",
        )
    if not_after is not None and at > not_after:
        return Decision(
            Action.GIVE_UP,
            DecisionCode.PAST_NOT_AFTER,
            f"the next allowed time {_utc(at)} is after the last allowed time {_utc(not_after)}",
        )
    if at <= now:
        applied = f"; state rules: {cite(rules.applied)}" if rules.applied else ""
        return Decision(Action.DIAL, DecisionCode.DUE, f"inside the calling window in {_names(zones)}{applied}", at=now)
    opens = f"next window opens {_local(at, zones[0])} local ({zones[0].key})"
    if cap_opens is not None:
        cap = rules.max_calls_per_24h
        return Decision(
            Action.WAIT,
            DecisionCode.STATE_DAILY_CAP,
            f"{cap} calls in the last 24 hours is the limit ({cite(rules.cap_rules())}); {opens}",
            at=at,
        )
    if not_before is not None and not_before > now:
        return Decision(Action.WAIT, DecisionCode.NOT_YET, f"not before {_utc(not_before)}; {opens}", at=at)
    closed = [z for z in zones if not window.contains_local(now.astimezone(z))]
    if closed:
        where = ", ".join(f"{z.key} (local {_local_time(now, z)})" for z in closed)
        return Decision(Action.WAIT, DecisionCode.OUTSIDE_WINDOW, f"outside calling window in {where}; {opens}", at=at)
    if is_quiet_day(now, zones, rules, holidays):
        return Decision(
            Action.WAIT,
            DecisionCode.STATE_QUIET_DAY,
            f"no calls on Sundays or holidays ({holidays.describe()}) under {cite(rules.day_rules())}; {opens}",
            at=at,
        )
    where = ", ".join(f"{z.key} (local {_local_time(now, z)})" for z in zones)
    return Decision(
        Action.WAIT,
        DecisionCode.STATE_HOURS,
        f"outside the state's calling hours {narrowed.start:%H:%M}-{narrowed.end:%H:%M} in {where} "
        f"({cite(rules.hours_rules())}); {opens}",
        at=at,
    )


def _names(zones: tuple[ZoneInfo, ...]) -> str:
    return ", ".join(z.key for z in zones)


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _local_time(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"{WEEKDAY_NAMES[local.weekday()]} {local:%H:%M}"

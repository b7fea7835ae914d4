"""Calling rules as pure functions: who may be rung, when, and how long to wait after each outcome."""

from dialer.policy.consent import Consent
from dialer.policy.decide import Action, Decision, DecisionCode, decide
from dialer.policy.holidays import DEFAULT_HOLIDAYS, HolidayCalendar
from dialer.policy.outcome import Outcome
from dialer.policy.retry import DEFAULT_RETRY_POLICY, Backoff, RetryPolicy, retry_delay
from dialer.policy.window import HARD_END, HARD_START, CallingWindow, next_allowed_at
from dialer.policy.zones import NoTimeZoneError, callee_zones, local_zone, record_zone_conflict, zone_from_name

__all__ = [
    "DEFAULT_HOLIDAYS",
    "DEFAULT_RETRY_POLICY",
    "HARD_END",
    "HARD_START",
    "Action",
    "Backoff",
    "CallingWindow",
    "Consent",
    "Decision",
    "DecisionCode",
    "HolidayCalendar",
    "NoTimeZoneError",
    "Outcome",
    "RetryPolicy",
    "callee_zones",
    "local_zone",
    "record_zone_conflict",
    "decide",
    "next_allowed_at",
    "retry_delay",
    "zone_from_name",
]

"""What the voice agent may do on one call, through the API with that call's credential, and nothing more."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer import spoken
from dialer.caller_identity import CallerIdentity
from dialer.clock import Clock
from dialer.currency import NO_CURRENCY, currency_for_number
from dialer.errors import Conflict, NotFound, Problem, InvalidInput
from dialer.fields import AnswerStatus, FieldValueError, missing_fields, normalize, spec_for
from dialer.lifecycle.lease import LeaseRules
from dialer.lifecycle.web_calls import open_reserved_web_call
from dialer.lifecycle import ACTIVE, events
from dialer.lifecycle.agent_reports import agent_ended, forbid_retries, request_callback, transfer_failed, transfer_started
from dialer.lifecycle.collected import still_to_ask
from dialer.policy import (
    DEFAULT_HOLIDAYS,
    CallingWindow,
    HolidayCalendar,
    NoTimeZoneError,
    Outcome,
    callee_zones,
    local_zone,
)
from dialer.policy.local_rules import callee_rules, is_lawful_at, lawful_window
from dialer.services.dnc import add_number
from dialer.store.db import Database
from dialer.store.models import Attempt, Call, Candidate, CollectedField, TranscriptTurn
from dialer.telephony.base import Telephony, TelephonyUnavailable

log = logging.getLogger(__name__)

OPEN_FOR_AGENT = ACTIVE
# After the attempt ends, its credential still carries the last transcript turns and the agent's own end report in.
AFTER_END_GRACE = timedelta(seconds=60)


DEFAULT_VOICEMAIL = (
    "Hello, this is an automated assistant calling for {first_name} on behalf of {calling_for}. "
    "Please call us back at {callback}. Thank you!"
)
AGENT_OUTCOMES = ("answered", "voicemail", "wrong_person", "no_longer_looking", "accepted_other_job", "transferred")


@dataclass(frozen=True)
class AgentCallConfig:
    window: CallingWindow
    voicemail_message: str | None
    transfer_number: str | None
    holidays: HolidayCalendar = DEFAULT_HOLIDAYS
    caller_defaults: CallerIdentity = CallerIdentity()
    lease: LeaseRules = LeaseRules(ringing_timeout_s=30, max_call_duration_s=600, grace_s=120)  # a browser call's hold


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def voicemail_text(template: str | None, caller: CallerIdentity, first_name: str) -> str:
    """The message left on a machine: whom we call for and where to call back, nothing about the job."""
    calling_for = f"{caller.recruiter_name} at {caller.company}" if caller.recruiter_name else (caller.company or "")
    values = _Blank(
        company=caller.company or "",
        recruiter=caller.recruiter_name or caller.company or "",
        calling_for=calling_for,
        callback=spoken.phone_words(caller.callback_number) if caller.callback_number else "the number we sent you",
        first_name=first_name,
    )
    return (template or DEFAULT_VOICEMAIL).format_map(values)


@dataclass(frozen=True)
class Turn:
    role: str
    text: str
    at: datetime


def _zone(candidate: Candidate) -> ZoneInfo:
    try:
        return local_zone(candidate.phone, candidate.timezone)
    except NoTimeZoneError:
        return ZoneInfo("UTC")


def _zones(candidate: Candidate, fallback: ZoneInfo) -> list[ZoneInfo]:
    """Where a callback must fall inside the window: the number's zones and the record's, as for every dial."""
    try:
        return list(callee_zones(candidate.phone, candidate.timezone))
    except NoTimeZoneError:
        return [fallback]


def _field_spec_json(name: str) -> dict[str, Any]:
    spec = spec_for(name)
    return {"name": spec.name, "label": spec.label, "type": spec.type.value, "choices": list(spec.choices), "question": spec.question}


class AgentCallService:
    def __init__(self, *, db: Database, clock: Clock, config: AgentCallConfig, telephony: Telephony) -> None:
        self._db = db
        self._clock = clock
        self._config = config
        self._telephony = telephony

    async def _load(self, session: AsyncSession, call_id: str, *, lock: bool = False) -> tuple[Call, Candidate]:
        call = await session.get(Call, call_id, with_for_update=lock)
        if call is None:
            raise NotFound(f"call {call_id} not found")
        candidate = await session.get(Candidate, call.candidate_id, with_for_update=lock)
        assert candidate is not None
        return call, candidate

    async def open_for_agent(self, call_id: str) -> bool:
        """Whether the call's credential still opens it: while it is dialling or in a call, and for a short grace
        after its latest attempt ended. A completed, cancelled or failed call is closed to its agent for good."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            call = await session.get(Call, call_id)
            if call is None:
                # A browser call reserved by its token: the agent's session opening is a join too.
                lease_until = self._config.lease.answered_until(now)
                return await open_reserved_web_call(session, call_id=call_id, now=now, lease_until=lease_until) is not None
            if call.state in OPEN_FOR_AGENT:
                return True
            ended = await session.scalar(select(func.max(Attempt.ended_at)).where(Attempt.call_id == call_id))
        return ended is not None and now - ended <= AFTER_END_GRACE

    async def context(self, call_id: str) -> dict[str, Any]:
        async with self._db.transaction() as session:
            call, candidate = await self._load(session, call_id)
            still_missing = await still_to_ask(session, call, candidate.fields)
        transfer = self._config.transfer_number
        caller = CallerIdentity.from_json(call.caller).over(self._config.caller_defaults)
        first_name = candidate.name.split()[0] if candidate.name.strip() else ""
        return {
            "call_id": call.id,
            "candidate": {"id": candidate.id, "name": candidate.name, "timezone": _zone(candidate).key},
            "fields": [_field_spec_json(name) for name in still_missing],
            "voicemail_message": voicemail_text(self._config.voicemail_message, caller, first_name),
            "transfer_to": f"tel:{transfer}" if transfer else None,
            "caller": caller.as_json() if caller.company else None,
            "consent": {
                "source": candidate.consent_source,
                "channel": candidate.consent_channel,
                "at": candidate.consent_at.isoformat() if candidate.consent_at else None,
            },
            "transcribed": True,  # every turn is stored (transcript_turns) and sent in call.report
            "currency": currency_for_number(candidate.phone),
        }

    async def record_field(
        self, call_id: str, *, name: str, value: str | None, status: AnswerStatus, source_text: str
    ) -> dict[str, Any]:
        now = self._clock.now()
        async with self._db.transaction() as session:
            call, candidate = await self._load(session, call_id, lock=True)
            if name not in call.fields_to_ask:
                raise Conflict(f"{name} is not one of the fields this call asks for ({', '.join(call.fields_to_ask)})")
            normalized: str | None = None
            if status is AnswerStatus.ANSWERED:
                if value is None or not value.strip():
                    raise InvalidInput([Problem(("value",), "an answered field needs a value")])
                currency = currency_for_number(candidate.phone) or NO_CURRENCY
                try:
                    normalized = normalize(
                        spec_for(name), value, today=now.astimezone(_zone(candidate)).date(), default_currency=currency
                    )
                except FieldValueError as exc:
                    raise InvalidInput([Problem(("value",), exc.message)]) from None
                if normalized.endswith(f" {NO_CURRENCY}"):
                    raise InvalidInput([Problem(("value",), "say which currency the amount is in, e.g. 60000 GBP")])
                candidate.fields = {**candidate.fields, name: normalized}
                candidate.updated_at = now
            session.add(
                CollectedField(
                    call_id=call.id,
                    attempt_id=call.current_attempt_id,
                    name=name,
                    value=normalized,
                    status=status.value,
                    source_text=source_text[:2000],
                    at=now,
                )
            )
            attempt = await session.get(Attempt, call.current_attempt_id) if call.current_attempt_id else None
            events.field_collected(session, call, name=name, value=normalized, status=status.value, at=now,
                                   simulated=bool(attempt and attempt.simulated))
            remaining = missing_fields(candidate.required_fields, candidate.fields)
        return {"name": name, "value": normalized, "status": status.value, "missing_fields": remaining}

    async def add_transcript(self, call_id: str, turns: list[Turn]) -> None:
        async with self._db.transaction() as session:
            call, _ = await self._load(session, call_id)
            if call.current_attempt_id is not None:
                attempt = await session.get(Attempt, call.current_attempt_id)
                if attempt is not None and attempt.outcome == "wrong_person":
                    return  # someone else's words: not kept
            for turn in turns:
                session.add(
                    TranscriptTurn(call_id=call.id, attempt_id=call.current_attempt_id, role=turn.role, text=turn.text[:5000], at=turn.at)
                )

    async def do_not_call(self, call_id: str, reason: str) -> None:
        """The callee asked never to be called again: on the list at once, and this call is not retried."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            call, candidate = await self._load(session, call_id, lock=True)
            await add_number(session, candidate.phone, reason or "asked on the call", self._clock)
            candidate.consent_withdrawn_at = now  # an opt-out withdraws consent to be called (TCPA)
            forbid_retries(session, call, now)

    async def _current_attempt(self, session: AsyncSession, call: Call) -> Attempt | None:
        if call.current_attempt_id is None:
            return None
        return await session.get(Attempt, call.current_attempt_id, with_for_update=True)

    async def transfer_started(self, call_id: str) -> None:
        """The agent is sending the REFER: if the phone leg leaves before the agent reports the result, the attempt
        ends `transferred` (see lifecycle.agent_reports)."""
        async with self._db.transaction() as session:
            call, _candidate = await self._load(session, call_id, lock=True)
            attempt = await self._current_attempt(session, call)
            if attempt is None:
                raise Conflict("this call has no attempt in progress")
            transfer_started(session, call, attempt, now=self._clock.now())

    async def transfer_failed(self, call_id: str, sip_status: int | None) -> None:
        """The agent's transfer to a person did not go through: the call goes on, and the trail says so."""
        async with self._db.transaction() as session:
            call, _candidate = await self._load(session, call_id, lock=True)
            attempt = await self._current_attempt(session, call)
            transfer_failed(session, call, attempt, sip_status=sip_status, now=self._clock.now())

    async def callback(self, call_id: str, at_local: datetime) -> dict[str, Any]:
        """Wall time in the candidate's zone; it must fall inside the calling window and in the next 30 days."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            call, candidate = await self._load(session, call_id, lock=True)
            zone = _zone(candidate)
            when = at_local.replace(tzinfo=zone) if at_local.tzinfo is None else at_local
            rules = callee_rules(candidate.phone, candidate.state)
            if not is_lawful_at(when, _zones(candidate, zone), self._config.window, rules, self._config.holidays):
                lawful = lawful_window(self._config.window, rules) or self._config.window
                quiet = " and not on Sundays or holidays" if rules.no_sundays or rules.no_holidays else ""
                raise InvalidInput(
                    [Problem(("at_local",), f"that is outside calling hours ({lawful.describe()} local{quiet}); suggest another time")]
                )
            if when <= now or when > now + timedelta(days=30):
                raise InvalidInput([Problem(("at_local",), "pick a time in the future, within the next 30 days")])
            request_callback(session, call, when=when, zone_key=zone.key, now=now)
        return {"scheduled_at": when.astimezone(ZoneInfo("UTC")).isoformat(), "local": when.isoformat()}

    async def end(self, call_id: str, *, outcome: str, reason: str) -> None:
        """Records how the conversation ended, then closes the call's room (which ends the attempt through LiveKit's
        webhooks; if LiveKit cannot be reached, its empty-room timeout closes it).

        wrong_person: someone else answered. The number is flagged on the candidate (not dialled again while it is
        their number), this attempt's transcript is deleted (a stranger's words) and the call is not retried.
        no_longer_looking / accepted_other_job: the candidate's answer; the call is not retried.
        transferred: the REFER to a person went through; the call is done (what was saved stays saved)."""
        if outcome not in AGENT_OUTCOMES:
            raise InvalidInput([Problem(("outcome",), f"outcome must be one of {', '.join(AGENT_OUTCOMES)}")])
        now = self._clock.now()
        async with self._db.transaction() as session:
            call, candidate = await self._load(session, call_id, lock=True)
            if outcome == "wrong_person":
                candidate.wrong_number = candidate.phone
                await session.execute(
                    delete(TranscriptTurn).where(
                        TranscriptTurn.call_id == call.id, TranscriptTurn.attempt_id == call.current_attempt_id
                    )
                )
            attempt = await self._current_attempt(session, call)
            if attempt is None:
                raise Conflict("this call has no attempt in progress")
            agent_ended(session, call, attempt, outcome=Outcome(outcome), reason=reason, now=now)
            room = call.room_name
        if room:
            try:
                await self._telephony.end_room(room)
            except TelephonyUnavailable as exc:
                log.warning("call %s: could not close its room: %s", call_id, exc.detail)

    async def report(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The post-call report for the recruiter's CRM: outcome, duration, fields collected, transcript."""
        async with self._db.transaction() as session:
            call, candidate = await self._load(session, payload["call_id"])
            attempt = await session.get(Attempt, payload["attempt_id"])
            assert attempt is not None
            fields = list(
                await session.scalars(
                    select(CollectedField).where(CollectedField.attempt_id == attempt.id).order_by(CollectedField.id)
                )
            )
            turns = list(
                await session.scalars(
                    select(TranscriptTurn).where(TranscriptTurn.attempt_id == attempt.id).order_by(TranscriptTurn.at, TranscriptTurn.id)
                )
            )
        return {
            "call_id": call.id,
            "batch_id": call.batch_id,
            "candidate": {"id": candidate.id, "external_id": candidate.external_id, "name": candidate.name},
            "attempt": attempt.number,
            "outcome": attempt.outcome,
            "answered_at": attempt.answered_at.isoformat() if attempt.answered_at else None,
            "ended_at": attempt.ended_at.isoformat() if attempt.ended_at else None,
            "duration_s": attempt.duration_s,
            "simulated": attempt.simulated,  # the built-in sandbox: a scripted callee, no phone
            "fields_collected": [
                {"name": f.name, "value": f.value, "status": f.status, "source_text": f.source_text} for f in fields
            ],
            "missing_fields": missing_fields(candidate.required_fields, candidate.fields),
            "transcript": [{"role": t.role, "text": t.text, "at": t.at.isoformat()} for t in turns],
        }

"""The plan: one transaction decides and records every dial of a dispatcher run.

Lock the trunk's budget row, count active calls, claim due calls (no more than can be dialled now), ask the calling
rules about each, and for those to dial now record the attempt (state `dialing`, attempt id, CPS slot) through the
lifecycle. The transaction commits before any SIP request leaves (dial.py sends them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer import agent_dispatch, credentials
from dialer.clock import Clock
from dialer.engine import queue
from dialer.engine.guard import REACH, EarnedGuard, TrunkGuards, slot_interval
from dialer.engine.lead import PreparationLead
from dialer.fields import missing_fields
from dialer.lifecycle import LeaseRules
from dialer.lifecycle.calls import close_unstarted, reschedule, start_attempt
from dialer.policy import DEFAULT_HOLIDAYS, Action, CallingWindow, HolidayCalendar, Outcome, RetryPolicy, decide
from dialer.policy.local_rules import CAP_PERIOD, callee_rules
from dialer.policy.outcome import GIVEN_BACK
from dialer.store.db import Database
from dialer.store.ids import new_id
from dialer.store.models import Attempt, Batch, Call, Candidate, DoNotCall
from dialer.telephony.base import DialRequest


@dataclass(frozen=True)
class DispatchConfig:
    trunk_id: str
    agent_name: str
    calls_per_second: float
    max_concurrent: int
    window: CallingWindow
    retry: RetryPolicy
    secret: str
    dialer_url: str
    horizon_s: float = 2.0  # plan dials only this far ahead, so a slot never drifts far past its decision
    ringing_timeout_s: int = 30
    max_call_duration_s: int = 600
    lease_s: int = 120
    scan_limit: int = 200  # due calls examined per run (those outside their window are rescheduled)
    tick_s: float = 2.0  # APScheduler's tick; a call due sooner than the next tick gets a wake-up of its own
    cps_guard_min_s: float = 0.1  # the earned CPS guard's floor: covers how much the way to LiveKit varies
    cps_guard_max_s: float = 0.25  # and its ceiling (guard.py)
    holidays: HolidayCalendar = DEFAULT_HOLIDAYS  # for states that forbid calls on holidays
    consent_required: bool = False  # dial only candidates with prior express consent on record
    simulated: bool = False  # the built-in sandbox: attempts are marked simulated (no phone rings)

    @property
    def lease(self) -> LeaseRules:
        return LeaseRules(self.ringing_timeout_s, self.max_call_duration_s, self.lease_s)


@dataclass(frozen=True)
class PlannedDial:
    request: DialRequest
    attempt_id: str
    slot_at: datetime
    probe: bool = False  # the one dial a half-open circuit lets through
    planned_at: datetime | None = None  # the plan's instant: how long the dial took to get ready is measured from it
    guard_s: float = 0.0  # this instance's CPS guard when planned: the dial may send up to a quarter of it late


@dataclass(frozen=True)
class Plan:
    dials: list[PlannedDial]
    claimed: int  # due calls claimed; more than were planned means some were rescheduled or closed instead
    next_slot_at: datetime | None = None  # the trunk's next free CPS slot after this plan (any instance's dials)
    lines_full: bool = False  # every line of the trunk was taken: nothing could be planned until one frees


class DialPlanner:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: DispatchConfig,
        owner: str,
        lead: PreparationLead | None = None,
        guard: EarnedGuard | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._config = config
        self._owner = owner
        self._lead = lead or PreparationLead()
        self._guard = guard or EarnedGuard(floor_s=config.cps_guard_min_s, ceiling_s=config.cps_guard_max_s)

    async def plan(self, allowance: int | None = None) -> Plan:
        """`allowance`: at most this many dials (a half-open circuit's probe); None for no limit but the trunk's."""
        cfg = self._config
        now = self._clock.now()
        planned: list[PlannedDial] = []
        async with self._db.transaction() as session:
            budget = await queue.lock_budget(session, cfg.trunk_id, now)
            # Waiting for the lock (another run, another instance, SQLite's writer) can take long under load: the
            # slots start from when it is held, never from before, and far enough ahead for the dials to get ready.
            now = self._clock.now()
            room = cfg.max_concurrent - await queue.count_active(session, cfg.trunk_id)
            slot = max(budget.next_slot_at, now + timedelta(seconds=self._lead.seconds))
            horizon = now + timedelta(seconds=cfg.horizon_s)
            if room <= 0 or slot > horizon:
                # Every line or every slot in the horizon is taken (by any instance): claim nothing.
                return Plan([], 0, next_slot_at=slot, lines_full=room <= 0)
            own_guard = self._guard.seconds
            guards = TrunkGuards.load(budget.guards)
            interval = slot_interval(cfg.calls_per_second, guards.spacing_s(own_guard, slot))
            free_slots = int((horizon - slot) / interval) + 1
            # Claim no more than can be dialled now: with several instances most runs find only a few free slots,
            # and loading and deciding on rows they cannot dial would only cost CPU (and timing jitter).
            limit = min(cfg.scan_limit, room, free_slots, allowance if allowance is not None else cfg.scan_limit)
            calls = await queue.claim_due(session, trunk_id=cfg.trunk_id, now=now, limit=limit)
            if not calls:
                return Plan([], 0, next_slot_at=slot)
            candidates, batches, blocked, recent = await _context(session, calls, since=now - CAP_PERIOD)
            for call in calls:
                candidate = candidates[call.candidate_id]
                batch = batches.get(call.batch_id) if call.batch_id else None
                decision = decide(
                    now=now,
                    candidate_phone=candidate.phone,
                    candidate_tz=candidate.timezone,
                    missing_fields=missing_fields(call.fields_to_ask, candidate.fields),
                    on_dnc=candidate.phone in blocked,
                    attempts_made=call.attempts_made,
                    max_attempts=call.max_attempts,
                    last_outcome=Outcome(call.last_outcome) if call.last_outcome else None,
                    window=cfg.window,
                    not_before=call.not_before,
                    not_after=call.not_after,
                    batch_status=batch.status if batch else "active",
                    candidate_state=candidate.state,
                    recent_dials=recent.get(candidate.phone, ()),
                    holidays=cfg.holidays,
                    consent=candidate.consent(),
                    consent_required=cfg.consent_required,
                    number_flagged=candidate.wrong_number is not None and candidate.wrong_number == candidate.phone,
                )
                if decision.action is Action.DIAL:
                    if len(planned) >= room or slot > horizon or (allowance is not None and len(planned) >= allowance):
                        continue  # stays due; taken by the next run as slots and lines free up
                    probe = allowance is not None
                    planned.append(self._start_attempt(session, call, candidate, slot, now, decision.reason, probe=probe,
                                                       guard_s=own_guard))
                    recent.setdefault(candidate.phone, []).append(slot)  # counts toward a state's cap in this run
                    slot += interval
                elif decision.action is Action.WAIT:
                    reschedule(session, call, at=decision.at, now=now, code=decision.code, reason=decision.reason)
                else:
                    close_unstarted(session, call, cancelled=decision.action is Action.CANCEL, now=now,
                                    code=decision.code, reason=decision.reason)
            if planned:
                budget.next_slot_at = slot
                budget.guards = guards.recorded(own_guard, until=planned[-1].slot_at + REACH, now=now).dump()
        return Plan(planned, len(calls), next_slot_at=slot, lines_full=len(planned) >= room)

    def _start_attempt(
        self,
        session: AsyncSession,
        call: Call,
        candidate: Candidate,
        slot: datetime,
        now: datetime,
        reason: str,
        *,
        probe: bool = False,
        guard_s: float = 0.0,
    ) -> PlannedDial:
        cfg = self._config
        attempt_id = new_id("att")
        room_name = agent_dispatch.call_room(call.id, call.attempts_made + 1)
        start_attempt(session, call, attempt_id=attempt_id, room_name=room_name, slot=slot, now=now, owner=self._owner,
                      lease=cfg.lease, reason=reason, simulated=cfg.simulated)
        ttl = timedelta(seconds=cfg.ringing_timeout_s + cfg.max_call_duration_s + 600)
        token = credentials.issue(credentials.Scope("call", call.id), secret=cfg.secret, now=now, ttl=ttl)
        metadata = agent_dispatch.gap_filling_metadata(
            call_id=call.id, attempt_id=attempt_id, candidate_id=candidate.id, token=token, dialer_url=cfg.dialer_url
        )
        request = DialRequest(
            call_id=call.id,
            attempt_id=attempt_id,
            room_name=room_name,
            phone_e164=candidate.phone,
            trunk_id=cfg.trunk_id,
            agent_name=cfg.agent_name,
            agent_metadata=metadata,
            participant_identity=agent_dispatch.callee_identity(call.id),
            participant_name=candidate.name,
            participant_attributes=agent_dispatch.gap_filling_attributes(call.id),
            ringing_timeout_s=cfg.ringing_timeout_s,
            max_call_duration_s=cfg.max_call_duration_s,
        )
        return PlannedDial(request=request, attempt_id=attempt_id, slot_at=slot, probe=probe, planned_at=now,
                           guard_s=guard_s)


async def _context(
    session: AsyncSession, calls: Sequence[Call], *, since: datetime
) -> tuple[dict[str, Candidate], dict[str, Batch], set[str], dict[str, list[datetime]]]:
    """The claimed calls' candidates and batches, the numbers on do-not-call, and the dials since `since` to each
    number in a state that caps calls per 24 hours to the same person (only those: the query has a cost)."""
    candidate_ids = {c.candidate_id for c in calls}
    batch_ids = {c.batch_id for c in calls if c.batch_id}
    candidates = {c.id: c for c in await session.scalars(select(Candidate).where(Candidate.id.in_(candidate_ids)))}
    batches = {b.id: b for b in await session.scalars(select(Batch).where(Batch.id.in_(batch_ids)))} if batch_ids else {}
    phones = {c.phone for c in candidates.values()}
    blocked = set(await session.scalars(select(DoNotCall.phone).where(DoNotCall.phone.in_(phones))))
    recent: dict[str, list[datetime]] = {}
    capped = {c.phone for c in candidates.values() if callee_rules(c.phone, c.state).max_calls_per_24h is not None}
    if not capped:
        return candidates, batches, blocked, recent
    dials = await session.execute(
        select(Candidate.phone, Attempt.started_at)
        .join(Call, Call.candidate_id == Candidate.id)
        .join(Attempt, Attempt.call_id == Call.id)
        .where(
            Candidate.phone.in_(capped),
            Attempt.started_at > since,
            # An attempt given back (no agent, or held back as the circuit opened) never rang anyone: not a call
            # under the state's cap.
            or_(Attempt.outcome.is_(None), Attempt.outcome.notin_([given.value for given in GIVEN_BACK])),
        )
    )
    for phone, started_at in dials.all():
        recent.setdefault(phone, []).append(started_at)
    return candidates, batches, blocked, recent

"""The dispatcher: the wake loop that runs plans and starts their dials.

A run is the plan (plan.py: one transaction decides and records every dial, then commits) followed by one task per
planned dial (dial.py: the SIP request leaves at its CPS slot, after that commit). A crash after the commit leaves a
`dialing` row with a lease, which the reconciler settles by asking LiveKit; nothing is ever re-dialled blindly.
Runs are coalesced: new due work, a freed line, the next CPS slot coming into the horizon while calls wait for one,
and the next call falling due before the next tick wake it; a wake-up that arrives while a run is finishing starts
another run rather than being lost. Lines freed on another instance are found by the tick.
The circuit breaker stops claiming while LiveKit or the trunk keeps failing, and lets one probe through to test it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from dialer.clock import Clock
from dialer.engine import queue
from dialer.engine.circuit import CircuitBreaker
from dialer.engine.guard import EarnedGuard
from dialer.engine.lead import PreparationLead
from dialer.engine.leg_status import LegStatuses
from dialer.engine.dial import DialPlacer, Sleeper
from dialer.engine.metrics import DialerMetrics
from dialer.engine.plan import DialPlanner, DispatchConfig, PlannedDial
from dialer.store.db import Database
from dialer.telephony.base import Telephony

__all__ = ["DispatchConfig", "Dispatcher", "PlannedDial"]

log = logging.getLogger(__name__)


class Cancellable(Protocol):
    def cancel(self) -> None: ...


Timer = Callable[[float, Callable[[], None]], Cancellable]  # (delay in seconds, callback): asyncio's call_later


def _call_later(delay_s: float, callback: Callable[[], None]) -> Cancellable:
    return asyncio.get_running_loop().call_later(delay_s, callback)


class Dispatcher:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        telephony: Telephony,
        config: DispatchConfig,
        owner: str,
        sleep: Sleeper = asyncio.sleep,
        circuit: CircuitBreaker | None = None,
        metrics: DialerMetrics | None = None,
        legs: LegStatuses | None = None,
        timer: Timer = _call_later,
    ) -> None:
        self._db = db
        self._clock = clock
        self._config = config
        self._circuit = circuit
        # Both learnt by the placer's dials and used by the planner's slots.
        lead = PreparationLead()
        self.guard = EarnedGuard(floor_s=config.cps_guard_min_s, ceiling_s=config.cps_guard_max_s)
        self.planner = DialPlanner(db=db, clock=clock, config=config, owner=owner, lead=lead, guard=self.guard)
        self.placer = DialPlacer(db=db, clock=clock, telephony=telephony, config=config, sleep=sleep, circuit=circuit,
                                 metrics=metrics, legs=legs, lead=lead, guard=self.guard)
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._wake_requested = False
        self._timer_factory = timer
        self._timer: Cancellable | None = None
        self._slots_free_at: datetime | None = None  # from the last plan: when its trunk's next slot enters the horizon
        self._lines_full = False  # the last plan found every line taken: a line freed here wakes us
        self.running = False  # wake() only dispatches once the runtime has started us

    # -- waking ---------------------------------------------------------------------------------------------------

    def wake(self) -> None:
        """Run soon (coalesced): new due work starts dialling without waiting for the next tick."""
        if not self.running:
            return
        self._wake_requested = True
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(self._run_until_quiet())

    def note_commit(self, info: dict[Any, Any]) -> None:
        """A `Database.on_commit` hook: an attempt on our trunk ended here (a webhook, the reconciler, a dial's
        result), so a line is free; wake if the last run found none."""
        freed = info.pop("lines_freed", ())
        if self._lines_full and self._config.trunk_id in freed:
            self.wake()

    async def _run_until_quiet(self) -> None:
        while self.running:
            while self._wake_requested and self.running:
                self._wake_requested = False
                try:
                    await self.run_once()
                except Exception:
                    log.exception("dispatch run failed; the next tick retries")
                    return
            await self._wake_when_next_due()
            if not self._wake_requested:
                return  # else a wake-up came during the query above: run again (nobody else will start us)

    async def _wake_when_next_due(self) -> None:
        """Quiet now: if the next call falls due before the next tick, wake for it then (a retry, a not_before);
        if calls are due but wait for a CPS slot, wake when the next slot comes into the horizon."""
        async with self._db.transaction() as session:
            next_due = await queue.next_due_at(session, trunk_id=self._config.trunk_id)
        if next_due is None or not self.running:
            return
        now = self._clock.now()
        when = next_due
        if next_due <= now and self._slots_free_at is not None:
            when = self._slots_free_at
        delay = (when - now).total_seconds()
        if 0 < delay < self._config.tick_s:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._timer_factory(delay, self.wake)

    async def drain(self) -> None:
        """Wait until every dial started so far has its result recorded (tests, shutdown)."""
        while self._tasks or (self._runner is not None and not self._runner.done()):
            if self._runner is not None and not self._runner.done():
                await self._runner
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        self.running = False
        if self._timer is not None:
            self._timer.cancel()
        await self.drain()

    # -- one run --------------------------------------------------------------------------------------------------

    async def run_once(self) -> list[PlannedDial]:
        async with self._lock:
            planned = await self._plan()
        for dial in planned:
            task = asyncio.get_running_loop().create_task(self._dial(dial))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return planned

    async def _plan(self) -> list[PlannedDial]:
        allowance = self._circuit.allowance() if self._circuit is not None else None
        if allowance == 0:
            return []  # circuit open: leave the calls queued rather than burn attempts against a failing LiveKit
        plan = await self.planner.plan(allowance)
        self._lines_full = plan.lines_full
        horizon = timedelta(seconds=self._config.horizon_s)
        self._slots_free_at = plan.next_slot_at - horizon if plan.next_slot_at is not None else None
        if len(plan.dials) < plan.claimed:
            self.wake()  # some were rescheduled or closed instead: more due calls may wait behind them
        if plan.dials:
            log.info("dialling %d call(s) on trunk %s", len(plan.dials), self._config.trunk_id)
            if allowance is not None and self._circuit is not None:
                self._circuit.probe_started()
                log.warning("circuit half-open: call %s is the probe", plan.dials[0].request.call_id)
        return plan.dials

    async def _dial(self, dial: PlannedDial) -> None:
        try:
            record = await self.placer.place(dial)
            if record is not None:
                await self.placer.record(dial, record)
        finally:
            self.wake()  # once recorded: an attempt that ended has freed its line

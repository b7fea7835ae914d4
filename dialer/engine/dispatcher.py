"""The dispatcher: the wake loop that runs plans and starts their dials.

A run is the plan (plan.py: one transaction decides and records every dial, then commits) followed by one task per
planned dial (dial.py: the SIP request leaves at its CPS slot, after that commit). A crash after the commit leaves a
`dialing` row with a lease, which the reconciler settles by asking LiveKit; nothing is ever re-dialled blindly.
Runs are coalesced: new due work, a freed line or slot, and the next call falling due before the next tick wake it.
The circuit breaker stops claiming while LiveKit or the trunk keeps failing, and lets one probe through to test it.
"""

from __future__ import annotations

import asyncio
import logging

from dialer.clock import Clock
from dialer.engine import queue
from dialer.engine.circuit import CircuitBreaker
from dialer.engine.leg_status import LegStatuses
from dialer.engine.dial import DialPlacer, Sleeper
from dialer.engine.metrics import DialerMetrics
from dialer.engine.plan import DialPlanner, DispatchConfig, PlannedDial
from dialer.store.db import Database
from dialer.telephony.base import Telephony

__all__ = ["DispatchConfig", "Dispatcher", "PlannedDial"]

log = logging.getLogger(__name__)


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
    ) -> None:
        self._db = db
        self._clock = clock
        self._config = config
        self._circuit = circuit
        self.planner = DialPlanner(db=db, clock=clock, config=config, owner=owner)
        self.placer = DialPlacer(db=db, clock=clock, telephony=telephony, config=config, sleep=sleep, circuit=circuit,
                                 metrics=metrics, legs=legs)
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._wake_requested = False
        self._timer: asyncio.TimerHandle | None = None
        self.running = False  # wake() only dispatches once the runtime has started us

    # -- waking ---------------------------------------------------------------------------------------------------

    def wake(self) -> None:
        """Run soon (coalesced): new due work starts dialling without waiting for the next tick."""
        if not self.running:
            return
        self._wake_requested = True
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(self._run_until_quiet())

    async def _run_until_quiet(self) -> None:
        while self._wake_requested and self.running:
            self._wake_requested = False
            try:
                await self.run_once()
            except Exception:
                log.exception("dispatch run failed; the next tick retries")
                return
        await self._wake_when_next_due()

    async def _wake_when_next_due(self) -> None:
        """Quiet now: if the next call falls due before the next tick, wake for it then (a retry, a not_before)."""
        async with self._db.transaction() as session:
            next_due = await queue.next_due_at(session, trunk_id=self._config.trunk_id)
        if next_due is None or not self.running:
            return
        delay = (next_due - self._clock.now()).total_seconds()
        if 0 < delay < self._config.tick_s:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = asyncio.get_running_loop().call_later(delay, self.wake)

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
        finally:
            self.wake()  # a line and a slot may have freed up
        if record is not None:
            await self.placer.record(dial, record)

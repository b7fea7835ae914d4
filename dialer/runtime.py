"""The composition root: builds every service from settings once, and starts/stops what runs in the background.

LiveKit's address is known before the build (`livekit_target`): LIVEKIT_URL, or the built-in sandbox already started
on loopback, so the same `livekit-api` client code runs and no real phone ever rings.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from config.settings import Settings
from dialer.clock import Clock, SystemClock
from dialer.engine.circuit import CircuitBreaker
from dialer.engine.dispatcher import DispatchConfig, Dispatcher
from dialer.engine.duration_cap import DurationCap
from dialer.engine.leg_status import CHANNEL as LEG_STATUS_CHANNEL
from dialer.engine.leg_status import LegStatuses
from dialer.engine.livekit_events import LiveKitEventHandler
from dialer.engine.metrics import DialerMetrics
from dialer.engine.outbox import OutboxSender
from dialer.engine.reconciler import Reconciler
from dialer.engine.wakeups import Wakeups
from dialer.lifecycle import LeaseRules
from dialer.livekit_target import LiveKitAccess, configured_access, sandbox_access
from dialer.policy import DEFAULT_RETRY_POLICY, CallingWindow
from dialer.ratelimit import Limit
from dialer.services.agent_calls import AgentCallConfig, AgentCallService
from dialer.services.batch_results import BatchResultsService
from dialer.services.batches import BatchService
from dialer.services.briefings import BriefingService
from dialer.services.calls import CallService
from dialer.services.candidates import CandidateService
from dialer.services.changes import ChangeFeed
from dialer.services.dnc import DoNotCallService
from dialer.services.health import HealthService
from dialer.services.interviews import InterviewService
from dialer.services.voice import VoiceService
from dialer.store.db import Database
from dialer.telephony.livekit import LiveKitTelephony

log = logging.getLogger(__name__)


def instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


JOB_DRAIN_S = 10.0  # at stop, how long a scheduled run under way (an outbox send, a reconcile) may take to finish

@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    livekit: LiveKitAccess
    telephony: LiveKitTelephony
    candidates: CandidateService
    interviews: InterviewService
    batches: BatchService
    calls: CallService
    batch_results: BatchResultsService
    changes: ChangeFeed
    dnc: DoNotCallService
    agent_calls: AgentCallService
    dispatcher: Dispatcher
    livekit_events: LiveKitEventHandler
    outbox: OutboxSender
    reconciler: Reconciler
    duration_cap: DurationCap
    voice: VoiceService
    briefings: BriefingService
    owner: str
    circuit: CircuitBreaker
    metrics: DialerMetrics
    wakeups: Wakeups
    health: HealthService
    scheduler: AsyncIOScheduler | None = field(default=None)
    _job_runs: set[asyncio.Task[object]] = field(default_factory=set)  # scheduled runs under way (`_tracked`)

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None, livekit: LiveKitAccess | None = None) -> Runtime:
        """`livekit`: where LiveKit is (livekit_target.livekit_for: LIVEKIT_URL, or a sandbox already started).
        Without it and without LIVEKIT_URL, no LiveKit at all: for the API alone, where nothing is dialled."""
        clock = clock or SystemClock()
        db = Database(settings.database_url)
        if livekit is None:
            livekit = configured_access(settings) or sandbox_access(url="")
        telephony = LiveKitTelephony(
            url=livekit.url, api_key=livekit.api_key, api_secret=livekit.api_secret,
            request_timeout_s=settings.livekit_timeout_s,
            agent_wait_s=settings.agent_wait_s,
        )
        owner = instance_id()
        circuit = CircuitBreaker(
            clock=clock,
            failure_threshold=settings.circuit_failure_threshold,
            cooldown=timedelta(seconds=settings.circuit_cooldown_s),
            # A probe's result may take the whole ringing time-out plus a request time-out to come back.
            probe_timeout=timedelta(seconds=settings.ringing_timeout_s + 2 * settings.livekit_timeout_s),
        )
        metrics = DialerMetrics(  # `outbox` is bound below, before anything can scrape
            circuit=circuit, webhook_failures=lambda: outbox.failures, trunk_id=settings.sip_outbound_trunk_id
        )
        db.on_commit(metrics.note_commit)
        window = CallingWindow.from_strings(settings.call_window_start, settings.call_window_end, settings.call_weekdays)
        retry = DEFAULT_RETRY_POLICY.scaled(settings.sandbox_retry_delay_scale)  # 1 unless on the sandbox
        lease = LeaseRules(settings.ringing_timeout_s, settings.max_call_duration_s, settings.dial_lease_s)
        legs = LegStatuses()  # callee legs' last call status: the webhook handler notes, the placer reads
        dispatcher = Dispatcher(
            db=db,
            clock=clock,
            telephony=telephony,
            owner=owner,
            config=DispatchConfig(
                trunk_id=settings.sip_outbound_trunk_id,
                agent_name=settings.agent_name,
                calls_per_second=settings.calls_per_second,
                max_concurrent=settings.max_concurrent_calls,
                window=window,
                retry=retry,
                secret=settings.secret_key,
                dialer_url=settings.base_url,
                horizon_s=max(settings.dispatch_interval_s, 1.0),
                tick_s=settings.dispatch_interval_s,
                ringing_timeout_s=settings.ringing_timeout_s,
                max_call_duration_s=settings.max_call_duration_s,
                lease_s=settings.dial_lease_s,
                cps_guard_min_s=settings.cps_guard_min_ms / 1000,
                cps_guard_max_s=settings.cps_guard_max_ms / 1000,
                holidays=settings.holiday_calendar,
                consent_required=settings.consent_required,
                simulated=settings.uses_sandbox,
            ),
            circuit=circuit,
            metrics=metrics,
            legs=legs,
        )
        db.on_commit(dispatcher.note_commit)  # a line freed here wakes a dispatcher that found none
        wakeups = Wakeups(db=db, trunk_id=settings.sip_outbound_trunk_id, wake=dispatcher.wake)
        # A leg's departure webhook may reach another instance than the dial task waiting for its status.
        wakeups.subscribe(LEG_STATUS_CHANNEL, legs.heard)
        legs.share_through(partial(wakeups.send, LEG_STATUS_CHANNEL))
        agent_calls = AgentCallService(
            db=db,
            clock=clock,
            config=AgentCallConfig(
                window=window,
                voicemail_message=settings.voicemail_message,
                transfer_number=settings.transfer_number,
                holidays=settings.holiday_calendar,
                caller_defaults=settings.caller_defaults,
                lease=lease,
            ),
            telephony=telephony,
        )
        outbox = OutboxSender(
            db=db, clock=clock, url=settings.webhook_url, secret=settings.webhook_secret, build_report=agent_calls.report
        )
        voice = VoiceService(
            db=db, clock=clock,
            agent_name=settings.agent_name,
            secret=settings.secret_key,
            dialer_url=settings.base_url,
            lease=lease,
            telephony=telephony,
        )
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            livekit=livekit,
            telephony=telephony,
            candidates=CandidateService(
                db=db, clock=clock, default_region=settings.default_region, call_regions=settings.dial_regions
            ),
            interviews=InterviewService(db=db, clock=clock, default_region=settings.default_region, secret=settings.secret_key),
            batches=BatchService(
                db=db, clock=clock,
                trunk_id=settings.sip_outbound_trunk_id,
                default_max_attempts=settings.max_attempts,
                wake=wakeups.announce,
                caller_defaults=settings.caller_defaults,
                region=settings.default_region,
                telephony=telephony,
            ),
            calls=CallService(
                db=db, clock=clock,
                trunk_id=settings.sip_outbound_trunk_id,
                default_max_attempts=settings.max_attempts,
                wake=wakeups.announce,
                caller_defaults=settings.caller_defaults,
                region=settings.default_region,
            ),
            batch_results=BatchResultsService(db=db),
            changes=ChangeFeed(db=db, check_s=settings.web_events_check_s),
            dnc=DoNotCallService(db=db, clock=clock, default_region=settings.default_region, telephony=telephony),
            agent_calls=agent_calls,
            dispatcher=dispatcher,
            livekit_events=LiveKitEventHandler(
                db=db, clock=clock, retry=retry, lease=lease, telephony=telephony, legs=legs
            ),
            outbox=outbox,
            reconciler=Reconciler(
                db=db, clock=clock,
                telephony=telephony,
                retry=retry,
                owner=owner,
                lease_s=settings.dial_lease_s,
                ringing_timeout_s=settings.ringing_timeout_s,
                max_call_duration_s=settings.max_call_duration_s,
            ),
            duration_cap=DurationCap(
                db=db, clock=clock, telephony=telephony, retry=retry, max_call_duration_s=settings.max_call_duration_s
            ),
            voice=voice,
            briefings=BriefingService(
                db=db,
                clock=clock,
                default_region=settings.default_region,
                secret=settings.secret_key,
                caller_id_trusted=settings.briefing_caller_id_trusted,
                pin_failures=Limit(settings.pin_failures_per_15_minutes, timedelta(minutes=15)),
            ),
            owner=owner,
            circuit=circuit,
            metrics=metrics,
            wakeups=wakeups,
            health=HealthService(
                db=db, clock=clock, circuit=circuit, metrics=metrics, owner=owner,
                livekit="sandbox" if settings.uses_sandbox else "livekit",
            ),
        )

    async def start(self) -> None:
        """Start background work: the dispatcher, the wake-up listener and APScheduler's clock."""
        self.dispatcher.running = True
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(self._tick_dispatch, "interval", seconds=self.settings.dispatch_interval_s, id="dispatch")
        scheduler.add_job(self._tracked(self.outbox.run_once), "interval", seconds=2, id="outbox", max_instances=1,
                          coalesce=True)
        scheduler.add_job(
            self._tracked(self.reconciler.run_once), "interval", seconds=self.settings.reconcile_interval_s,
            id="reconcile", max_instances=1, coalesce=True,
        )
        scheduler.add_job(  # durable; each run also sets a wake-up for the next cap (duration_cap.py)
            self._tracked(self.duration_cap.run_and_rearm), "interval", seconds=self.settings.reconcile_interval_s,
            id="duration_cap", max_instances=1, coalesce=True,
        )
        scheduler.start()
        self.scheduler = scheduler
        await self.wakeups.start()
        self.dispatcher.wake()

    def _tracked(self, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        """`job` as APScheduler runs it, with each run kept in `_job_runs` so `stop` can let it finish: APScheduler's
        shutdown cancels a running coroutine job, which logs a traceback for a run that was only asked to stop."""

        async def run() -> None:
            task = asyncio.current_task()
            assert task is not None
            self._job_runs.add(task)
            try:
                await job()
            finally:
                self._job_runs.discard(task)

        return run

    async def _tick_dispatch(self) -> None:
        """APScheduler is only the clock: each tick wakes the dispatcher, which holds no state of its own."""
        self.dispatcher.wake()

    async def stop(self) -> None:
        self.changes.close()  # live pages' streams end, so nothing waits for them
        if self.scheduler is not None:
            self.scheduler.pause()  # no new runs; the ones under way finish (bounded), then the clock stops
            if self._job_runs:
                await asyncio.wait(set(self._job_runs), timeout=JOB_DRAIN_S)
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        self.duration_cap.stop()
        await self.wakeups.stop()
        await self.dispatcher.stop()
        await self.outbox.close()
        await self.telephony.close()
        await self.db.dispose()

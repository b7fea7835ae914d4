"""The composition root: builds every service from settings once, and starts/stops what runs in the background.

Without LIVEKIT_URL the built-in LiveKit sandbox is started on loopback and the dialer is pointed at it: the same
`livekit-api` client code runs, but no real phone ever rings.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from livekit.api import TokenVerifier, WebhookReceiver

from config.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from dialer.clock import Clock, SystemClock
from dialer.engine.circuit import CircuitBreaker, CircuitState
from dialer.engine.dispatcher import DispatchConfig, Dispatcher
from dialer.engine.livekit_events import LiveKitEventHandler
from dialer.engine.metrics import DialerMetrics
from dialer.engine.outbox import OutboxSender
from dialer.engine.reconciler import Reconciler
from dialer.engine.wakeups import Wakeups
from dialer.policy import DEFAULT_RETRY_POLICY, CallingWindow
from dialer.ratelimit import Limit
from dialer.services.agent_calls import AgentCallConfig, AgentCallService
from dialer.services.batches import BatchService
from dialer.services.briefings import BriefingService
from dialer.services.calls import CallService
from dialer.services.candidates import CandidateService
from dialer.services.dnc import DoNotCallService
from dialer.services.interviews import InterviewService
from dialer.services.voice import VoiceService
from dialer.store.db import Database
from dialer.telephony.livekit import LiveKitTelephony

log = logging.getLogger("dialer.runtime")


def instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class LiveKitAccess:
    url: str
    api_key: str
    api_secret: str


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
    dnc: DoNotCallService
    agent_calls: AgentCallService
    dispatcher: Dispatcher
    livekit_events: LiveKitEventHandler
    outbox: OutboxSender
    reconciler: Reconciler
    voice: VoiceService
    briefings: BriefingService
    owner: str
    circuit: CircuitBreaker
    metrics: DialerMetrics
    wakeups: Wakeups
    sandbox: Any = None
    scheduler: AsyncIOScheduler | None = field(default=None)

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None, livekit: LiveKitAccess | None = None) -> Runtime:
        """`livekit`: where LiveKit is. Default: LIVEKIT_URL, else the sandbox (its URL is known once started)."""
        clock = clock or SystemClock()
        db = Database(settings.database_url)
        if livekit is None:
            if settings.uses_sandbox:
                livekit = LiveKitAccess(url="", api_key=SANDBOX_API_KEY, api_secret=SANDBOX_API_SECRET)
            else:
                assert settings.livekit_url and settings.livekit_api_key and settings.livekit_api_secret
                livekit = LiveKitAccess(settings.livekit_url, settings.livekit_api_key, settings.livekit_api_secret)
        telephony = LiveKitTelephony(
            url=livekit.url, api_key=livekit.api_key, api_secret=livekit.api_secret,
            request_timeout_s=settings.livekit_timeout_s,
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
        retry = DEFAULT_RETRY_POLICY
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
                cps_guard_s=settings.cps_guard_ms / 1000,
                holidays=settings.holiday_calendar,
                consent_required=settings.consent_required,
            ),
            circuit=circuit,
            metrics=metrics,
        )
        wakeups = Wakeups(db=db, trunk_id=settings.sip_outbound_trunk_id, wake=dispatcher.wake)
        agent_calls = AgentCallService(
            db=db,
            clock=clock,
            config=AgentCallConfig(
                window=window,
                voicemail_message=settings.voicemail_message,
                transfer_number=settings.transfer_number,
                holidays=settings.holiday_calendar,
                caller_defaults=settings.caller_defaults,
            ),
        )
        outbox = OutboxSender(
            db=db, clock=clock, url=settings.webhook_url, secret=settings.webhook_secret, build_report=agent_calls.report
        )
        voice = VoiceService(
            db=db, clock=clock, telephony=telephony,
            agent_name=settings.agent_name,
            secret=settings.secret_key,
            dialer_url=settings.base_url,
            max_call_duration_s=settings.max_call_duration_s,
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
            ),
            calls=CallService(
                db=db, clock=clock,
                trunk_id=settings.sip_outbound_trunk_id,
                default_max_attempts=settings.max_attempts,
                wake=wakeups.announce,
                caller_defaults=settings.caller_defaults,
                region=settings.default_region,
            ),
            dnc=DoNotCallService(db=db, clock=clock, default_region=settings.default_region),
            agent_calls=agent_calls,
            dispatcher=dispatcher,
            livekit_events=LiveKitEventHandler(db=db, clock=clock, retry=retry, telephony=telephony, voice=voice),
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
        )

    @property
    def webhook_verifier(self) -> TokenVerifier:
        """Checks the JWT LiveKit signs each webhook with (before its body is read)."""
        return TokenVerifier(self.livekit.api_key, self.livekit.api_secret)

    @property
    def webhook_receiver(self) -> WebhookReceiver:
        return WebhookReceiver(TokenVerifier(self.livekit.api_key, self.livekit.api_secret))

    async def start_sandbox(self, *, webhook_url: str | None = None, **options: Any) -> None:
        """`options` go to LiveKitSandbox (tests: ring_delay_s=0, auto_hangup=False, an injected clock)."""
        from sandbox import LiveKitSandbox

        self.sandbox = LiveKitSandbox(
            api_key=self.livekit.api_key,
            api_secret=self.livekit.api_secret,
            webhook_url=webhook_url or f"{self.settings.base_url}/api/livekit/webhook",
            seed_outbound_trunk_id=self.settings.sip_outbound_trunk_id,
            **options,
        )
        url = await self.sandbox.start(self.settings.host, self.settings.sandbox_port)
        self.livekit = LiveKitAccess(url=url, api_key=self.livekit.api_key, api_secret=self.livekit.api_secret)
        self.telephony.url = url
        banner = "=" * 78
        log.warning(
            "\n%s\n  LIVEKIT_URL is not set: using the built-in LiveKit SANDBOX at %s\n"
            "  NO REAL PHONE CALL IS PLACED. Reserved test numbers choose each call's outcome (see README).\n%s",
            banner, url, banner,
        )

    async def start(self) -> None:
        """Start background work: the sandbox (if no LIVEKIT_URL), the dispatcher and APScheduler's clock."""
        if self.settings.uses_sandbox and not self.livekit.url:
            await self.start_sandbox()
        self.dispatcher.running = True
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(self._tick_dispatch, "interval", seconds=self.settings.dispatch_interval_s, id="dispatch")
        scheduler.add_job(self.outbox.run_once, "interval", seconds=2, id="outbox", max_instances=1, coalesce=True)
        scheduler.add_job(
            self.reconciler.run_once, "interval", seconds=self.settings.reconcile_interval_s, id="reconcile",
            max_instances=1, coalesce=True,
        )
        scheduler.start()
        self.scheduler = scheduler
        await self.wakeups.start()
        self.dispatcher.wake()

    async def _tick_dispatch(self) -> None:
        """APScheduler is only the clock: each tick wakes the dispatcher, which holds no state of its own."""
        self.dispatcher.wake()

    def health_details(self) -> dict[str, object]:
        return {
            "livekit": "sandbox" if self.settings.uses_sandbox else "livekit",
            "instance": self.owner,
            "circuit": self.circuit.snapshot().as_dict(),
        }

    @property
    def degraded(self) -> bool:
        """Dialling is paused or probing: LiveKit or the trunk has been failing."""
        return self.circuit.state is not CircuitState.CLOSED

    async def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        await self.wakeups.stop()
        await self.dispatcher.stop()
        await self.outbox.close()
        await self.telephony.close()
        if self.sandbox is not None:
            await self.sandbox.stop()
            self.sandbox = None
        await self.db.dispose()

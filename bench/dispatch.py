"""Dispatch throughput and latency (issue 3): the real Dispatcher, started by the real Runtime (APScheduler tick every
`dispatch_interval_s`, plus `wake()` after each dial), against the LiveKit sandbox through the real livekit-api client
on loopback, with the real API serving the sandbox's signed webhooks: the whole dialer in one process, on a REAL clock.
Prints figures; asserts nothing about time.

Numbers are the sandbox's 555-0110 (or +44 20 7946 0110): it answers SIP 486 Busy at once, so every dial ends immediately and the next
attempt is 15 minutes away (past the end of the run): neither concurrency nor retries can limit a run. Every
candidate's number and time zone are in a zone where it is mid-day now, and the window is the widest allowed (08:00-21:00,
every day), so the calling rules let every call through.

A. Saturated queue: 10,000 calls queued and due when the run starts. For each CPS cap (1, 10, 50) the Runtime runs
   for a fixed number of seconds (the trunk's CPS budget row is reset first; each run dials different calls), twice:
   with a fixed guard (`--baseline-guard-ms`, the old default 100 ms: the baseline) and with the guard earned
   between DIALER_CPS_GUARD_MIN_MS and _MAX_MS (dialer/engine/guard.py), back to back.
     efficiency      CreateSIPParticipant requests the sandbox received during the run ÷ (cap × seconds).
     max in 1 s      most SIP requests received in any 1-second window [t, t+1): must not exceed the cap.
     slot → SIP      the call's CPS slot (its attempt's started_at, the instant the dispatcher planned for it)
                     to the sandbox receiving its CreateSIPParticipant. Every call is due from the start, so the
                     wait for a slot is just its place in the queue; this is the delay *beyond* the slot: sleep
                     overshoot and event-loop queueing (the room and agent dispatch are prepared before the slot).
                     Printed apart for dials that missed their slot by more than a quarter of the guard and took a new one
                     ("re-slotted"), measured from the slot first planned.
   Also: dispatcher runs and calls claimed per dial (the dispatcher's own work), CPU per dial (the whole process:
   dispatcher, sandbox, API and webhooks), SQL statements and LiveKit webhooks per dial (whole process), and the
   CPU per dial of the LiveKit side alone (sandbox + client, no database), measured apart.
   The sandbox shares the dialer's event loop, so under load its receive times include the loop's backlog.
B. Low load: calls that become due one at a time (`--low-calls` calls, one batch each with its own `not_before`,
   spread over `--low-seconds`), cap far above the arrival rate.
     due → SIP       from the call's next_attempt_at (its not_before) to the sandbox receiving its CreateSIPParticipant,
                     split into due → slot (waiting for a dispatcher run) and slot → SIP (the send path).

Run from the repository root:
  /work/venv/bin/python bench/dispatch.py
  /work/venv/bin/python bench/dispatch.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import functools
import asyncio
import logging
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, select  # noqa: E402

from bench.dispatch_harness import Probe, live_dialer, stop_dialling  # noqa: E402
from bench.support import add_database_option, describe_database, ms_summary, scratch_database  # noqa: E402
from config.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings, load_settings  # noqa: E402
from dialer.runtime import Runtime  # noqa: E402
from sandbox import LiveKitSandbox  # noqa: E402
from dialer.services.batches import BatchInput  # noqa: E402
from dialer.services.candidates import CandidateInput  # noqa: E402
from dialer.store.models import Attempt, Call, TrunkBudget  # noqa: E402
from dialer.telephony.base import DialFailed, DialRequest  # noqa: E402
from dialer.telephony.livekit import LiveKitTelephony  # noqa: E402
from livekit.protocol.sip import CreateSIPParticipantRequest  # noqa: E402

# The sandbox's busy number in zones spread over the day; the one closest to 14:30 local now is used. The calling
# window must be open where the number is (the record's zone can only narrow it), so the number goes with its zone.
BUSY_BY_ZONE = {
    "Pacific/Guam": "+16715550110", "Europe/London": "+442079460110", "America/New_York": "+12125550110",
    "America/Chicago": "+13125550110", "America/Los_Angeles": "+12135550110", "Pacific/Honolulu": "+18085550110",
}
ZONES = tuple(BUSY_BY_ZONE)
CALL_REGIONS = ["US", "GU", "GB"]


def midday_zone(now: datetime) -> str:
    target = 14 * 60 + 30

    def distance(name: str) -> int:
        local = now.astimezone(ZoneInfo(name))
        return abs(local.hour * 60 + local.minute - target)

    best = min(ZONES, key=distance)
    if distance(best) > 5 * 60:
        raise SystemExit(f"no zone in the list is near mid-day now ({now:%H:%M} UTC); extend ZONES")
    return best


@functools.cache
def _daytime_busy_number() -> str:
    return BUSY_BY_ZONE[midday_zone(datetime.now(timezone.utc))]


def busy_number(i: int) -> str:
    """Every candidate the same reserved busy number, in the zone where it is mid-day now."""
    return _daytime_busy_number()


# -- measurements ---------------------------------------------------------------------------------------------------------


def max_in_window(times: Sequence[float], width: float = 1.0) -> int:
    """The most events in any half-open window [t, t + width)."""
    ordered = sorted(times)
    best, first = 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - width:
            first += 1
        best = max(best, last - first + 1)
    return best


def room_of(call_id: str, number: int) -> str:
    return f"call-{call_id}-{number}"


async def attempts_since(runtime: Runtime, since: datetime) -> dict[str, Attempt]:
    async with runtime.db.transaction() as session:
        rows = await session.scalars(select(Attempt).where(Attempt.started_at >= since - timedelta(seconds=1)))
        return {room_of(a.call_id, a.number): a for a in rows}


def sip_requests(sandbox: LiveKitSandbox) -> dict[str, float]:
    """Room name -> when the sandbox received that room's CreateSIPParticipant (sandbox clock: time.time)."""
    return {
        r.request.room_name: r.received_at
        for r in sandbox.requests_for("CreateSIPParticipant")
        if isinstance(r.request, CreateSIPParticipantRequest)
    }


@dataclass
class CapFigures:
    cap: float
    seconds: float
    in_window: int
    total: int
    max_per_second: int
    max_slots_per_second: int
    achieved: float
    lateness: list[float]
    reslot_lateness: list[float]
    guard_s: float  # the dispatcher's CPS guard at the end of the run
    guard_bounds_ms: tuple[int, int]
    outcomes: Counter[str]
    peak_in_progress: int
    probe: Probe
    cpu_s: float
    webhooks: int


def peak_overlap(spans: Sequence[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    level = peak = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    return peak


async def run_cap(settings: Settings, cap: float, seconds: float) -> CapFigures:
    settings = settings.model_copy(update={"calls_per_second": cap})
    async with live_dialer(settings) as (runtime, sandbox):
        async with runtime.db.transaction() as session:  # each cap starts with an empty CPS budget
            await session.execute(delete(TrunkBudget))
        probe = Probe()
        async with probe.watching(runtime.dispatcher, runtime):
            cpu = time.process_time()
            events_before = len(sandbox.webhook_events)
            started_dt = datetime.now(timezone.utc)
            started = started_dt.timestamp()
            await runtime.start()
            await asyncio.sleep(seconds)
            cpu = time.process_time() - cpu
            webhooks = len(sandbox.webhook_events) - events_before
            frozen = probe.snapshot()
            guard_s = runtime.dispatcher.guard.seconds
            await stop_dialling(runtime)
        requests = sip_requests(sandbox)
        attempts = await attempts_since(runtime, started_dt)
    received = [at for room, at in requests.items() if room in attempts]
    window = [at for at in received if started <= at < started + seconds]
    lateness = {
        attempt.call_id: requests[room] - attempt.started_at.timestamp()
        for room, attempt in attempts.items()
        if room in requests
    }
    spans = [
        (a.started_at.timestamp(), a.ended_at.timestamp()) for a in attempts.values() if a.ended_at is not None
    ]
    return CapFigures(
        cap=cap,
        seconds=seconds,
        in_window=len(window),
        total=len(received),
        max_per_second=max_in_window(received),
        max_slots_per_second=max_in_window([a.started_at.timestamp() for a in attempts.values()]),
        achieved=(len(window) - 1) / (max(window) - min(window)) if len(window) > 1 else 0.0,
        lateness=[late for call_id, late in lateness.items() if call_id not in frozen.reslotted],
        reslot_lateness=[late for call_id, late in lateness.items() if call_id in frozen.reslotted],
        guard_s=guard_s,
        guard_bounds_ms=(settings.cps_guard_min_ms, settings.cps_guard_max_ms),
        outcomes=Counter(a.outcome or "open" for a in attempts.values()),
        peak_in_progress=peak_overlap(spans),
        probe=frozen,
        cpu_s=cpu,
        webhooks=webhooks,
    )


@dataclass
class LowLoadFigures:
    calls: int
    seconds: float
    cap: float
    due_to_sip: list[float]
    due_to_slot: list[float]
    slot_to_sip: list[float]
    missing: int
    late_start: float
    probe: Probe


async def run_low_load(settings: Settings, zone: str, calls: int, spread_s: float, cap: float, seed: int) -> LowLoadFigures:
    settings = settings.model_copy(update={"calls_per_second": cap})
    rng = random.Random(seed)
    async with live_dialer(settings) as (runtime, sandbox):
        async with runtime.db.transaction() as session:
            await session.execute(delete(TrunkBudget))
        inputs = [
            CandidateInput(external_id=f"low-{i:05d}", name=f"Low {i}", phone=busy_number(i), timezone=zone,
                           required_fields=["quota_attainment"])
            for i in range(calls)
        ]
        ids = (await runtime.candidates.bulk_upsert(inputs)).ids
        lead = 2.0 + calls * 0.02  # time to create the batches below and start
        anchor = datetime.now(timezone.utc) + timedelta(seconds=lead)
        spacing = spread_s / calls
        due = [anchor + timedelta(seconds=(i + rng.random()) * spacing) for i in range(calls)]
        batch_ids = []
        for i, item in enumerate(inputs):
            view, _ = await runtime.batches.create(BatchInput(candidate_ids=[ids[item.external_id]], not_before=due[i]))
            batch_ids.append(view.batch.id)
        async with runtime.db.transaction() as session:
            rows = (await session.execute(
                select(Call.id, Call.next_attempt_at).where(Call.batch_id.in_(batch_ids))
            )).all()
        due_of = {call_id: at.timestamp() for call_id, at in rows if at is not None}
        probe = Probe()
        async with probe.watching(runtime.dispatcher, runtime):
            late_start = time.time() - anchor.timestamp()
            await runtime.start()
            deadline = max(due_of.values()) + 10.0
            rooms = {room_of(call_id, 1) for call_id in due_of}
            try:
                await sandbox.wait_until(
                    lambda: rooms <= set(sip_requests(sandbox)), timeout=max(1.0, deadline - time.time())
                )
            except TimeoutError:
                pass
            frozen = probe.snapshot()
            await stop_dialling(runtime)
        requests = sip_requests(sandbox)
        attempts = await attempts_since(runtime, anchor - timedelta(seconds=1))
    due_to_sip, due_to_slot, slot_to_sip = [], [], []
    for call_id, due_at in due_of.items():
        room = room_of(call_id, 1)
        if room in requests and room in attempts:
            slot = attempts[room].started_at.timestamp()
            due_to_sip.append(requests[room] - due_at)
            due_to_slot.append(slot - due_at)
            slot_to_sip.append(requests[room] - slot)
    return LowLoadFigures(
        calls=calls, seconds=spread_s, cap=cap, due_to_sip=due_to_sip, due_to_slot=due_to_slot,
        slot_to_sip=slot_to_sip, missing=calls - len(due_to_sip), late_start=late_start, probe=frozen,
    )


async def livekit_side_alone(dials: int, concurrency: int) -> float:
    """CPU seconds per dial of the LiveKit side alone (sandbox + livekit-api client: CreateRoom, then
    CreateSIPParticipant answered 486), with no database and no webhooks: the share of the whole process's CPU per
    dial that a real LiveKit would carry elsewhere (its server half) or that the dialer pays anyway (its client half)."""
    sandbox = LiveKitSandbox(api_key=SANDBOX_API_KEY, api_secret=SANDBOX_API_SECRET, ring_delay_s=0.0, auto_hangup=False)
    url = await sandbox.start()
    telephony = LiveKitTelephony(url=url, api_key=SANDBOX_API_KEY, api_secret=SANDBOX_API_SECRET)
    gate = asyncio.Semaphore(concurrency)

    async def dial(i: int) -> None:
        request = DialRequest(
            call_id=f"call_cal{i}", attempt_id=f"att_cal{i}", room_name=f"call-cal-{i}", phone_e164=busy_number(i),
            trunk_id="ST_sandbox", agent_name="dialer-agent", agent_metadata="{}", participant_identity=f"callee-{i}",
            participant_name="Calibration",
        )
        async with gate:
            try:
                await telephony.dial(request)
            except DialFailed:
                pass

    try:
        await asyncio.gather(*(dial(i) for i in range(20)))  # warm-up: client session, first connections
        cpu = time.process_time()
        await asyncio.gather(*(dial(i) for i in range(20, 20 + dials)))
        return (time.process_time() - cpu) / dials
    finally:
        await telephony.close()
        await sandbox.stop()


# -- set-up and report ----------------------------------------------------------------------------------------------------


async def queue_calls(settings: Settings, zone: str, count: int) -> tuple[str, float]:
    """`count` candidates (busy numbers, mid-day zone, one field missing) and one batch of calls, through the services."""
    runtime = Runtime.build(settings)
    try:
        started = time.perf_counter()
        inputs = [
            CandidateInput(external_id=f"ats-{i:06d}", name=f"Candidate {i}", phone=busy_number(i), timezone=zone,
                           fields={"current_title": "Account Executive"}, required_fields=["quota_attainment"])
            for i in range(count)
        ]
        ids = (await runtime.candidates.bulk_upsert(inputs)).ids
        view, _ = await runtime.batches.create(BatchInput(candidate_ids=list(ids.values()), name="bench"))
        return view.batch.id, time.perf_counter() - started
    finally:
        await runtime.db.dispose()


async def cancel_batch(settings: Settings, batch_id: str) -> None:
    runtime = Runtime.build(settings)
    try:
        await runtime.batches.set_status(batch_id, "cancelled")
    finally:
        await runtime.db.dispose()


def print_cap(fig: CapFigures) -> None:
    probe = fig.probe
    dials = max(probe.planned, 1)
    ceiling = 1 / (1 + fig.guard_s)
    flag = "" if fig.max_per_second <= fig.cap else "   <-- above the cap"
    low, high = fig.guard_bounds_ms
    kind = f"fixed {low} ms guard" if low == high else f"guard earned between {low} and {high} ms"
    print(f"  cap {fig.cap:g} CPS, {fig.seconds:g} s, {kind}")
    print(f"    SIP requests in the run        {fig.in_window:6d}  (cap × seconds: {fig.cap * fig.seconds:.0f}); "
          f"{fig.total} with the dials already planned at the stop")
    print(f"    dispatch efficiency            {fig.in_window / (fig.cap * fig.seconds):6.2f}  "
          f"(first→last in the run: {fig.achieved:.2f} calls/s; slots were (1 s + {fig.guard_s * 1000:.0f} ms)/cap "
          f"apart at the end, so at most {ceiling:.2f})")
    print(f"    max SIP requests in any 1 s    {fig.max_per_second:6d}{flag}   (CPS slots planned in any 1 s: "
          f"{fig.max_slots_per_second})")
    print(f"    slot → SIP request, on time    {ms_summary(fig.lateness)}")
    if fig.reslot_lateness:
        print(f"    slot → SIP request, re-slotted {ms_summary(fig.reslot_lateness)}  (missed the slot by more than "
              f"a quarter of its guard, took a new one)")
    print(f"    dispatcher                     {probe.runs} runs, {probe.claimed / dials:.2f} calls claimed per dial, "
          f"{len(probe.reslotted)} re-slotted; plan transaction {ms_summary(probe.plan_seconds)}")
    print(f"    whole process                  {fig.cpu_s / dials * 1000:.1f} ms CPU per dial "
          f"({fig.cpu_s / fig.seconds:.0%} of one core), {probe.statements / dials:.1f} SQL statements and "
          f"{fig.webhooks / dials:.1f} LiveKit webhooks in per dial")
    print(f"    outcomes {dict(fig.outcomes)}; peak calls in progress {fig.peak_in_progress}")


def print_low(fig: LowLoadFigures) -> None:
    probe = fig.probe
    print(f"  B. low load: {fig.calls} calls due one at a time over {fig.seconds:g} s "
          f"({fig.calls / fig.seconds:.1f}/s), cap {fig.cap:g} CPS")
    if fig.late_start > 0:
        print(f"    (the dialer started {fig.late_start:.2f} s after the first call was due: raise the lead time)")
    print(f"    due → SIP request              {ms_summary(fig.due_to_sip)}")
    print(f"      due → slot (awaiting a run)  {ms_summary(fig.due_to_slot)}")
    print(f"      slot → SIP request           {ms_summary(fig.slot_to_sip)}")
    print(f"    dispatcher                     {probe.runs} runs, {probe.claimed} calls claimed, "
          f"{len(probe.reslotted)} re-slotted; plan transaction {ms_summary(probe.plan_seconds)}")
    if fig.missing:
        print(f"    {fig.missing} call(s) were not dialled before the deadline")


async def main(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)  # the sandbox's "no real call" banners; errors still show
    caps = [float(c) for c in args.caps.split(",")]
    zone = midday_zone(datetime.now(timezone.utc))
    async with scratch_database(args.database_url) as url:
        settings = load_settings(
            database_url=url, api_key="bench-api-key", secret_key="bench-secret-key-0123456789",
            call_window_start="08:00", call_window_end="21:00", call_weekdays=[0, 1, 2, 3, 4, 5, 6],
            max_concurrent_calls=10_000, max_attempts=3, call_regions=CALL_REGIONS,
        )
        local = datetime.now(ZoneInfo(zone))
        print(f"dispatch bench: {describe_database(url)}; candidates in {zone} (local {local:%a %H:%M}); "
              f"window 08:00-21:00 every day; dispatch_interval_s {settings.dispatch_interval_s:g} "
              f"(horizon {max(settings.dispatch_interval_s, 1.0):g} s); max_concurrent {settings.max_concurrent_calls}")
        batch_id, setup_s = await queue_calls(settings, zone, args.calls)
        print(f"  A. {args.calls:,} calls queued and due ({setup_s:.1f} s to create through the services); "
              f"SIP 486 busy at once")
        fixed = settings.model_copy(update={"cps_guard_min_ms": args.baseline_guard_ms,
                                            "cps_guard_max_ms": args.baseline_guard_ms})
        summary = []
        for cap in caps:
            baseline = await run_cap(fixed, cap, args.seconds)
            print_cap(baseline)
            earned = await run_cap(settings, cap, args.seconds)
            print_cap(earned)
            summary.append((cap, baseline, earned))
        print("  efficiency, fixed guard (baseline) → earned guard, same run:")
        for cap, baseline, earned in summary:
            before = baseline.in_window / (cap * baseline.seconds)
            after = earned.in_window / (cap * earned.seconds)
            print(f"    cap {cap:g}: {before:.2f} → {after:.2f} ({after / before:.2f}×); busiest second "
                  f"{baseline.max_per_second} → {earned.max_per_second}; re-slotted {len(baseline.probe.reslotted)} → "
                  f"{len(earned.probe.reslotted)}; guard at the end {earned.guard_s * 1000:.0f} ms")
        livekit_cpu = await livekit_side_alone(300, 20)
        print(f"  LiveKit side alone (sandbox + livekit-api client, no database, no webhooks): "
              f"{livekit_cpu * 1000:.1f} ms CPU per dial, part of the whole-process figures above")
        await cancel_batch(settings, batch_id)
        print_low(await run_low_load(settings, zone, args.low_calls, args.low_seconds, args.low_cap, args.seed))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=10_000, help="calls queued for scenario A (at most 10,000)")
    parser.add_argument("--caps", default="1,10,50", help="CPS caps for scenario A, comma-separated (at most 100)")
    parser.add_argument("--seconds", type=float, default=12.0, help="run time per cap in scenario A")
    parser.add_argument("--low-calls", type=int, default=200, help="calls in scenario B")
    parser.add_argument("--low-seconds", type=float, default=30.0, help="scenario B's calls fall due over this span")
    parser.add_argument("--low-cap", type=float, default=50.0, help="CPS cap in scenario B")
    parser.add_argument("--baseline-guard-ms", type=int, default=100,
                        help="the fixed CPS guard each cap is also run with, as the baseline (the old default)")
    parser.add_argument("--seed", type=int, default=7, help="seed for scenario B's due instants")
    add_database_option(parser)
    asyncio.run(main(parser.parse_args()))

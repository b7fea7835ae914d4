"""Three `dialer serve` processes, one PostgreSQL database, one LiveKit sandbox process: 2,000 calls.

Every call is dialled exactly once for its attempt (CreateSIPParticipant counted per room, the room being
`call-<id>-<attempt>`), every instance takes a share, and the sandbox's own record of when each SIP request arrived
shows the trunk's CPS cap held across the three: at most CAP requests in any one-second window.

The numbers are busy (SIP 486 at once) so concurrency never binds, and every candidate's zone is one where it is
about 14:00 now, inside an 08:00-21:00 window on every weekday, so the test passes at any wall-clock time. The CPS
guard's floor is 150 ms rather than the default 10 (each instance earns its guard above it): the sandbox process
stamps a request when its handler starts, so a stall of its own event loop (four Python processes and PostgreSQL on
a shared two-core machine) bunches the arrivals it records by tens of milliseconds, which a real LiveKit's receive
path does not; the floor covers that stand-in's jitter.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from dialer_testing.cluster import Cluster, max_in_any_window

CALLS = 2000
CAP = 50
SETTINGS = {
    "DIALER_CALLS_PER_SECOND": str(CAP),
    "DIALER_MAX_CONCURRENT_CALLS": "1000",
    "DIALER_CALL_WINDOW_START": "08:00",
    "DIALER_CALL_WINDOW_END": "21:00",
    "DIALER_CALL_WEEKDAYS": "0,1,2,3,4,5,6",
    "DIALER_DISPATCH_INTERVAL_S": "1",
    "DIALER_RINGING_TIMEOUT_S": "5",
    "DIALER_DIAL_LEASE_S": "10",
    "DIALER_RECONCILE_INTERVAL_S": "1",
    "DIALER_CPS_GUARD_MIN_MS": "150",
    "DIALER_CPS_GUARD_MAX_MS": "250",
}


def _busy_ended(metrics: str) -> int:
    match = re.search(r'^dialer_attempts_ended_total\{outcome="busy"\} (\S+)$', metrics, re.MULTILINE)
    return int(float(match.group(1))) if match else 0


async def test_three_instances_dial_each_call_once_and_hold_the_cps_cap(fresh_database: str, tmp_path: Path) -> None:
    cluster = await Cluster.start(fresh_database, tmp_path, instances=3, settings=SETTINGS)
    try:
        batch_id = await cluster.create_batch(CALLS, via=(0, 1))  # created on instance 1; NOTIFY wakes 0 and 2

        async def all_ended() -> bool:
            return int(await cluster.scalar("SELECT count(*) FROM attempts WHERE ended_at IS NOT NULL")) >= CALLS

        await cluster.wait_for(all_ended, timeout_s=150, what=f"{CALLS} attempts ended")

        sip = await cluster.sandbox.records("CreateSIPParticipant")
        per_room = Counter(r["room"] for r in sip)
        calls = await cluster.rows("SELECT id, state, attempts_made FROM calls WHERE batch_id = $1", batch_id)
        assert len(calls) == CALLS
        assert all(c["attempts_made"] == 1 and c["state"] == "scheduled" for c in calls)  # busy: retried later
        assert per_room == Counter({f"call-{c['id']}-1": 1 for c in calls})  # each once, nothing else dialled
        assert all(r["status"] == 200 or r["status"] >= 400 for r in sip)
        outcomes = await cluster.rows("SELECT outcome, count(*) AS n FROM attempts GROUP BY outcome")
        assert {row["outcome"]: row["n"] for row in outcomes} == {"busy": CALLS}

        busiest = max_in_any_window([r["received_at"] for r in sip])
        assert busiest <= CAP, f"{busiest} SIP requests in one second (cap {CAP})"

        shares = [_busy_ended(await cluster.metrics(i)) for i in range(3)]
        assert sum(shares) == CALLS and all(share > 0 for share in shares), shares
    finally:
        await cluster.stop()

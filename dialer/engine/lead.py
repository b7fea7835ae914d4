"""How far ahead of a plan its first CPS slot goes: learnt from how long this instance's dials take to get ready.

Between a plan's instant and the moment a dial can send, the plan commits, the dial's task starts and the room and
its agent are prepared. A slot set sooner than that is already past when the dial is ready, and a dial later than a
quarter of the guard takes a new slot (another write); on a busy machine every dial of a run did, the writes made the
next dials later still, and dispatch at 50 CPS on SQLite stalled. The lead is the recent high percentile of that
readiness time, so most dials find their slot still ahead; it costs the few milliseconds it measures at low load.
"""

from __future__ import annotations

from dialer.engine.recent import RecentPercentile

WINDOW = 200  # the last dials' readiness times that count
PERCENTILE = 0.95
CEILING_S = 1.0  # never more: a plan looks only two seconds ahead


class PreparationLead:
    def __init__(self, *, window: int = WINDOW, percentile: float = PERCENTILE, ceiling_s: float = CEILING_S) -> None:
        if ceiling_s < 0:
            raise ValueError("ceiling_s >= 0 is required")
        self._recent = RecentPercentile(window=window, percentile=percentile)
        self._ceiling_s = ceiling_s

    def observe(self, ready_after_s: float) -> None:
        """A dial was ready to send this long after its plan's instant."""
        self._recent.observe(ready_after_s)

    @property
    def seconds(self) -> float:
        measured = self._recent.value()
        return 0.0 if measured is None else min(self._ceiling_s, measured)

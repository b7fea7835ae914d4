"""A high percentile of the last few measurements: what the plan's lead and the CPS guard are learnt from."""

from __future__ import annotations

from collections import deque


class RecentPercentile:
    def __init__(self, *, window: int, percentile: float) -> None:
        if window < 1 or not 0 < percentile <= 1:
            raise ValueError("window >= 1 and 0 < percentile <= 1 are required")
        self._samples: deque[float] = deque(maxlen=window)
        self._percentile = percentile

    def observe(self, value: float) -> None:
        """Negative values (a clock stepped back) count as zero."""
        self._samples.append(max(0.0, value))

    def value(self) -> float | None:
        """None until something was measured."""
        if not self._samples:
            return None
        ordered = sorted(self._samples)
        return ordered[min(len(ordered) - 1, int(self._percentile * len(ordered)))]

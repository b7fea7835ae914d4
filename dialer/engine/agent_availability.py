"""Whether agents are taking this instance's calls: the last dial's wait for its agent, for /health and /metrics.

A dial waits for an agent to join its room before anything rings (dialer/telephony). When none comes the call goes
back to the queue; this records that, so an operator sees "agents unavailable" rather than a quiet queue. One per
instance; the next dial whose agent joins clears it.
"""

from __future__ import annotations

from datetime import datetime


class AgentAvailability:
    def __init__(self) -> None:
        self.missing_since: datetime | None = None  # the first of the dials in a row that found no agent
        self.dials_without_agent = 0  # counter: every dial put back for want of an agent

    @property
    def available(self) -> bool:
        return self.missing_since is None

    def note_missing(self, at: datetime) -> None:
        self.dials_without_agent += 1
        if self.missing_since is None:
            self.missing_since = at

    def note_present(self) -> None:
        self.missing_since = None

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "available" if self.available else "unavailable",
            "missing_since": self.missing_since.isoformat() if self.missing_since else None,
            "dials_without_agent": self.dials_without_agent,
        }

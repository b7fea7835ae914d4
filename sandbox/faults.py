"""Injected faults: the next N calls of a method answer an HTTP error and/or arrive late.

A delay is served before the request is handled, and the request still takes effect afterwards even
if the client has given up (aiohttp does not cancel handlers), which is exactly the "timed out, but
the call was placed" case the dialer's reconciliation must survive.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Fault:
    service: str | None
    method: str
    status: int | None
    delay_s: float
    remaining: int


def split_method(name: str) -> tuple[str | None, str]:
    """'CreateSIPParticipant', 'SIP/CreateSIPParticipant' or 'livekit.SIP/CreateSIPParticipant'."""
    service, _, method = name.rpartition("/")
    service = service.removeprefix("livekit.")
    return (service or None), method


class FaultPlan:
    """Pending faults, consumed in the order they were injected."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, name: str, *, status: int | None, delay_s: float, times: int) -> Fault:
        if times < 1:
            raise ValueError("times must be at least 1")
        if delay_s < 0:
            raise ValueError("delay_s cannot be negative")
        if status is not None and not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if status is None and delay_s == 0:
            raise ValueError("a fault needs a status, a delay or both")
        service, method = split_method(name)
        fault = Fault(service=service, method=method, status=status, delay_s=delay_s, remaining=times)
        self._faults.append(fault)
        return fault

    def take(self, service: str, method: str) -> Fault | None:
        """The first pending fault for this call, counted as used."""
        for fault in self._faults:
            if fault.method == method and fault.service in (None, service):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    @property
    def pending(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()

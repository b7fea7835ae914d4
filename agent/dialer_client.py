"""Async HTTP client for the dialer's agent API (the agent never touches the database).

Every 4xx carries a speakable `detail` (e.g. "outside calling hours"); it is raised as
`DialerRejected` so a tool can hand it to the LLM and the agent can say it back to the caller.
Transport failures and 5xx are `DialerUnavailable`: nothing the caller said was wrong.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from functools import lru_cache
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from .schemas import (
    Briefing,
    CallbackScheduled,
    CallContext,
    FieldSaved,
    FieldStatus,
    Identification,
    Outcome,
    TranscriptTurn,
)

_M = TypeVar("_M", bound=BaseModel)


class DialerAPIError(Exception):
    """Base for every failure talking to the dialer; `detail` is safe to say out loud."""

    def __init__(self, detail: str, *, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


class DialerRejected(DialerAPIError):
    """The dialer refused the request (4xx); `detail` explains why."""


class DialerUnavailable(DialerAPIError):
    """The dialer could not be reached, answered 5xx, or answered something unreadable."""


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """Built once per process: loading the CA bundle costs ~50 ms, which every job would pay before greeting."""
    return httpx.create_ssl_context()


class DialerClient:
    """One client per job, bound to one credential (call-, interview- or agent-scoped)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout_s,
            transport=transport,
            verify=_tls_context(),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> DialerClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- gap filling -------------------------------------------------------------------------

    async def call_context(self, call_id: str) -> CallContext:
        return await self._json("GET", f"/api/agent/calls/{call_id}/context", CallContext)

    async def record_field(
        self, call_id: str, *, name: str, value: str | None, status: FieldStatus, source_text: str | None
    ) -> FieldSaved:
        body = {"name": name, "value": value, "status": status, "source_text": source_text}
        return await self._json("POST", f"/api/agent/calls/{call_id}/fields", FieldSaved, body)

    async def post_transcript(self, call_id: str, turns: Sequence[TranscriptTurn]) -> None:
        body = {"turns": [turn.model_dump() for turn in turns]}
        await self._send("POST", f"/api/agent/calls/{call_id}/transcript", body)

    async def do_not_call(self, call_id: str, *, reason: str) -> None:
        await self._send("POST", f"/api/agent/calls/{call_id}/do-not-call", {"reason": reason})

    async def transfer_started(self, call_id: str) -> None:
        await self._send("POST", f"/api/agent/calls/{call_id}/transfer-started")

    async def transfer_failed(self, call_id: str, *, sip_status: int | None) -> None:
        await self._send("POST", f"/api/agent/calls/{call_id}/transfer-failed", {"sip_status": sip_status})

    async def schedule_callback(self, call_id: str, *, at_local: str) -> CallbackScheduled:
        body = {"at_local": at_local}
        return await self._json("POST", f"/api/agent/calls/{call_id}/callback", CallbackScheduled, body)

    async def end_call(self, call_id: str, *, outcome: Outcome, reason: str) -> None:
        await self._send("POST", f"/api/agent/calls/{call_id}/end", {"outcome": outcome, "reason": reason})

    # -- briefing ----------------------------------------------------------------------------

    async def briefing(self, interview_id: str) -> Briefing:
        return await self._json("GET", f"/api/agent/interviews/{interview_id}/briefing", Briefing)

    async def identify(self, *, phone: str) -> Identification:
        return await self._json("POST", "/api/agent/briefing/identify", Identification, {"phone": phone})

    async def verify_pin(self, *, pin: str, phone: str | None) -> Identification:
        body = {"pin": pin, "phone": phone}
        return await self._json("POST", "/api/agent/briefing/verify-pin", Identification, body)

    # -- plumbing ----------------------------------------------------------------------------

    async def _json(self, method: str, path: str, model: type[_M], body: dict[str, Any] | None = None) -> _M:
        response = await self._send(method, path, body)
        try:
            return model.model_validate(response.json())
        except (ValueError, ValidationError):
            raise DialerUnavailable(
                "the dialer sent a response I could not read", status=response.status_code
            ) from None

    async def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise DialerUnavailable(f"the dialer could not be reached ({type(exc).__name__})") from None
        if response.status_code >= 500:
            raise DialerUnavailable("the dialer had an internal error", status=response.status_code)
        if response.status_code >= 400:
            raise DialerRejected(_detail(response), status=response.status_code)
        return response


def _detail(response: httpx.Response) -> str:
    """The contract's `{"detail": "..."}`; FastAPI validation errors carry a list, flattened here."""
    try:
        payload = response.json()
    except ValueError:
        return f"request refused ({response.status_code})"
    detail = payload.get("detail") if isinstance(payload, dict) else None
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list):
        messages = [str(item.get("msg")) for item in detail if isinstance(item, dict) and item.get("msg")]
        if messages:
            return "; ".join(messages)
    return f"request refused ({response.status_code})"

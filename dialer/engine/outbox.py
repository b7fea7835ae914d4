"""Webhooks out: deliver outbox events to DIALER_WEBHOOK_URL, signed, retried with backoff, never blocking dialling.

Signature: `X-Dialer-Signature: sha256=<hex HMAC-SHA256(DIALER_WEBHOOK_SECRET, raw body)>`. Receivers must verify it
over the exact bytes received and de-duplicate by the `id` in the body (delivery is at least once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from dialer.clock import Clock
from dialer.store.db import Database
from dialer.store.models import OutboxEvent

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
CLAIM_LEASE = timedelta(seconds=60)
ReportBuilder = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


class OutboxSender:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        url: str | None,
        secret: str | None,
        build_report: ReportBuilder,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._url = url
        self._secret = secret or ""
        self._build_report = build_report
        self._client = httpx.AsyncClient(timeout=timeout_s, transport=transport)
        self.failures = 0

    async def run_once(self, limit: int = 50) -> int:
        """Deliver what is due; returns how many were delivered. Claimed rows are leased so instances don't race."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            due = list(
                await session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.failed_at.is_(None), OutboxEvent.next_attempt_at <= now)
                    .order_by(OutboxEvent.next_attempt_at, OutboxEvent.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            for event in due:
                event.next_attempt_at = now + CLAIM_LEASE
                if self._url is None:
                    event.failed_at = now
                    event.last_error = "DIALER_WEBHOOK_URL is not set"
        if self._url is None:
            return 0
        delivered = 0
        for event in due:
            delivered += await self._deliver(event)
        return delivered

    async def _deliver(self, event: OutboxEvent) -> int:
        assert self._url is not None
        error: str | None = None
        data = event.payload
        try:
            if event.kind == "call.report" and "report" not in data:
                data = {"report": await self._build_report(data)}
            body = json.dumps(
                {"id": event.id, "type": event.kind, "created_at": event.created_at.isoformat(), "data": data.get("report", data)},
                separators=(",", ":"),
            ).encode()
            response = await self._client.post(
                self._url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Dialer-Event": event.kind,
                    "X-Dialer-Event-Id": event.id,
                    "X-Dialer-Signature": sign(body, self._secret),
                },
            )
            if response.status_code >= 300:
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        now = self._clock.now()
        async with self._db.transaction() as session:
            row = await session.get(OutboxEvent, event.id, with_for_update=True)
            assert row is not None
            row.attempts += 1
            row.payload = data
            if error is None:
                row.delivered_at = now
                row.last_error = None
                return 1
            self.failures += 1
            row.last_error = error
            if row.attempts >= MAX_ATTEMPTS:
                row.failed_at = now
                log.error("webhook %s (%s) given up after %d attempts: %s", event.id, event.kind, row.attempts, error)
            else:
                row.next_attempt_at = now + backoff(row.attempts)
                log.warning("webhook %s (%s) failed: %s; retrying", event.id, event.kind, error)
        return 0

    async def close(self) -> None:
        await self._client.aclose()

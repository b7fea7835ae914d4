"""Signed webhook delivery, byte for byte as LiveKit's URL notifier does it.

Body: protobuf JSON of ``WebhookEvent``. Header ``Authorization``: a JWT (API key as issuer, signed
with the API secret, 5 minutes valid) whose ``sha256`` claim is the base64 SHA-256 of the body, so
``livekit.api.WebhookReceiver`` verifies it. Content type ``application/webhook+json``.

Sending never blocks the caller: events go onto a queue per key (the room name), delivered in order
by one task per key, with a few retries on connection errors and 5xx/429, like LiveKit's
retryable HTTP client.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import datetime
import hashlib
import logging
from dataclasses import dataclass, field

import aiohttp
from google.protobuf.json_format import MessageToJson
from livekit.api import AccessToken
from livekit.protocol.webhook import WebhookEvent

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/webhook+json"
TOKEN_TTL = datetime.timedelta(minutes=5)


def encode_webhook(event: WebhookEvent, *, api_key: str, api_secret: str) -> tuple[str, str]:
    """The body and the Authorization header value for one event."""
    body = MessageToJson(event)
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    token = AccessToken(api_key, api_secret).with_ttl(TOKEN_TTL).with_sha256(digest).to_jwt()
    return body, token


@dataclass
class WebhookDelivery:
    """What happened to one event: attempts made and the final HTTP status (None: never answered)."""

    event: WebhookEvent
    attempts: int = 0
    status: int | None = None
    delivered: bool = False
    errors: list[str] = field(default_factory=list)


class WebhookSender:
    """Queues events per key and delivers them in order in the background."""

    def __init__(self, *, url: str, api_key: str, api_secret: str, attempts: int = 4,
                 backoff_s: float = 0.1, timeout_s: float = 5.0) -> None:
        self._url = url
        self._api_key = api_key
        self._api_secret = api_secret
        self._attempts = max(1, attempts)
        self._backoff_s = backoff_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._queues: dict[str, collections.deque[WebhookDelivery]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._session: aiohttp.ClientSession | None = None
        self.deliveries: list[WebhookDelivery] = []

    def submit(self, event: WebhookEvent, *, key: str) -> None:
        """Queue one event; returns at once (must be called on the event loop)."""
        delivery = WebhookDelivery(event=event)
        self.deliveries.append(delivery)
        self._queues.setdefault(key, collections.deque()).append(delivery)
        if key not in self._workers:
            self._workers[key] = asyncio.get_running_loop().create_task(self._run(key))

    async def drain(self) -> None:
        """Wait until every queued event has been delivered or given up on."""
        while self._workers:
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    async def aclose(self, *, timeout_s: float = 5.0) -> None:
        """Deliver what is queued (bounded by timeout_s), then drop the rest and close."""
        try:
            await asyncio.wait_for(self.drain(), timeout_s)
        except asyncio.TimeoutError:
            for task in list(self._workers.values()):
                task.cancel()
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                await self._deliver(queue[0])
                queue.popleft()
        finally:
            self._workers.pop(key, None)
            if not queue:
                self._queues.pop(key, None)

    async def _deliver(self, delivery: WebhookDelivery) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        body, token = encode_webhook(delivery.event, api_key=self._api_key, api_secret=self._api_secret)
        headers = {"Authorization": token, "Content-Type": CONTENT_TYPE}
        for attempt in range(self._attempts):
            delivery.attempts = attempt + 1
            retryable = True
            try:
                async with self._session.post(self._url, data=body.encode(), headers=headers) as response:
                    delivery.status = response.status
                    if response.status < 300:
                        delivery.delivered = True
                        return
                    retryable = response.status >= 500 or response.status == 429
                    delivery.errors.append(f"HTTP {response.status}")
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                delivery.errors.append(type(exc).__name__)
            if not retryable:
                break
            if attempt + 1 < self._attempts:
                await asyncio.sleep(self._backoff_s * (2**attempt))
        logger.warning(
            "sandbox webhook %s (%s) not delivered after %d attempt(s): %s",
            delivery.event.id, delivery.event.event, delivery.attempts, ", ".join(delivery.errors),
        )

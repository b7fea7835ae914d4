"""Rate limits of the HTTP API (README "Security"): by client, by credential, held in the database across instances.

- Failed authentications per client address (wrong API key, wrong sign-in, forged agent credential; not LiveKit's
  HMAC-signed webhook, whose secret no guessing reaches): past the limit, every authenticated request from that client is a 429 until the window ends, a right
  key included, so a guess can never be told right from wrong by its answer.
- Requests per credential (the API key, a session cookie, an agent credential): past the limit, 429.
Both answer `Retry-After` with the seconds until the window ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from dialer.ratelimit import Limit, RateLimiter, Verdict, fingerprint

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiLimitConfig:
    auth_failures_per_client: Limit
    requests_per_credential: Limit

    @classmethod
    def per_minute(cls, *, auth_failures: int, requests: int) -> ApiLimitConfig:
        return cls(Limit(auth_failures, MINUTE), Limit(requests, MINUTE))


class ApiLimits:
    def __init__(self, *, limiter: RateLimiter, config: ApiLimitConfig) -> None:
        self._limiter = limiter
        self._config = config

    async def client_may_try(self, client: str) -> Verdict:
        """Checked before any credential is looked at."""
        return await self._limiter.check(f"auth-fail:client:{client}", self._config.auth_failures_per_client)

    async def admit(self, client: str, credential: str) -> tuple[Verdict, Verdict]:
        """A request with a credential that checked out: the client's failure limit, then one request counted on
        the credential; one database transaction."""
        return await self._limiter.check_then_hit(
            (f"auth-fail:client:{client}", self._config.auth_failures_per_client),
            (f"requests:credential:{fingerprint(credential)}", self._config.requests_per_credential),
        )

    async def failed(self, client: str) -> Verdict:
        """One failed authentication by `client`; not allowed once past the limit (answer 429, not 401)."""
        return await self._limiter.hit(f"auth-fail:client:{client}", self._config.auth_failures_per_client)

    async def request(self, credential: str) -> Verdict:
        """One request made with `credential` (stored only as a fingerprint)."""
        return await self._limiter.hit(f"requests:credential:{fingerprint(credential)}", self._config.requests_per_credential)


def retry_after_header(verdict: Verdict) -> dict[str, str]:
    return {"Retry-After": str(verdict.retry_after_s)}

"""The pages' sign-in: a signed, expiring session cookie instead of the API key in the page.

The cookie is `<expires>.<nonce>.<mac>`: HMAC-SHA256 under DIALER_SECRET_KEY over the expiry, a nonce and a
fingerprint of DIALER_API_KEY, so changing either key signs every browser out. It is HttpOnly (scripts cannot read
it) and SameSite=Strict (other sites' requests do not carry it). Because a cookie rides along with requests the page
did not mean to make, state-changing requests authenticated by it must also carry `X-Requested-With: dialer-ui`: a
header that cross-site forms cannot send and cross-site scripts cannot add without a CORS preflight we never grant.
Pure functions, no I/O: the caller passes the time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

COOKIE_NAME = "dialer_session"
SESSION_TTL = timedelta(hours=8)
CSRF_HEADER = "X-Requested-With"
CSRF_VALUE = "dialer-ui"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CONTEXT = b"dialer.web.session.v1"


def _mac(secret: str, api_key: str, expires: int, nonce: str) -> str:
    fingerprint = hashlib.sha256(api_key.encode()).hexdigest()
    message = b"|".join([_CONTEXT, str(expires).encode(), nonce.encode(), fingerprint.encode()])
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def issue(*, secret: str, api_key: str, now: datetime, ttl: timedelta = SESSION_TTL) -> str:
    """A new cookie value, valid until `now + ttl`."""
    expires = int((now + ttl).timestamp())
    nonce = secrets.token_urlsafe(12)
    return f"{expires}.{nonce}.{_mac(secret, api_key, expires, nonce)}"


def is_valid(value: str | None, *, secret: str, api_key: str, now: datetime) -> bool:
    """True for an untampered cookie issued under these keys that has not expired."""
    if not value:
        return False
    parts = value.split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        return False
    expires, nonce, mac = int(parts[0]), parts[1], parts[2]
    if not hmac.compare_digest(mac.encode(), _mac(secret, api_key, expires, nonce).encode()):
        return False
    return now.timestamp() < expires


def csrf_ok(method: str, headers: Mapping[str, str]) -> bool:
    """Safe methods need nothing; anything else needs the custom header only same-origin script can send."""
    return method.upper() in SAFE_METHODS or headers.get(CSRF_HEADER) == CSRF_VALUE


def api_key_matches(candidate: str, expected: str) -> bool:
    """Constant-time comparison for the sign-in form."""
    return hmac.compare_digest(candidate.encode(), expected.encode())

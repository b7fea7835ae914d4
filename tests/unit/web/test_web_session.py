"""The session cookie and CSRF rules as pure functions: signed, expiring, bound to both keys."""

from __future__ import annotations

from datetime import timedelta

from api.web import session
from tests.support import T0

SECRET = "test-secret-key-0123456789"
KEY = "test-api-key"


def _issue(**overrides: object) -> str:
    args: dict[str, object] = {"secret": SECRET, "api_key": KEY, "now": T0, **overrides}
    return session.issue(**args)  # type: ignore[arg-type]


def test_a_fresh_cookie_is_valid_until_it_expires() -> None:
    cookie = _issue()
    assert session.is_valid(cookie, secret=SECRET, api_key=KEY, now=T0)
    almost = T0 + session.SESSION_TTL - timedelta(seconds=1)
    assert session.is_valid(cookie, secret=SECRET, api_key=KEY, now=almost)
    assert not session.is_valid(cookie, secret=SECRET, api_key=KEY, now=T0 + session.SESSION_TTL)


def test_cookies_are_unique_and_carry_no_key() -> None:
    first, second = _issue(), _issue()
    assert first != second
    assert KEY not in first and SECRET not in first


def test_changing_either_key_invalidates_the_cookie() -> None:
    cookie = _issue()
    assert not session.is_valid(cookie, secret="another-secret-key-000000", api_key=KEY, now=T0)
    assert not session.is_valid(cookie, secret=SECRET, api_key="rotated-api-key", now=T0)


def test_tampered_or_malformed_cookies_are_refused() -> None:
    expires, nonce, mac = _issue().split(".")
    later = str(int(expires) + 3600)
    for bad in (
        f"{later}.{nonce}.{mac}",  # a longer life, same signature
        f"{expires}.{nonce}x.{mac}",
        f"{expires}.{nonce}.{mac[:-1]}{'0' if mac[-1] != '0' else '1'}",
        f"{expires}.{nonce}",
        f"x{expires}.{nonce}.{mac}",
        "",
        None,
        "...",
    ):
        assert not session.is_valid(bad, secret=SECRET, api_key=KEY, now=T0), bad


def test_csrf_header_is_needed_only_for_state_changes() -> None:
    assert session.csrf_ok("GET", {})
    assert session.csrf_ok("head", {})
    assert not session.csrf_ok("POST", {})
    assert not session.csrf_ok("DELETE", {"X-Requested-With": "XMLHttpRequest"})
    assert session.csrf_ok("POST", {"X-Requested-With": "dialer-ui"})

"""Whom calls are for: the batch's values over the configuration's; a company and a callback number required."""

from __future__ import annotations

import pytest

from config.settings import load_settings
from dialer.caller_identity import CallerIdentity, resolve_caller
from dialer.errors import InvalidInput, ProblemList


def _resolve(given: CallerIdentity, defaults: CallerIdentity) -> CallerIdentity:
    problems = ProblemList()
    caller = resolve_caller(given, defaults, region="US", problems=problems)
    problems.raise_if_any()
    return caller


def test_given_values_win_and_the_number_is_normalized() -> None:
    defaults = CallerIdentity(company="Default Co", recruiter_name="Sam", callback_number="+12125550199")
    caller = _resolve(CallerIdentity(company=" Acme ", callback_number="(415) 555-0123"), defaults)
    assert caller == CallerIdentity(company="Acme", role=None, recruiter_name="Sam", callback_number="+14155550123")


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (CallerIdentity(callback_number="+14155550123"), "company"),
        (CallerIdentity(company="Acme"), "callback_number"),
        (CallerIdentity(company="Acme", callback_number="12"), "callback_number"),
    ],
)
def test_a_call_that_cannot_say_who_or_where_to_call_back_is_refused(given: CallerIdentity, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        _resolve(given, CallerIdentity())
    assert [p.loc[-1] for p in raised.value.problems] == [field]


def test_the_sandbox_names_itself_and_a_real_livekit_has_no_invented_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIVEKIT_URL", raising=False)
    assert load_settings().caller_defaults.company == "Dialer Sandbox"
    real = load_settings(livekit_url="wss://example.livekit.cloud")
    assert real.caller_defaults == CallerIdentity()
    named = load_settings(livekit_url="wss://example.livekit.cloud", company_name="Acme", callback_number="+14155550123")
    assert named.caller_defaults.company == "Acme"

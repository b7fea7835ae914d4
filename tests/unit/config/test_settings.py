from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import SettingsError, load_settings

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "example.env"


def test_defaults_are_the_embedded_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIVEKIT_URL", "DIALER_DATABASE_URL", "DIALER_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.uses_sandbox
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert (settings.host, settings.port, settings.agent_name) == ("127.0.0.1", 8000, "dialer-agent")


def test_example_file_is_valid_and_documents_every_setting() -> None:
    settings = load_settings(EXAMPLE)
    assert settings.call_weekdays == [0, 1, 2, 3, 4]
    text = EXAMPLE.read_text()
    for name in type(settings).model_fields:
        env = name.upper() if name.startswith("livekit_") else f"DIALER_{name.upper()}"
        assert env in text, f"{env} is not documented in config/example.env"


@pytest.mark.parametrize(
    ("env", "value", "named"),
    [
        ("DIALER_PORT", "99999", "DIALER_PORT"),
        ("DIALER_CALL_WINDOW_START", "9am", "DIALER_CALL_WINDOW_START"),
        ("DIALER_CALL_WEEKDAYS", "1,9", "DIALER_CALL_WEEKDAYS"),
        ("DIALER_DATABASE_URL", "mysql://x", "DIALER_DATABASE_URL"),
        # livekit-server cuts a waiting CreateSIPParticipant off at 80 s, set-up included.
        ("DIALER_RINGING_TIMEOUT_S", "61", "DIALER_RINGING_TIMEOUT_S"),
        ("DIALER_CALLS_PER_SECOND", "1001", "DIALER_CALLS_PER_SECOND"),
        ("DIALER_CALLS_PER_SECOND", "0", "DIALER_CALLS_PER_SECOND"),
    ],
)
def test_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch, env: str, value: str, named: str) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert named in str(caught.value)


def test_calls_per_second_goes_up_to_1000(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trunks sold at hundreds of CPS (the bound was 100)."""
    monkeypatch.setenv("DIALER_CALLS_PER_SECOND", "1000")
    assert load_settings().calls_per_second == 1000


def test_real_livekit_refuses_development_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEKIT_URL", "wss://example.livekit.cloud")
    monkeypatch.setenv("LIVEKIT_API_KEY", "k")
    monkeypatch.setenv("LIVEKIT_API_SECRET", "s")
    with pytest.raises(SettingsError) as caught:
        load_settings().check_production_secrets()
    assert "DIALER_API_KEY" in str(caught.value) and "DIALER_SECRET_KEY" in str(caught.value)


def test_the_longest_ringing_time_out_fits_livekits_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALER_RINGING_TIMEOUT_S", "60")
    settings = load_settings()
    # The adapter's own bound on the request (ringing + its LiveKit time-out) stays inside the server's 80 s.
    assert settings.ringing_timeout_s + settings.livekit_timeout_s < 80


def test_the_retry_delay_scale_is_bounded_and_for_the_sandbox_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALER_SANDBOX_RETRY_DELAY_SCALE", "0.004")
    assert load_settings().sandbox_retry_delay_scale == 0.004
    for bad in ("0", "2", "-1", "fast"):
        monkeypatch.setenv("DIALER_SANDBOX_RETRY_DELAY_SCALE", bad)
        with pytest.raises(SettingsError, match="DIALER_SANDBOX_RETRY_DELAY_SCALE"):
            load_settings()
    monkeypatch.setenv("DIALER_SANDBOX_RETRY_DELAY_SCALE", "0.004")
    monkeypatch.setenv("LIVEKIT_URL", "wss://example.livekit.cloud")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "DIALER_SANDBOX_RETRY_DELAY_SCALE: Value error, scales retry delays on the built-in sandbox only" in str(
        caught.value)
    monkeypatch.setenv("DIALER_SANDBOX_RETRY_DELAY_SCALE", "1")
    assert load_settings().sandbox_retry_delay_scale == 1.0

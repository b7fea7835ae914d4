"""How the voice stage configures the product: the environment of ``dialer serve`` and of ``python -m agent start``
on a running stage (used by the fixtures in conftest.py and by bench/voice_path.py; the product reads nothing else)."""

from __future__ import annotations

from tests.stage.stage import Stage
from tests.stage.voice.callee import CALL_REGIONS

AGENT_NAME = "dialer-voice-stage"
API_KEY = "voice-stage-api-key-0123456789"
AGENT_KEY = "voice-stage-agent-key-0123456789"
WEBHOOK_SECRET = "voice-stage-webhook-secret-0123"
TRANSFER_NUMBER = "+14155550177"
CALLBACK_NUMBER = "+14155550123"
CONSENT = {"source": "careers-site application", "at": "2026-11-20T14:03:00Z", "channel": "web_form"}


def dialer_env(stage: Stage, *, trunk_id: str, webhook_url: str) -> dict[str, str]:
    """LiveKit is the stage, the trunk rings the phone, calling hours 08:00-21:00 every day (a number where it is
    day now is always callable), webhooks out to ``webhook_url``."""
    return {
        "LIVEKIT_URL": stage.url, "LIVEKIT_API_KEY": stage.api_key, "LIVEKIT_API_SECRET": stage.api_secret,
        "DIALER_API_KEY": API_KEY, "DIALER_SECRET_KEY": "voice-stage-secret-key-0123456789",
        "DIALER_AGENT_API_KEY": AGENT_KEY, "DIALER_AGENT_NAME": AGENT_NAME, "DIALER_SIP_OUTBOUND_TRUNK_ID": trunk_id,
        "DIALER_CALL_WINDOW_START": "08:00", "DIALER_CALL_WINDOW_END": "21:00",
        "DIALER_CALL_WEEKDAYS": "0,1,2,3,4,5,6", "DIALER_HOLIDAYS": "", "DIALER_CALL_REGIONS": CALL_REGIONS,
        "DIALER_COMPANY_NAME": "Acme Corp", "DIALER_RECRUITER_NAME": "Jordan Lee", "DIALER_ROLE": "Account Executive",
        "DIALER_CALLBACK_NUMBER": CALLBACK_NUMBER, "DIALER_TRANSFER_NUMBER": TRANSFER_NUMBER,
        "DIALER_WEBHOOK_URL": webhook_url, "DIALER_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "DIALER_DISPATCH_INTERVAL_S": "0.5", "DIALER_RINGING_TIMEOUT_S": "20", "DIALER_CALLS_PER_SECOND": "5",
        "DIALER_MAX_CONCURRENT_CALLS": "20",
    }


def worker_env(stage: Stage, *, dialer_url: str, models_url: str) -> dict[str, str]:
    """The production worker's settings: LiveKit, its agent name, the dialer, the models' base URLs, a loopback
    health port, and a load threshold a busy shared machine never reaches."""
    return {
        "LIVEKIT_URL": stage.ws_url, "LIVEKIT_API_KEY": stage.api_key, "LIVEKIT_API_SECRET": stage.api_secret,
        "DIALER_AGENT_NAME": AGENT_NAME, "DIALER_AGENT_API_URL": dialer_url, "DIALER_AGENT_API_KEY": AGENT_KEY,
        "DIALER_LLM_BASE_URL": models_url, "DIALER_STT_BASE_URL": models_url, "DIALER_TTS_BASE_URL": models_url,
        "OPENAI_API_KEY": "sk-scripted-models", "DIALER_AGENT_HEALTH_HOST": "127.0.0.1",
        "DIALER_AGENT_LOAD_THRESHOLD": "2",
    }

"""Agent worker settings, read once from the environment.

The worker is deployed apart from the dialer (it only needs LiveKit and the dialer's HTTP API), so it
has its own small settings object instead of importing the dialer's configuration and its database
checks. LiveKit's own variable names are kept so `lk` and the worker share one environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_VOICEMAIL_MESSAGE = (
    "Hello, this is the recruiting team calling about your application. "
    "We'll try you again later. Thank you!"
)


class AgentSettingsError(ValueError):
    """A setting has a value the worker cannot use; the message names the variable."""


@dataclass(frozen=True)
class AgentSettings:
    """Everything the agent worker reads from its environment. Secrets are left out of repr()."""

    livekit_url: str | None = None
    livekit_api_key: str | None = field(default=None, repr=False)
    livekit_api_secret: str | None = field(default=None, repr=False)
    agent_name: str = "dialer-agent"
    # Base URL of the dialer API; when unset, the `dialer_url` carried by each dispatch is used.
    dialer_api_url: str | None = None
    # Least-privilege credential for inbound briefing identification (no per-call token exists yet).
    dialer_api_key: str | None = field(default=None, repr=False)
    llm_model: str = "gpt-4o-mini"
    llm_base_url: str | None = None  # OpenRouter or any OpenAI-compatible endpoint
    llm_api_key: str | None = field(default=None, repr=False)  # else OPENAI_API_KEY
    stt_model: str = "gpt-4o-mini-transcribe"
    stt_base_url: str | None = None
    tts_model: str = "gpt-4o-mini-tts"
    tts_voice: str = "alloy"
    tts_base_url: str | None = None
    voicemail_message: str = DEFAULT_VOICEMAIL_MESSAGE
    api_timeout_s: float = 10.0
    identify_max_attempts: int = 3
    # `python -m agent console` has no dispatch: it serves this metadata JSON instead (it holds a token).
    console_metadata: str | None = field(default=None, repr=False)
    # The worker's health/status HTTP server (livekit-agents: every interface, port 8081 in production).
    health_host: str = ""
    health_port: int = 8081
    # CPU load (0-1, the machine's) above which the worker takes no new job; above 1 it never refuses for load.
    load_threshold: float = 0.7
    # Job processes kept started and warm (plugins imported, VAD loaded), so an answered call is not greeted late
    # while one starts; None: livekit-agents' default (one per CPU with `start`, none with `dev`).
    idle_processes: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AgentSettings:
        """Build settings from `env` (default: os.environ); empty strings count as unset."""
        source = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = source.get(name, "").strip()
            return value or None

        def get_float(name: str, default: float) -> float:
            raw = get(name)
            if raw is None:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise AgentSettingsError(f"{name}: expected a number of seconds, got {raw!r}") from None
            if value <= 0:
                raise AgentSettingsError(f"{name}: must be positive")
            return value

        def get_int(name: str, default: int) -> int:
            raw = get(name)
            if raw is None:
                return default
            if not raw.isdigit() or int(raw) < 1:
                raise AgentSettingsError(f"{name}: expected a positive whole number, got {raw!r}")
            return int(raw)

        def get_count(name: str) -> int | None:
            raw = get(name)
            if raw is None:
                return None
            if not raw.isdigit():
                raise AgentSettingsError(f"{name}: expected a whole number (0 or more), got {raw!r}")
            return int(raw)

        def get_port(name: str, default: int) -> int:
            raw = get(name)
            if raw is None:
                return default
            if not raw.isdigit() or not 0 <= int(raw) <= 65535:
                raise AgentSettingsError(f"{name}: expected a port number (0 picks a free one), got {raw!r}")
            return int(raw)

        api_url = get("DIALER_AGENT_API_URL")
        if api_url is not None and not api_url.startswith(("http://", "https://")):
            raise AgentSettingsError("DIALER_AGENT_API_URL: use an http:// or https:// URL")

        return cls(
            livekit_url=get("LIVEKIT_URL"),
            livekit_api_key=get("LIVEKIT_API_KEY"),
            livekit_api_secret=get("LIVEKIT_API_SECRET"),
            agent_name=get("DIALER_AGENT_NAME") or cls.agent_name,
            dialer_api_url=api_url.rstrip("/") if api_url else None,
            dialer_api_key=get("DIALER_AGENT_API_KEY"),
            llm_model=get("DIALER_LLM_MODEL") or cls.llm_model,
            llm_base_url=get("DIALER_LLM_BASE_URL"),
            llm_api_key=get("DIALER_LLM_API_KEY"),
            stt_model=get("DIALER_STT_MODEL") or cls.stt_model,
            stt_base_url=get("DIALER_STT_BASE_URL"),
            tts_model=get("DIALER_TTS_MODEL") or cls.tts_model,
            tts_voice=get("DIALER_TTS_VOICE") or cls.tts_voice,
            tts_base_url=get("DIALER_TTS_BASE_URL"),
            voicemail_message=get("DIALER_VOICEMAIL_MESSAGE") or DEFAULT_VOICEMAIL_MESSAGE,
            api_timeout_s=get_float("DIALER_AGENT_API_TIMEOUT_S", cls.api_timeout_s),
            identify_max_attempts=get_int("DIALER_IDENTIFY_MAX_ATTEMPTS", cls.identify_max_attempts),
            console_metadata=get("DIALER_CONSOLE_METADATA"),
            health_host=get("DIALER_AGENT_HEALTH_HOST") or cls.health_host,
            health_port=get_port("DIALER_AGENT_HEALTH_PORT", cls.health_port),
            load_threshold=get_float("DIALER_AGENT_LOAD_THRESHOLD", cls.load_threshold),
            idle_processes=get_count("DIALER_AGENT_IDLE_PROCESSES"),
        )

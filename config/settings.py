"""Settings: environment variables, then an optional env file, validated once at start-up.

LiveKit's own variable names (`LIVEKIT_URL`, `LIVEKIT_API_KEY`, `LIVEKIT_API_SECRET`) are kept so the
same environment works for `lk`, the agent worker and the dialer. Everything else is `DIALER_*`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from dialer.caller_identity import CallerIdentity
from dialer.policy.holidays import HolidayCalendar

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./dialer.db"
SANDBOX_API_KEY = "sandbox-key"
SANDBOX_API_SECRET = "sandbox-secret-not-for-production-0123456789"
SANDBOX_CALLER = CallerIdentity(company="Dialer Sandbox", recruiter_name="the recruiting team",
                                callback_number="+12125550199")


class SettingsError(RuntimeError):
    """Raised at start-up with a message naming every bad setting."""


def _lk(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """All of the dialer's configuration; see config/example.env for each setting's meaning."""

    model_config = SettingsConfigDict(
        env_prefix="DIALER_",
        env_file=os.environ.get("DIALER_ENV_FILE") or None,
        extra="ignore",
        populate_by_name=True,
    )

    # LiveKit (its own names, no prefix). Unset URL: the built-in sandbox is started.
    livekit_url: str | None = Field(default=None, validation_alias=_lk("LIVEKIT_URL"))
    livekit_api_key: str | None = Field(default=None, validation_alias=_lk("LIVEKIT_API_KEY"))
    livekit_api_secret: str | None = Field(default=None, validation_alias=_lk("LIVEKIT_API_SECRET"))

    database_url: str = DEFAULT_DATABASE_URL
    api_key: str = "dev-api-key"
    secret_key: str = "dev-secret-key-change-me"
    agent_api_key: str = "dev-agent-key"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str | None = None
    sandbox_port: int = Field(default=7880, ge=0, le=65535)
    # The sandbox's own agent worker takes the jobs dispatched to DIALER_AGENT_NAME (sandbox/agents.py); false runs
    # none, like a LiveKit with no worker free: no call rings (see "How dialling works").
    sandbox_agent: bool = True
    agent_name: str = "dialer-agent"
    sip_outbound_trunk_id: str = "ST_sandbox"
    briefing_number: str | None = None
    # The briefing line believes caller ID only when its inbound trunk admits the carrier alone (by address or by
    # SIP credentials, provisioned so); otherwise a PIN is always asked (README "Security").
    briefing_allowed_addresses: Annotated[list[str], NoDecode] = Field(default_factory=list)
    briefing_sip_username: str | None = None
    briefing_sip_password: str | None = None
    default_region: str = Field(default="US", min_length=2, max_length=2)
    # Rate limits (README "Security"), per minute, held in the database across instances; 0 turns one off.
    auth_failures_per_minute: int = Field(default=20, ge=0, le=100_000)  # per client address
    requests_per_minute: int = Field(default=6000, ge=0, le=10_000_000)  # per credential
    pin_failures_per_15_minutes: int = Field(default=5, ge=0, le=1000)  # per interviewer
    api_docs: bool = True  # /docs (Swagger UI from the package); false: no docs page, /openapi.json stays
    # Live pages (GET /api/events): writes on this instance wake them at once; writes by other instances sharing the
    # database are found by re-reading this often (seconds).
    web_events_check_s: float = Field(default=2.0, gt=0, le=600)
    # Regions whose fixed-line and mobile numbers may be called (ISO codes, comma list); empty: default_region only.
    call_regions: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Provisioning (`dialer provision`): the SIP outbound trunk declared as configuration.
    # The briefing inbound trunk and dispatch rule come from `briefing_number` (a comma list for several).
    sip_outbound_address: str | None = None
    sip_outbound_numbers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    sip_outbound_username: str | None = None
    sip_outbound_password: str | None = None
    sip_outbound_transport: Literal["auto", "udp", "tcp", "tls"] = "auto"

    # Calling rules.
    call_window_start: str = "09:00"
    call_window_end: str = "20:00"
    call_weekdays: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [0, 1, 2, 3, 4])
    max_attempts: int = Field(default=3, ge=1, le=20)
    # Holidays on which states that forbid holiday calls (Alabama, Louisiana) are not rung: "federal" (computed
    # US federal holidays) and/or ISO dates of state holidays. Empty: none.
    holidays: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["federal"])
    # Dial only candidates with prior express consent on record. Unset: required whenever LIVEKIT_URL is set.
    require_consent: bool | None = None
    # At most 60: livekit-server gives a wait_until_answered CreateSIPParticipant 80 s in all (pkg/service/sip.go,
    # v1.13), room join and INVITE set-up included; ringing longer than that would be cut off by the server's own
    # deadline instead of ending as a no answer.
    ringing_timeout_s: int = Field(default=30, ge=5, le=60)
    # How long a caller to the briefing number hears ringing while no agent has taken the call.
    briefing_ringing_timeout_s: int = Field(default=20, ge=5, le=180)
    max_call_duration_s: int = Field(default=600, ge=30, le=7200)
    # How long a dial waits, after creating the room with its agent dispatch, for the agent to join before the phone
    # may ring. LiveKit dispatches the job once and drops it when no worker is free; then the room is deleted and
    # the call goes back to the queue, its attempt not spent. A worker usually joins in well under a second; a busy
    # one that must start a job process takes a few.
    agent_wait_s: float = Field(default=10.0, ge=1, le=30)

    # Limits per trunk (global across instances).
    # Carriers sell from 1 to hundreds of calls per second per trunk.
    calls_per_second: float = Field(default=1.0, gt=0, le=1000)
    max_concurrent_calls: int = Field(default=10, ge=1, le=10_000)
    dispatch_interval_s: float = Field(default=2.0, gt=0, le=60)
    dial_lease_s: int = Field(default=120, ge=10)
    # Several instances: CPS guard, reconciler clock, LiveKit time-out, circuit breaker (README "Several instances").
    # The guard is earned from the measured send lateness between these bounds (dialer/engine/guard.py); the floor
    # covers how much the way to LiveKit itself varies, which the dialer cannot measure (the requests' arrival there):
    # lower it only where LiveKit's receive path is known steady (README "Several instances"). Equal bounds fix it.
    cps_guard_min_ms: int = Field(default=100, ge=0, le=1000)
    cps_guard_max_ms: int = Field(default=250, ge=0, le=1000)
    cps_guard_ms: int | None = None  # the fixed guard before it was earned: refused with what to set instead
    reconcile_interval_s: float = Field(default=15.0, gt=0, le=600)
    livekit_timeout_s: float = Field(default=10.0, gt=0, le=120)
    circuit_failure_threshold: int = Field(default=5, ge=1, le=1000)
    circuit_cooldown_s: float = Field(default=30.0, gt=0, le=3600)

    # Webhooks out.
    webhook_url: str | None = None
    webhook_secret: str | None = None

    # Who calls and why: defaults for every batch and single call (each may send its own). A call must say whom
    # it is for and where to call back: with a real LiveKit, batches without them are refused (422) unless these are
    # set; the sandbox fills in its own.
    company_name: str | None = Field(default=None, max_length=200)
    recruiter_name: str | None = Field(default=None, max_length=200)
    callback_number: str | None = Field(default=None, max_length=40)
    role: str | None = Field(default=None, max_length=200)

    # Agent. The voicemail may name {company}, {recruiter}, {callback} and {first_name} (filled in per call);
    # unset, it names the company and the callback number.
    voicemail_message: str | None = Field(default=None, max_length=1000)
    transfer_number: str | None = None

    # The built-in sandbox only (README "Sandbox test numbers"): a simulated conversation on each answered reserved
    # number, and retry delays times this scale so a retry can be watched (0.004: a no-answer retry in 29 s).
    sandbox_conversations: bool = True
    sandbox_retry_delay_scale: float = Field(default=1.0, ge=0.001, le=1.0)

    @field_validator("sandbox_retry_delay_scale")
    @classmethod
    def _sandbox_only_scale(cls, value: float, info: ValidationInfo) -> float:
        if value != 1.0 and info.data.get("livekit_url"):
            raise ValueError(
                "scales retry delays on the built-in sandbox only: unset it when LIVEKIT_URL is set "
                "(real phones keep the real retry delays)"
            )
        return value

    @field_validator("call_weekdays", mode="before")
    @classmethod
    def _parse_weekdays(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        return value

    @field_validator("call_weekdays")
    @classmethod
    def _check_weekdays(cls, value: list[int]) -> list[int]:
        if not value or any(day < 0 or day > 6 for day in value):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday), comma-separated")
        return sorted(set(value))

    @field_validator("briefing_allowed_addresses", mode="before")
    @classmethod
    def _parse_addresses(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def briefing_caller_id_trusted(self) -> bool:
        """Caller ID on the briefing line is the carrier's word only when nobody else can reach the trunk."""
        return bool(self.briefing_allowed_addresses) or bool(self.briefing_sip_username and self.briefing_sip_password)

    @field_validator("call_regions", mode="before")
    @classmethod
    def _parse_regions(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().upper() for part in value.split(",") if part.strip()]
        return value

    @field_validator("call_regions")
    @classmethod
    def _check_regions(cls, value: list[str]) -> list[str]:
        if any(len(code) != 2 or not code.isalpha() for code in value):
            raise ValueError("use two-letter region codes, comma-separated, e.g. US,CA,GB")
        return [code.upper() for code in value]

    @property
    def dial_regions(self) -> frozenset[str]:
        """Where candidates' numbers may be: the configured regions, else the default region alone."""
        return frozenset(self.call_regions) or frozenset({self.default_region.upper()})

    @field_validator("sip_outbound_numbers", mode="before")
    @classmethod
    def _parse_comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("holidays", mode="before")
    @classmethod
    def _parse_holidays(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("holidays")
    @classmethod
    def _check_holidays(cls, value: list[str]) -> list[str]:
        HolidayCalendar.parse(value)  # raises ValueError naming the bad entry
        return value

    @property
    def holiday_calendar(self) -> HolidayCalendar:
        return HolidayCalendar.parse(self.holidays)

    @property
    def caller_defaults(self) -> CallerIdentity:
        """Whom calls are for when a batch does not say; the sandbox names itself and a fictional number."""
        given = CallerIdentity(self.company_name, self.role, self.recruiter_name, self.callback_number)
        return given.over(SANDBOX_CALLER) if self.uses_sandbox else given

    @property
    def consent_required(self) -> bool:
        """Real phones ring when a real LiveKit is configured: then consent is required unless switched off."""
        return (not self.uses_sandbox) if self.require_consent is None else self.require_consent

    @field_validator("sip_outbound_transport", mode="before")
    @classmethod
    def _lower_transport(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("call_window_start", "call_window_end")
    @classmethod
    def _check_hhmm(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and 0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
            raise ValueError("use HH:MM, e.g. 09:00")
        return f"{int(hours):02d}:{int(minutes):02d}"

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db")
        return value

    @model_validator(mode="after")
    def _guard_bounds_in_order(self) -> Settings:
        if self.cps_guard_ms is not None:
            raise ValueError(
                "DIALER_CPS_GUARD_MS is no longer read: the CPS guard is earned from the measured send lateness; "
                "set DIALER_CPS_GUARD_MIN_MS and DIALER_CPS_GUARD_MAX_MS (equal values fix it)"
            )
        if self.cps_guard_min_ms > self.cps_guard_max_ms:
            raise ValueError("DIALER_CPS_GUARD_MIN_MS cannot be above DIALER_CPS_GUARD_MAX_MS")
        return self

    @model_validator(mode="after")
    def _agent_wait_within_the_lease(self) -> Settings:
        # The wait runs inside the dial's lease (ringing time-out + DIALER_DIAL_LEASE_S from its slot): longer, and
        # the reconciler could settle an attempt that is still waiting for its agent.
        if self.agent_wait_s >= self.ringing_timeout_s + self.dial_lease_s:
            raise ValueError("DIALER_AGENT_WAIT_S must be shorter than DIALER_RINGING_TIMEOUT_S + DIALER_DIAL_LEASE_S")
        return self

    def check_production_secrets(self) -> None:
        """With a real LiveKit (real phones ring), the development defaults are refused."""
        if self.uses_sandbox:
            return
        weak = [name for name, value in (("DIALER_API_KEY", self.api_key), ("DIALER_SECRET_KEY", self.secret_key), ("DIALER_AGENT_API_KEY", self.agent_api_key))
                if value.startswith("dev-") or len(value) < 16]
        if weak:
            raise SettingsError(
                "invalid configuration:\n  " + "\n  ".join(f"{n}: set a random value of 16+ characters" for n in weak)
            )
        if not (self.livekit_api_key and self.livekit_api_secret):
            raise SettingsError("invalid configuration:\n  LIVEKIT_API_KEY/LIVEKIT_API_SECRET: required with LIVEKIT_URL")

    @property
    def uses_sandbox(self) -> bool:
        return not self.livekit_url

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def load_settings(env_file: str | Path | None = None, **overrides: object) -> Settings:
    """Build settings, turning pydantic's error into one line per bad setting, named as the user sets it."""
    try:
        if env_file is not None:
            return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg,arg-type]
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            if not error["loc"]:  # a rule across settings: its message names them
                lines.append(str(error["msg"]).removeprefix("Value error, "))
                continue
            field = str(error["loc"][0])
            env_name = field.upper() if field.upper().startswith("LIVEKIT_") else f"DIALER_{field.upper()}"
            lines.append(f"{env_name}: {error['msg']}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()

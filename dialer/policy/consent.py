"""Prior express consent to be called, as the TCPA requires it for an artificial voice.

47 U.S.C. § 227(b)(1)(A) (mobile numbers) and (b)(1)(B) (residential lines) forbid calls using an artificial or
prerecorded voice without the called party's prior express consent; the FCC's declaratory ruling FCC 24-17 (2024)
holds that an AI-generated voice is such a voice. A consent is a source, a time and a channel; an opt-out on a call
withdraws it, and only a consent given after the withdrawal counts again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

CONSENT_SOURCE = "47 U.S.C. § 227(b)(1)(A)-(B); FCC 24-17"


@dataclass(frozen=True)
class Consent:
    source: str | None = None
    at: datetime | None = None
    channel: str | None = None
    withdrawn_at: datetime | None = None

    @property
    def given(self) -> bool:
        if self.at is None or not (self.source or "").strip():
            return False
        return self.withdrawn_at is None or self.at > self.withdrawn_at


def missing_consent(consent: Consent | None, *, required: bool) -> str | None:
    """Why this callee may not be dialled for lack of consent (a sentence for the trail), or None."""
    if not required or (consent is not None and consent.given):
        return None
    if consent is not None and consent.withdrawn_at is not None:
        when = consent.withdrawn_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"the candidate withdrew consent to be called on {when} ({CONSENT_SOURCE})"
    return f"no prior express consent to be called is on record (source, time, channel; {CONSENT_SOURCE})"

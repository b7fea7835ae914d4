"""Who is calling and why: the company, the role, the recruiter and a number to call back.

Each batch (and each single call) carries them, with defaults from the configuration. The agent says the company and
that it is automated before it asks anything, names the role only once it knows it speaks to the candidate, and
answers "who is this?" from them; the voicemail names the company and the callback number.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from dialer.errors import ProblemList
from dialer.phones import InvalidPhoneNumber, normalize_phone


@dataclass(frozen=True)
class CallerIdentity:
    company: str | None = None
    role: str | None = None
    recruiter_name: str | None = None
    callback_number: str | None = None  # E.164

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> CallerIdentity:
        data = data or {}
        return cls(**{k: data.get(k) for k in ("company", "role", "recruiter_name", "callback_number")})

    def over(self, defaults: CallerIdentity) -> CallerIdentity:
        """These values where given, else the defaults."""
        return CallerIdentity(
            company=self.company or defaults.company,
            role=self.role or defaults.role,
            recruiter_name=self.recruiter_name or defaults.recruiter_name,
            callback_number=self.callback_number or defaults.callback_number,
        )


def resolve_caller(
    given: CallerIdentity, defaults: CallerIdentity, *, region: str, problems: ProblemList
) -> CallerIdentity:
    """The call's identity: given values over the defaults, checked. The company and a callback number are
    required: a call that cannot say who it is for, or where to call back, is not made."""
    caller = CallerIdentity(
        company=(given.company or "").strip() or None,
        role=(given.role or "").strip() or None,
        recruiter_name=(given.recruiter_name or "").strip() or None,
        callback_number=(given.callback_number or "").strip() or None,
    ).over(defaults)
    if caller.company is None:
        problems.add(("company",), "say whom the calls are for: send company, or set DIALER_COMPANY_NAME")
    if caller.callback_number is None:
        problems.add(("callback_number",), "give a number to call back: send callback_number, or set DIALER_CALLBACK_NUMBER")
        return caller
    try:
        number = normalize_phone(caller.callback_number, default_region=region)
    except InvalidPhoneNumber as exc:
        problems.add(("callback_number",), str(exc))
        return caller
    return CallerIdentity(caller.company, caller.role, caller.recruiter_name, number)

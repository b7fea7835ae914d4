"""Domain errors. The API maps each to one status code; messages say what to fix and never echo phone numbers."""

from __future__ import annotations

from dataclasses import dataclass, field


class DialerError(Exception):
    """Base class: `message` is safe to show to the API caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DialerError):
    pass


class Conflict(DialerError):
    pass


class Forbidden(DialerError):
    pass


class TooManyAttempts(DialerError):
    """429: a limit on tries (wrong PINs) is reached; `retry_after_s` says when the next try is allowed."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (`loc`, e.g. ["candidates", 12, "phone"]) and what."""

    loc: tuple[str | int, ...]
    message: str


class InvalidInput(DialerError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        summary = "; ".join(f"{'.'.join(map(str, p.loc))}: {p.message}" for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(summary + more)


@dataclass
class ProblemList:
    """Collects problems across a whole request so the caller can fix everything in one go."""

    problems: list[Problem] = field(default_factory=list)
    limit: int = 100

    def add(self, loc: tuple[str | int, ...], message: str) -> None:
        if len(self.problems) < self.limit:
            self.problems.append(Problem(loc, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems)

"""Keypad input collection for phone callers (pure: digits in, completed entries out).

Digits are PINs and menu choices: they are never logged, only counted.
"""

from __future__ import annotations

DIGITS = frozenset("0123456789")


class DtmfBuffer:
    """Collects digits until the terminator (`#`) or `max_digits`; `*` starts over."""

    def __init__(self, *, terminator: str = "#", clear: str = "*", max_digits: int = 8) -> None:
        self._terminator = terminator
        self._clear = clear
        self._max = max_digits
        self._digits: list[str] = []

    def __len__(self) -> int:
        return len(self._digits)

    def push(self, key: str) -> str | None:
        """Feed one key; returns the completed entry when one is complete, else None."""
        if key == self._clear:
            self._digits.clear()
            return None
        if key == self._terminator:
            return self._take() if self._digits else None
        if key in DIGITS:
            self._digits.append(key)
            if len(self._digits) >= self._max:
                return self._take()
        return None

    def reset(self) -> None:
        self._digits.clear()

    def _take(self) -> str:
        entry = "".join(self._digits)
        self._digits.clear()
        return entry


def digits_of(spoken: str) -> str:
    """Keep only the digits of a PIN the LLM heard (it turns spoken numbers into digits itself)."""
    return "".join(c for c in spoken if c in DIGITS)

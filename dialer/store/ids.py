"""Identifiers: prefixed, random, URL-safe, so a leaked id says what it is but nothing else."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"

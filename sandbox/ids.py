"""LiveKit-style ids (``RM_…``, ``PA_…``, ``ST_…``): a type prefix and 12 random characters."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(12))

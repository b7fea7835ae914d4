"""The one error provisioning raises for anything the operator must fix; its text never echoes a phone number."""

from __future__ import annotations


class ProvisioningError(RuntimeError):
    """Configuration that cannot be provisioned, or a LiveKit state it will not guess its way around."""

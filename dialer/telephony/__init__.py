"""Telephony: one small protocol, one LiveKit implementation (production and the sandbox speak the same wire)."""

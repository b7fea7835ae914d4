"""Built-in LiveKit-compatible sandbox: same wire protocol, no real calls (see ``server.LiveKitSandbox``)."""

from .agents import SandboxAgents, SandboxJob
from .calls import SandboxCall
from .faults import Fault
from .numbers import SandboxOutcome, outcome_for
from .server import DEFAULT_OUTBOUND_TRUNK_ID, LiveKitSandbox
from .twirp import RecordedRequest
from .webhooks import WebhookDelivery

__all__ = [
    "DEFAULT_OUTBOUND_TRUNK_ID",
    "Fault",
    "LiveKitSandbox",
    "RecordedRequest",
    "SandboxAgents",
    "SandboxCall",
    "SandboxJob",
    "SandboxOutcome",
    "WebhookDelivery",
    "outcome_for",
]

"""Provisioning as code: the SIP trunks and briefing dispatch rule LiveKit needs, declared by settings.

`desired` (settings → protobufs) and `plan` (desired vs existing → actions) are pure; `executor` lists and
applies through `livekit.api.LiveKitAPI`; `render` makes the operator's text; `commands` are the CLI cores.
"""

from dialer.provisioning.commands import NEEDS_LIVEKIT, provision_command, trunks_list_command
from dialer.provisioning.desired import (
    DISPATCH_RULE_NAME,
    INBOUND_TRUNK_NAME,
    OUTBOUND_TRUNK_NAME,
    DesiredState,
    desired_state,
)
from dialer.provisioning.errors import ProvisioningError
from dialer.provisioning.executor import ProvisionResult, apply_plan, fetch_existing, provision
from dialer.provisioning.plan import Action, ExistingState, Plan, plan_provisioning

__all__ = [
    "DISPATCH_RULE_NAME",
    "INBOUND_TRUNK_NAME",
    "NEEDS_LIVEKIT",
    "OUTBOUND_TRUNK_NAME",
    "Action",
    "DesiredState",
    "ExistingState",
    "Plan",
    "ProvisionResult",
    "ProvisioningError",
    "apply_plan",
    "desired_state",
    "fetch_existing",
    "plan_provisioning",
    "provision",
    "provision_command",
    "trunks_list_command",
]

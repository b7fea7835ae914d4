"""Call set-up on the stage: real livekit-server v1.13.5 and livekit-sip v1.8.0 dialling the sipp phone.

For each of N calls (default 50, one after the other) to the reserved number that answers at once (555-0116), the
dialer's own telephony adapter (`LiveKitTelephony.dial`: CreateRoom with the agent dispatch, then
CreateSIPParticipant with wait_until_answered) places the call, and four instants are taken:

  sent     CreateSIPParticipant leaves the dialer (after CreateRoom returned)
  invite   the INVITE reaches the phone (sipp's own timestamp)
  answer   LiveKit's ACK of the phone's 200 OK reaches the phone (sipp logs the answer as the ACK arrives; the 200
           leaves a fraction of a millisecond before it on loopback)
  active   the dialer has LiveKit's answer: CreateSIPParticipant returned, the callee is sip.callStatus=active

and it prints p50 / p99 / max of each leg: sent → invite (LiveKit's SIP set-up: psrpc to livekit-sip, its room
join, the INVITE), invite → answer (the phone answering at once, and LiveKit's ACK), answer → active (media start
and the reply), and sent → active less the phone's part (LiveKit's whole overhead). Each call's room is
deleted before the next. The stage is built (first time only, minutes) and started as the test fixtures do.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from livekit import api  # noqa: E402

from bench.support import ms_summary  # noqa: E402
from dialer.telephony.base import DialRequest  # noqa: E402
from dialer.telephony.livekit import LiveKitTelephony  # noqa: E402
from tests.stage.build import ensure_binaries  # noqa: E402
from tests.stage.fixtures import create_outbound_trunk  # noqa: E402
from tests.stage.phone import SipPhone, reserved_scripts  # noqa: E402
from tests.stage.stage import Stage, start_stage  # noqa: E402

NUMBER = "+12125550116"  # answers at once, never hangs up by itself


async def _calls(stage: Stage, phone: SipPhone, count: int) -> dict[str, list[float]]:
    trunk_id = await create_outbound_trunk(stage, phone.address, "bench phone")
    telephony = LiveKitTelephony(url=stage.url, api_key=stage.api_key, api_secret=stage.api_secret)
    legs: dict[str, list[float]] = {"sent → INVITE at the phone": [], "INVITE → 200 OK/ACK (the phone)": [],
                                    "ACK → active seen by the dialer": [], "sent → active": [],
                                    "sent → active, less the phone's part": []}
    try:
        async with api.LiveKitAPI(stage.url, stage.api_key, stage.api_secret) as lk:
            for index in range(count):
                room = f"bench-{index}-{int(time.time())}"
                request = DialRequest(
                    call_id=f"bench{index}", attempt_id=f"att{index}", room_name=room, phone_e164=NUMBER,
                    trunk_id=trunk_id, agent_name="dialer-agent", agent_metadata=json.dumps({"mode": "gap_filling"}),
                    participant_identity=f"callee-bench{index}", participant_name="bench",
                    participant_attributes={"dialer.call_id": f"bench{index}"},
                )
                await telephony.prepare(request)
                sent = time.time()
                await telephony.place(request)
                active = time.time()
                listed = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
                sip_call_id = next(p.attributes["sip.callIDFull"] for p in listed.participants
                                   if p.identity == request.participant_identity)
                invite = phone.wait_event("INVITE", call_id=sip_call_id, timeout_s=5).at
                answer = phone.wait_event("ANSWERED", call_id=sip_call_id, timeout_s=5).at
                legs["sent → INVITE at the phone"].append(invite - sent)
                legs["INVITE → 200 OK/ACK (the phone)"].append(answer - invite)
                legs["ACK → active seen by the dialer"].append(active - answer)
                legs["sent → active"].append(active - sent)
                legs["sent → active, less the phone's part"].append(active - sent - (answer - invite))
                await lk.room.delete_room(api.DeleteRoomRequest(room=room))
    finally:
        await telephony.close()
    return legs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=50, help="calls to place, one after the other (default 50)")
    args = parser.parse_args()
    binaries = ensure_binaries()
    with tempfile.TemporaryDirectory(prefix="stage-bench-") as workdir:
        stage = start_stage(binaries, Path(workdir), "redis-server")
        phone = SipPhone(Path(workdir) / "phone", reserved_scripts(), at=stage.namespace.outer)
        try:
            phone.start()
            legs = asyncio.run(_calls(stage, phone, args.calls))
        finally:
            phone.stop()
            stage.stop()
    print(f"call set-up on the stage: livekit-server {binaries.server_version}, livekit-sip {binaries.sip_version}, "
          f"{args.calls} calls to the reserved 555-0116 (answers at once), one at a time")
    for name, samples in legs.items():
        print(f"  {name:40s} {ms_summary(samples)}")


if __name__ == "__main__":
    main()

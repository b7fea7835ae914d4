"""The phone placing a call: a sipp UAC (one call, then it exits) from a given caller number to LiveKit's SIP port,
e.g. an interviewer dialling the briefing number. Its events go to the phone's log, so ``SipPhone.wait_event``,
``recording`` and ``events_of`` work for it as for calls the phone receives.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import quoteattr

from tests.stage.sipp_scenario import log_step

# Final failures LiveKit may answer an inbound INVITE with (no agent, no rule, the room deleted...).
_FAILURES = (403, 404, 408, 480, 486, 487, 488, 500, 503, 603)


def write_caller_scenario(path: Path, *, caller: str, pcap: Path | None, hangup_after_s: float | None,
                          answer_timeout_s: float = 60.0) -> None:
    user = re.sub(r"[^+\d]", "", caller)
    sdp = "\n".join([
        "v=0", "o=caller 53655765 2353687637 IN IP[local_ip_type] [media_ip]", "s=-",
        "c=IN IP[media_ip_type] [media_ip]", "t=0 0", "m=audio [media_port] RTP/AVP 0 101",
        "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20", "a=sendrecv",
    ])
    invite = "\n".join([
        "INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0",
        "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
        f"From: <sip:{user}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]",
        "To: <sip:[service]@[remote_ip]:[remote_port]>", "Call-ID: [call_id]", "CSeq: 1 INVITE",
        f"Contact: <sip:{user}@[local_ip]:[local_port];transport=[transport]>", "Max-Forwards: 70",
        "Content-Type: application/sdp", "Content-Length: [len]", "", sdp,
    ])
    in_dialog = ("[last_From:]", "[last_To:]", "Call-ID: [call_id]")
    ack = "\n".join(["ACK [next_url] SIP/2.0", "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
                     *in_dialog, "CSeq: 1 ACK", "Max-Forwards: 70", "Content-Length: 0", ""])
    failed_ack = "\n".join(["ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0", "[last_Via:]", *in_dialog,
                            "CSeq: 1 ACK", "Max-Forwards: 70", "Content-Length: 0", ""])
    bye = "\n".join(["BYE [next_url] SIP/2.0", "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
                     *in_dialog, "CSeq: 2 BYE", "Max-Forwards: 70", "Content-Length: 0", ""])
    ok = "\n".join(["SIP/2.0 200 OK", "[last_Via:]", "[last_From:]", "[last_To:]", "[last_Call-ID:]", "[last_CSeq:]",
                    "Content-Length: 0", ""])

    def send(message: str, retrans: bool = False) -> str:
        attr = ' retrans="500"' if retrans else ""
        return f"<send{attr}><![CDATA[\n{message}\n]]></send>\n"

    out = ['<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="dialer stage caller">\n',
           log_step("CALLING", f"callee=[service] caller={user}"), send(invite, retrans=True),
           '<recv response="100" optional="true"/>\n',
           '<recv response="180" optional="true"><action><log message="[timestamp] RINGING [call_id]"/></action>'
           "</recv>\n",
           '<recv response="183" optional="true"><action><log message="[timestamp] RINGING [call_id]"/></action>'
           "</recv>\n"]
    for code in _FAILURES:
        out.append(f'<recv response="{code}" optional="true" next="failed">'
                   f'<action><log message="[timestamp] REJECTED [call_id] code={code}"/></action></recv>\n')
    out.append(f'<recv response="200" rrs="true" timeout="{int(answer_timeout_s * 1000)}" ontimeout="end"><action>'
               '<ereg regexp="m=audio ([0-9]+)" search_in="body" check_it="false" assign_to="rtp_all,lk_rtp"/>'
               '<log message="[timestamp] SDP [call_id] [$rtp_all]"/>'  # sipp refuses a variable used once
               '<log message="[timestamp] INVITE [call_id] rtp=[$lk_rtp]"/>'
               '<log message="[timestamp] ANSWERED [call_id]"/></action></recv>\n')
    out.append(send(ack))
    if pcap is not None:
        out.append(f"<nop><action><exec play_pcap_audio={quoteattr(str(pcap))}/></action></nop>\n")
    if hangup_after_s is not None:
        out.append(f'<recv request="BYE" timeout="{int(hangup_after_s * 1000)}" ontimeout="hangup" next="bye"/>\n')
    else:
        out.append('<recv request="BYE" next="bye"/>\n')
    out.append('<label id="bye"/>\n' + send(ok) + log_step("BYE_RECEIVED") + '<nop next="end"/>\n')
    out.append('<label id="hangup"/>\n' + log_step("HANGING_UP") + send(bye)
               + '<recv response="200" timeout="5000" ontimeout="end"/>\n' + log_step("HUNG_UP") + '<nop next="end"/>\n')
    out.append('<label id="failed"/>\n' + send(failed_ack) + '<nop next="end"/>\n')
    out.append('<label id="end"/>\n<nop><action><log message="[timestamp] END [call_id]"/></action></nop>\n')
    out.append("</scenario>\n")
    path.write_text("".join(out))

"""The phone's sipp scenario, written from call scripts: one branch per dialled number.

sipp (Debian's sip-tester) is the SIP user agent: it parses, answers, retransmits and keeps each call's dialog; this
module only writes its XML scenario. On each INVITE the scenario notes the callee, the caller, LiveKit's RTP port and
Contact, then jumps (sipp's ``ereg`` + ``test``) to the branch of the first script whose number is in the To header,
else to the default. Every event is written with sipp's ``<log>`` as one line ``<epoch s> <EVENT> <call-id> k=v...``,
which ``SipPhone`` reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from tests.stage.rtp_media import MediaStep

Respond = Literal["answer", "reject", "ring_forever", "ignore"]


@dataclass(frozen=True)
class CallScript:
    """What the callee at one number does.

    ``answer``: rings ``ring_s`` (0: answers at once), answers, plays ``media``, and hangs up after
    ``hangup_after_s`` (None: waits for LiveKit's BYE); a REFER is accepted (202, NOTIFY 200, then the phone hangs
    up, as a transferred phone does) or rejected with 603 (the call goes on until LiveKit's BYE). ``reject``: rings ``ring_s``, then answers ``code``.
    ``ring_forever``: 180 and nothing more until CANCEL (then 487). ``ignore``: never answers the INVITE at all.
    """

    respond: Respond
    ring_s: float = 1.0
    code: int = 0
    reason: str = ""
    media: tuple[MediaStep, ...] = ()
    hangup_after_s: float | None = None
    refer: Literal["accept", "reject"] = "accept"
    pcap: Path | None = field(default=None, compare=False)  # set when written


_TAG = "[pid]SIPpTag01[call_number]"
_CONTACT = "Contact: <sip:[local_ip]:[local_port];transport=[transport]>"


def _response(first_line: str, *, cseq: str = "[last_CSeq:]", sdp: bool = False, to_tag: bool = True) -> str:
    lines = [first_line, "[last_Via:]", "[last_From:]", f"[last_To:]{';tag=' + _TAG if to_tag else ''}",
             "[last_Call-ID:]", cseq, _CONTACT]
    if sdp:
        body = "\n".join([
            "v=0", "o=phone 53655765 2353687637 IN IP[local_ip_type] [media_ip]", "s=-",
            "c=IN IP[media_ip_type] [media_ip]", "t=0 0", "m=audio [media_port] RTP/AVP 0 101",
            "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20",
            "a=sendrecv",
        ])
        lines += ["Content-Type: application/sdp", "Content-Length: [len]", "", body]
    else:
        lines += ["Content-Length: 0", ""]
    return "\n".join(lines)


def _request(method: str, *, extra: tuple[str, ...] = (), body: str = "") -> str:
    lines = [f"{method} [$lk_contact] SIP/2.0", "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
             f"From: [$to_hdr];tag={_TAG}", "To: [$from_hdr]", "[last_Call-ID:]", f"CSeq: [cseq] {method}",
             _CONTACT, "Max-Forwards: 70", *extra]
    lines += (["Content-Length: [len]", "", body] if body else ["Content-Length: 0", ""])
    return "\n".join(lines)


def _send(message: str, retrans: bool = False) -> str:
    attr = ' retrans="500"' if retrans else ""
    return f"<send{attr}><![CDATA[\n{message}\n]]></send>\n"


def log_step(event: str, extra: str = "") -> str:
    """One line for SipPhone: sipp's [timestamp] (wall clock), the event, the Call-ID, then key=value pairs."""
    message = f"[timestamp] {event} [call_id]{' ' + extra if extra else ''}"
    return f"<nop><action><log message={quoteattr(message)}/></action></nop>\n"


def _recv_logged(request: str, event: str, extra: str = "") -> str:
    """A recv that logs as it matches (sipp runs a step's actions when its message arrives)."""
    message = f"[timestamp] {event} [call_id]{' ' + extra if extra else ''}"
    return f'<recv request="{request}"><action><log message={quoteattr(message)}/></action></recv>\n'


def _ring() -> str:
    return _send(_response("SIP/2.0 180 Ringing")) + log_step("RINGING")


def _shared_blocks() -> str:
    """What every branch ends in: CANCEL while ringing, BYE either way, and the REFER answers (sipp's XML parser
    reads at most 64 KiB, so branches share these instead of repeating them)."""
    notify = _request("NOTIFY", extra=("Event: refer;id=[$refer_cseq]",
                                      "Subscription-State: terminated;reason=noresource",
                                      "Content-Type: message/sipfrag;version=2.0"), body="SIP/2.0 200 OK")
    return (
        '<label id="cancel"/>\n' + _send(_response("SIP/2.0 200 OK"))
        + _send(_response("SIP/2.0 487 Request Terminated", cseq="CSeq: [$cseq] INVITE"))
        + '<recv request="ACK"/>\n' + log_step("CANCELLED") + '<nop next="end"/>\n'
        + '<label id="bye"/>\n' + _send(_response("SIP/2.0 200 OK")) + log_step("BYE_RECEIVED") + '<nop next="end"/>\n'
        + '<label id="hangup"/>\n' + log_step("HANGING_UP") + _send(_request("BYE"))
        + '<recv response="200" timeout="5000" ontimeout="end"/>\n' + log_step("HUNG_UP") + '<nop next="end"/>\n'
        + '<label id="refer_reject"/>\n' + log_step("REFER", "target=[$refer_to]") + _send(_response("SIP/2.0 603 Decline"))
        + log_step("REFER_REJECTED") + '<recv request="BYE" next="bye"/>\n'
        + '<label id="refer_accept"/>\n' + log_step("REFER", "target=[$refer_to]")
        + _send(_response("SIP/2.0 202 Accepted")) + log_step("REFER_ACCEPTED") + _send(notify)
        + '<recv response="200" timeout="5000" ontimeout="hangup"/>\n<nop next="hangup"/>\n'
    )


def _branch(label: str, script: CallScript) -> str:
    out = f'<label id="{label}"/>\n'
    ring_ms = int(script.ring_s * 1000)
    if script.respond == "ignore":
        # never answers: LiveKit's INVITE transaction times out; its retransmissions are absorbed by sipp
        return out + log_step("IGNORED") + '<pause milliseconds="120000"/>\n<nop next="end"/>\n'
    if script.respond == "ring_forever":
        return out + _ring() + '<recv request="CANCEL" next="cancel"/>\n'
    if ring_ms > 0:
        out += _ring() + f'<recv request="CANCEL" timeout="{ring_ms}" ontimeout="{label}_go" next="cancel"/>\n'
    out += f'<label id="{label}_go"/>\n'
    if script.respond == "reject":
        reason = script.reason or "Rejected"
        out += _send(_response(f"SIP/2.0 {script.code} {reason}"))
        return out + _recv_logged("ACK", "REJECTED", f"code={script.code}") + '<nop next="end"/>\n'
    # logged when LiveKit's ACK arrives: a log step between the 200 and the ACK's recv would race the ACK
    out += _send(_response("SIP/2.0 200 OK", sdp=True), retrans=True) + _recv_logged("ACK", "ANSWERED")
    if script.pcap is not None:
        out += f"<nop><action><exec play_pcap_audio={quoteattr(str(script.pcap))}/></action></nop>\n"
    # sipp arms a recv's timeout only where the call waits, which is the optional REFER: both carry it
    timeout = (f' timeout="{int(script.hangup_after_s * 1000)}" ontimeout="hangup"'
               if script.hangup_after_s is not None else "")
    out += (f'<recv request="REFER" optional="true"{timeout} next="refer_{script.refer}"><action>'
            '<ereg regexp="Refer-To: *([-+:@.;=_a-zA-Z0-9&lt;&gt;]+)" search_in="msg" assign_to="whole,refer_to"/>'
            '<ereg regexp="([0-9]+)" search_in="hdr" header="CSeq:" assign_to="whole,refer_cseq"/>'
            "</action></recv>\n")
    if script.hangup_after_s is not None:
        out += (f'<recv request="BYE" timeout="{int(script.hangup_after_s * 1000)}" ontimeout="hangup" '
                'next="bye"/>\n')
    else:
        out += '<recv request="BYE" next="bye"/>\n'
    return out


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def write_scenario(path: Path, scripts: dict[str, CallScript], default: CallScript) -> None:
    """The UAS scenario for these scripts (keys: dialled numbers, E.164 or digits)."""
    out = ['<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="dialer stage phone">\n',
           '  <recv request="INVITE" crlf="true">\n    <action>\n',
           '      <ereg regexp="([0-9]+)" search_in="hdr" header="CSeq:" assign_to="whole,cseq"/>\n',
           '      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="to_hdr"/>\n',
           '      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="from_hdr"/>\n',
           '      <ereg regexp="sip:([^@;&gt;]+)@" search_in="hdr" header="To:" assign_to="whole,callee"/>\n',
           '      <ereg regexp="sip:([^@;&gt;]+)@" search_in="hdr" header="From:" check_it="false" '
           'assign_to="whole,caller"/>\n',
           '      <ereg regexp="&lt;(sip:[^&gt;]+)&gt;" search_in="hdr" header="Contact:" '
           'assign_to="whole,lk_contact"/>\n',
           '      <ereg regexp="m=audio ([0-9]+)" search_in="body" check_it="false" assign_to="whole,lk_rtp"/>\n']
    labels: dict[CallScript, str] = {}
    for number, script in scripts.items():
        label = labels.setdefault(script, f"n{len(labels)}")  # numbers with the same script share a branch
        regexp = escape(rf"sip:\+?{_digits(number)}@")
        out.append(f'<ereg regexp="{regexp}" search_in="hdr" header="To:" check_it="false" '
                   f'assign_to="is_{_digits(number)}"/>\n')
    out.append("    </action>\n  </recv>\n")
    out.append(log_step("INVITE", "callee=[$callee] caller=[$caller] rtp=[$lk_rtp]"))
    for number, script in scripts.items():
        out.append(f'<nop next="{labels[script]}" test="is_{_digits(number)}"/>\n')
    out.append('  <nop next="dflt"/>\n')
    for script, label in labels.items():
        out.append(_branch(label, script))
    out.append(_branch("dflt", default))
    out.append(_shared_blocks())
    out.append('  <label id="end"/>\n  <nop><action><log message="[timestamp] END [call_id]"/></action></nop>\n')
    out.append("</scenario>\n")
    path.write_text("".join(out))

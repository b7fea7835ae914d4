"""The SIP phone simulator: the carrier and the callee in one, on a sipp UAS bound to the outer end of the stage's
veth pair (livekit-sip, in its namespace, reaches nothing else).

LiveKit's outbound trunk points at ``SipPhone.address``. What each dialled number does is its ``CallScript``
(``RESERVED_SCRIPTS`` mirrors the sandbox's reserved numbers; a test may start a phone with scripts of its own).
What the phone heard is recorded by sniffing the RTP that arrives at its media port on the veth (a raw packet socket:
sipp itself can only echo or replay media), one WAV per call, and every SIP event sipp logs is read back as a
``PhoneEvent`` with sipp's own wall-clock timestamp.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import secrets
import shutil
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.stage.processes import StageProcess, free_port_pair, free_udp_port
from tests.stage.caller import write_caller_scenario
from tests.stage.netns import VethEnd
from tests.stage.rtp_media import MediaStep, RtpRecorder, Silence, write_pcap
from tests.stage.sipp_scenario import CallScript, write_scenario

ETH_P_IP = 0x0800
PACKET_OUTGOING = 4


def reserved_scripts(ring_s: float = 1.0, talk_time_scale: float = 1.0) -> dict[str, CallScript]:
    """The sandbox's reserved numbers (sandbox/numbers.py) as call scripts, for area code 212.

    Answered calls keep RTP flowing (silence) so livekit-sip's media time-out never ends them by itself.
    """
    keep_talking = (Silence(300.0),)
    scripts: dict[str, CallScript] = {}
    for digit in range(10):
        scripts[f"+1212555010{digit}"] = CallScript(
            "answer", ring_s=ring_s, media=keep_talking, hangup_after_s=10.0 * (digit + 1) * talk_time_scale,
        )
    scripts.update({
        "+12125550110": CallScript("reject", ring_s=0, code=486, reason="Busy Here"),
        "+12125550111": CallScript("reject", ring_s=ring_s, code=480, reason="Temporarily Unavailable"),
        "+12125550112": CallScript("reject", ring_s=ring_s, code=603, reason="Decline"),
        "+12125550113": CallScript("reject", ring_s=0, code=404, reason="Not Found"),
        "+12125550114": CallScript("reject", ring_s=0, code=503, reason="Service Unavailable"),
        "+12125550115": CallScript("answer", ring_s=ring_s, media=keep_talking,
                                   hangup_after_s=60.0 * talk_time_scale),
        "+12125550116": CallScript("answer", ring_s=0, media=keep_talking),
        "+12125550117": CallScript("ring_forever"),
        "+12125550118": CallScript("ignore"),
    })
    return scripts


DEFAULT_SCRIPT = CallScript("answer", ring_s=1.0, media=(Silence(300.0),), hangup_after_s=30.0)


@dataclass(frozen=True)
class PlacedCall:
    """A call the phone placed; ``call_id`` is its SIP Call-ID (its events carry it)."""

    call_id: str
    process: StageProcess


@dataclass(frozen=True)
class PhoneEvent:
    at: float           # wall clock (sipp's timestamp)
    event: str          # INVITE, RINGING, ANSWERED, REJECTED, CANCELLED, IGNORED, BYE_RECEIVED, HUNG_UP, REFER...
    call_id: str
    fields: dict[str, str] = field(default_factory=dict)


def _parse(line: str) -> PhoneEvent | None:
    """``2026-12-01\\t22:31:24.808417\\t1796164284.808417 EVENT call-id k=v ...`` (sipp's [timestamp])."""
    parts = line.replace("\t", " ").split()
    if len(parts) < 5:
        return None
    try:
        at = float(parts[2])
    except ValueError:
        try:
            at = datetime.datetime.fromisoformat(f"{parts[0]} {parts[1]}").timestamp()
        except ValueError:
            return None
    fields = dict(p.split("=", 1) for p in parts[5:] if "=" in p)
    return PhoneEvent(at=at, event=parts[3], call_id=parts[4], fields=fields)


class SipPhone:
    """A running phone: ``address`` for the trunk, ``events`` as they happen, ``recording`` per call."""

    def __init__(self, workdir: Path, scripts: dict[str, CallScript] | None = None,
                 default: CallScript = DEFAULT_SCRIPT, sipp: str | None = None, *, at: VethEnd) -> None:
        """``at``: the veth end the phone binds and listens on (``Stage.namespace.outer``)."""
        self.workdir = workdir
        self.at = at
        workdir.mkdir(parents=True, exist_ok=True)
        self.scripts = dict(reserved_scripts() if scripts is None else scripts)
        self.default = default
        self._sipp = sipp or shutil.which("sipp") or "sipp"
        self.sip_port = free_port_pair(at.address)
        self.media_port = free_udp_port(at.address)
        self.events: list[PhoneEvent] = []
        self._changed = threading.Condition()
        self._streams: dict[tuple[int, int], RtpRecorder] = {}  # (our media port, LiveKit's RTP port)
        self._media_ports = {self.media_port}
        self._call_media: dict[str, int] = {}  # calls this phone placed: their own media port
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._process: StageProcess | None = None
        self.log_path = workdir / "calls.log"
        self._pcaps: dict[tuple[object, ...], Path] = {}
        self._placed: list[PlacedCall] = []

    @property
    def process(self) -> StageProcess:
        if self._process is None:
            raise RuntimeError("phone not started")
        return self._process

    @property
    def address(self) -> str:
        return f"{self.at.address}:{self.sip_port}"

    def start(self) -> None:
        scripts = {n: self._with_pcap(f"n{i}", s) for i, (n, s) in enumerate(self.scripts.items())}
        default = self._with_pcap("default", self.default)
        scenario = self.workdir / "phone.xml"
        write_scenario(scenario, scripts, default)
        self.log_path.touch()
        sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        sniffer.bind((self.at.interface, 0))
        sniffer.settimeout(0.2)
        self._process = StageProcess("sipp phone", [
            self._sipp, "-sf", str(scenario), "-i", self.at.address, "-p", str(self.sip_port), "-t", "u1",
            "-mi", self.at.address, "-mp", str(self.media_port), "-nostdin", "-aa", "-trace_logs",
            "-log_file", str(self.log_path),
            "-trace_msg", "-message_file", str(self.workdir / "messages.log"), "-default_behaviors", "pingreply", "-deadcall_wait", "5000",
        ], self.workdir / "sipp.out")
        for target, name in ((lambda: self._read_log(self.log_path), "phone-log"),
                             (lambda: self._sniff(sniffer), "phone-rtp")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._process.wait_ready(self._listening, timeout_s=10)

    def _listening(self) -> bool:
        with open("/proc/net/udp") as table:
            return f":{self.sip_port:04X} " in table.read()

    def _with_pcap(self, name: str, script: CallScript) -> CallScript:
        """The script with its media written as a capture (scripts with the same media share one file)."""
        if not script.media:
            return script
        pcap = self._pcaps.get(script.media)
        if pcap is None:
            pcap = self._pcaps[script.media] = self.workdir / f"media-{len(self._pcaps)}.pcap"
            write_pcap(pcap, script.media)
        return CallScript(**{**script.__dict__, "pcap": pcap})

    def stop(self) -> None:
        for placed in self._placed:
            placed.process.stop()
        if self._process is not None:
            self._process.stop()
        self._stop.set()
        for thread in self._threads:
            thread.join(2)

    def log_tail(self, lines: int = 40) -> str:
        text = self._process.log_tail(lines) if self._process else ""
        events = "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return f"{text}\n{events}"

    # placing a call

    def call(self, to: str, *, caller: str, target: str, media: tuple[MediaStep, ...] = (),
             hangup_after_s: float | None = None, answer_timeout_s: float = 60.0) -> PlacedCall:
        """Dials ``to`` at ``target`` (host:port, LiveKit's SIP) from ``caller``: one sipp UAC that exits after it."""
        index = len(self._placed)
        workdir = self.workdir / f"call-{index}"
        workdir.mkdir()
        pcap = None
        if media:
            pcap = workdir / "media.pcap"
            write_pcap(pcap, media)
        scenario = workdir / "caller.xml"
        write_caller_scenario(scenario, caller=caller, pcap=pcap, hangup_after_s=hangup_after_s,
                              answer_timeout_s=answer_timeout_s)
        media_port = free_udp_port(self.at.address)
        log = workdir / "calls.log"
        log.touch()
        call_id = f"caller-{index}-{secrets.token_hex(6)}"
        with self._changed:
            self._media_ports.add(media_port)
            self._call_media[call_id] = media_port
        process = StageProcess(f"sipp caller {index}", [
            self._sipp, "-sf", str(scenario), "-s", re.sub(r"[^+\d]", "", to), target, "-i", self.at.address,
            "-p", str(free_port_pair(self.at.address)), "-t", "u1", "-m", "1", "-cid_str", call_id,
            "-mi", self.at.address,
            "-mp", str(media_port), "-nostdin", "-aa", "-trace_logs", "-log_file", str(log),
            "-trace_msg", "-message_file", str(workdir / "messages.log"), "-default_behaviors", "pingreply",
        ], workdir / "sipp.out")
        thread = threading.Thread(target=lambda: self._read_log(log), name=f"caller-log-{index}", daemon=True)
        thread.start()
        self._threads.append(thread)
        placed = PlacedCall(call_id=call_id, process=process)
        self._placed.append(placed)
        return placed

    # events

    def _read_log(self, path: Path) -> None:
        with open(path, errors="replace") as log:
            pending = ""
            while not self._stop.is_set():
                chunk = log.readline()
                if not chunk:
                    time.sleep(0.01)
                    continue
                pending += chunk
                if not pending.endswith("\n"):
                    continue
                event = _parse(pending.strip())
                pending = ""
                if event is not None:
                    with self._changed:
                        self.events.append(event)
                        self._changed.notify_all()

    def wait_event(self, event: str, *, callee: str | None = None, call_id: str | None = None,
                   timeout_s: float = 30.0) -> PhoneEvent:
        """The first ``event`` of a call (chosen by dialled number or Call-ID)."""
        def found() -> PhoneEvent | None:
            ids = {call_id} if call_id else {e.call_id for e in self.events
                                            if e.event == "INVITE" and (callee is None or
                                                                        _same(e.fields.get("callee"), callee))}
            return next((e for e in self.events if e.event == event and e.call_id in ids), None)

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, timeout_s):
                raise TimeoutError(f"phone: no {event} in {timeout_s} s; events: "
                                   f"{[(e.event, e.call_id[:8]) for e in self.events][-20:]}")
            result = found()
            assert result is not None
            return result

    async def await_event(self, event: str, *, callee: str | None = None, call_id: str | None = None,
                          timeout_s: float = 30.0) -> PhoneEvent:
        """``wait_event`` off the event loop, so a test's own LiveKit client keeps running meanwhile."""
        return await asyncio.to_thread(self.wait_event, event, callee=callee, call_id=call_id, timeout_s=timeout_s)

    def events_of(self, call_id: str) -> list[PhoneEvent]:
        with self._changed:
            return [e for e in self.events if e.call_id == call_id]

    def invites_to(self, callee: str) -> list[PhoneEvent]:
        with self._changed:
            return [e for e in self.events if e.event == "INVITE" and _same(e.fields.get("callee"), callee)]

    # what the phone heard

    def _sniff(self, sniffer: socket.socket) -> None:
        with sniffer:
            while not self._stop.is_set():
                try:
                    frame, address = sniffer.recvfrom(65535)
                except socket.timeout:
                    continue
                if address[2] == PACKET_OUTGOING:  # what the phone itself sends
                    continue
                arrival = time.time()
                ip = frame[14:]
                if len(ip) < 28 or ip[9] != 17:
                    continue
                header = (ip[0] & 0x0F) * 4
                src_port, dst_port = struct.unpack(">HH", ip[header:header + 4])
                if dst_port not in self._media_ports:
                    continue
                with self._changed:
                    self._streams.setdefault((dst_port, src_port), RtpRecorder()).add(arrival, ip[header + 8:])

    def recording(self, call_id: str) -> RtpRecorder:
        """What the phone received on this call (LiveKit's RTP port from its SDP picks the stream)."""
        invite = next(e for e in self.events_of(call_id) if e.event == "INVITE")
        port = int(invite.fields.get("rtp", "0"))
        local = self._call_media.get(call_id, self.media_port)
        with self._changed:
            return self._streams.get((local, port), RtpRecorder())

    def save_recording(self, call_id: str, path: Path) -> Path:
        self.recording(call_id).write_wav(path)
        return path


def _same(a: str | None, b: str) -> bool:
    return a is not None and a.lstrip("+") == b.lstrip("+")

"""The phone's media: what the callee says, as an RTP capture sipp replays, and what it heard, back to a WAV.

sipp plays a call's audio with ``play_pcap_audio``: it sends each UDP payload of a capture file, at the capture's
pace, to the address in LiveKit's SDP. So the callee's side of a call is written here as such a capture: PCMU
(G.711 mu-law) frames of 20 ms from WAV files or silence, and RFC 2833 telephone-events for DTMF digits, on one RTP
stream. Going the other way, ``RtpRecorder`` turns the RTP that LiveKit sent the phone (PCMU) into a WAV file.
"""

from __future__ import annotations

import struct
import threading
import wave
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE_RATE = 8000
FRAME_SAMPLES = 160  # 20 ms
PCMU, TELEPHONE_EVENT = 0, 101
_DTMF_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11, **{c: 12 + i for i, c in enumerate("ABCD")}}
_ULAW_BIAS, _ULAW_CLIP = 0x84, 32635


def ulaw_encode(sample: int) -> int:
    """One signed 16-bit sample to a G.711 mu-law byte."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), _ULAW_CLIP) + _ULAW_BIAS
    exponent = max(0, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def ulaw_decode(byte: int) -> int:
    byte = ~byte & 0xFF
    magnitude = (((byte & 0x0F) << 3) + _ULAW_BIAS) << ((byte & 0x70) >> 4)
    return (_ULAW_BIAS - magnitude) if byte & 0x80 else (magnitude - _ULAW_BIAS)


_ULAW_DECODE = [ulaw_decode(b) for b in range(256)]
_ULAW_SILENCE = ulaw_encode(0)


@dataclass(frozen=True)
class Say:
    """A WAV file (8 kHz mono 16-bit; see ``speech_wav`` to make one) spoken by the callee."""

    wav: Path


@dataclass(frozen=True)
class Silence:
    seconds: float


@dataclass(frozen=True)
class Dtmf:
    """Digits sent as RFC 2833 events, each ``tone_ms`` long with ``gap_ms`` of silence after it."""

    digits: str
    tone_ms: int = 160
    gap_ms: int = 120


MediaStep = Say | Silence | Dtmf


def read_wav_pcm(path: Path) -> list[int]:
    with wave.open(str(path), "rb") as wav:
        if wav.getframerate() != SAMPLE_RATE or wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(f"{path}: need 8 kHz mono 16-bit PCM (sox -r 8000 -c 1 -b 16)")
        frames = wav.readframes(wav.getnframes())
    return list(struct.unpack(f"<{len(frames) // 2}h", frames))


def write_wav_pcm(path: Path, samples: Sequence[int]) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(struct.pack(f"<{len(samples)}h", *samples))


@dataclass(frozen=True)
class _Packet:
    at_s: float
    payload_type: int
    marker: bool
    timestamp: int
    payload: bytes


def _packets(steps: Sequence[MediaStep]) -> Iterator[_Packet]:
    """One RTP stream: audio frames every 20 ms, DTMF events in place of audio while a digit sounds."""
    at_s, ts = 0.0, 0
    for step in steps:
        if isinstance(step, Dtmf):
            for digit in step.digits:
                event = _DTMF_EVENTS[digit.upper()]
                packets = max(1, step.tone_ms // 20)
                for i in range(packets):
                    duration = (i + 1) * FRAME_SAMPLES
                    end = i == packets - 1
                    body = struct.pack(">BBH", event, (0x80 if end else 0) | 10, duration)
                    for _ in range(3 if end else 1):  # the end packet is sent three times, as phones do
                        yield _Packet(at_s, TELEPHONE_EVENT, i == 0, ts, body)
                    at_s += 0.02
                ts += packets * FRAME_SAMPLES
                gap = Silence(step.gap_ms / 1000)
                for packet in _audio(_silence_samples(gap), at_s, ts):
                    yield packet
                frames = len(_silence_samples(gap)) // FRAME_SAMPLES
                at_s += frames * 0.02
                ts += frames * FRAME_SAMPLES
            continue
        samples = read_wav_pcm(step.wav) if isinstance(step, Say) else _silence_samples(step)
        samples = samples + [0] * (-len(samples) % FRAME_SAMPLES)
        yield from _audio(samples, at_s, ts)
        frames = len(samples) // FRAME_SAMPLES
        at_s += frames * 0.02
        ts += frames * FRAME_SAMPLES


def _silence_samples(step: Silence) -> list[int]:
    return [0] * (round(step.seconds * SAMPLE_RATE / FRAME_SAMPLES) * FRAME_SAMPLES)


def _audio(samples: Sequence[int], at_s: float, ts: int) -> Iterator[_Packet]:
    for index in range(0, len(samples), FRAME_SAMPLES):
        frame = bytes(ulaw_encode(s) for s in samples[index:index + FRAME_SAMPLES])
        yield _Packet(at_s + index / SAMPLE_RATE, PCMU, False, ts + index, frame)


def _ip_udp(payload: bytes) -> bytes:
    udp = struct.pack(">HHHH", 6000, 6000, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    return b"\x00" * 12 + b"\x08\x00" + ip + udp  # Ethernet header (zero MACs), IPv4


def write_pcap(path: Path, steps: Sequence[MediaStep], *, ssrc: int = 0x5EED0001) -> float:
    """Writes the callee's side as a capture for sipp's ``play_pcap_audio``; returns its length in seconds."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]  # pcap, Ethernet link type
    seq, last_s = 0, 0.0
    for packet in _packets(steps):
        rtp = struct.pack(">BBHII", 0x80, (0x80 if packet.marker else 0) | packet.payload_type, seq & 0xFFFF,
                          packet.timestamp & 0xFFFFFFFF, ssrc) + packet.payload
        frame = _ip_udp(rtp)
        seconds = int(packet.at_s)
        out.append(struct.pack("<IIII", seconds, round((packet.at_s - seconds) * 1e6), len(frame), len(frame)))
        out.append(frame)
        seq += 1
        last_s = packet.at_s
    path.write_bytes(b"".join(out))
    return last_s


class RtpRecorder:
    """One received RTP stream (PCMU), placed by its RTP timestamps so silences keep their length."""

    def __init__(self) -> None:
        self.first_arrival: float | None = None
        self._first_ts: int | None = None
        self._samples: dict[int, bytes] = {}
        self._lock = threading.Lock()  # the phone's sniffer thread adds packets while a test reads them
        self.dtmf_events: list[int] = []
        self.packets = 0

    def add(self, arrival: float, rtp: bytes) -> None:
        if len(rtp) < 12 or rtp[0] >> 6 != 2:
            return
        payload_type = rtp[1] & 0x7F
        timestamp = struct.unpack(">I", rtp[4:8])[0]
        header = 12 + 4 * (rtp[0] & 0x0F)
        if rtp[0] & 0x10 and len(rtp) >= header + 4:  # header extension
            header += 4 + 4 * struct.unpack(">H", rtp[header + 2:header + 4])[0]
        payload = rtp[header:]
        self.packets += 1
        if self._first_ts is None:
            self._first_ts, self.first_arrival = timestamp, arrival
        if payload_type == PCMU:
            with self._lock:
                self._samples[(timestamp - self._first_ts) & 0xFFFFFFFF] = payload
        elif payload and payload[1] & 0x80 and (not self.dtmf_events or self.dtmf_events[-1] != payload[0]):
            self.dtmf_events.append(payload[0])

    def pcm(self) -> list[int]:
        with self._lock:  # a copy: iterating the dict while the sniffer thread grows it raised (CI, a busy machine)
            received = list(self._samples.items())
        if not received:
            return []
        end = max(offset + len(p) for offset, p in received if offset < 1 << 31)
        samples = [0] * end
        for offset, payload in received:
            if offset < 1 << 31:  # ignore a stream that jumped backwards
                samples[offset:offset + len(payload)] = [_ULAW_DECODE[b] for b in payload]
        return samples

    def write_wav(self, path: Path) -> None:
        write_wav_pcm(path, self.pcm())

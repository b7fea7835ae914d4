"""What the phone heard on a call, measured: when sound starts, the speech segments, the silences between them.

The recording (tests/stage/phone.py) is placed by RTP timestamps from its first packet, whose wall-clock arrival
it keeps, so a segment's start is a wall-clock time comparable with the phone's SIP events (sipp's clock).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tests.stage.rtp_media import SAMPLE_RATE, RtpRecorder

WINDOW = 160  # 20 ms
LOUD_RMS = 300.0  # espeak-ng through PCMU is far above this; LiveKit's silence is 0
JOIN_GAP_S = 0.6  # pauses between words and sentences shorter than this stay inside one segment


@dataclass(frozen=True)
class Segment:
    start: float  # wall clock, s
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Heard:
    start: float | None  # wall clock of the recording's first sample (None: nothing was received)
    end: float | None
    segments: tuple[Segment, ...]

    @property
    def first_sound(self) -> float | None:
        return self.segments[0].start if self.segments else None

    def segments_after(self, at: float) -> tuple[Segment, ...]:
        return tuple(s for s in self.segments if s.end > at)

    def longest_silence(self, since: float, until: float | None = None) -> float:
        """The longest stretch with no speech between ``since`` and ``until`` (default: the last segment)."""
        marks = [since]
        for segment in self.segments:
            if segment.end <= since or (until is not None and segment.start >= until):
                continue
            marks += [max(segment.start, since), segment.end]
        last = until if until is not None else (self.segments[-1].end if self.segments else since)
        marks.append(max(last, marks[-1]))
        return max(b - a for a, b in zip(marks[::2], marks[1::2]))


def _rms(samples: list[int]) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


def analyse(recording: RtpRecorder) -> Heard:
    pcm = recording.pcm()
    origin = recording.first_arrival
    if origin is None or not pcm:
        return Heard(None, None, ())
    segments: list[Segment] = []
    for index in range(0, len(pcm) - WINDOW + 1, WINDOW):
        if _rms(pcm[index:index + WINDOW]) < LOUD_RMS:
            continue
        start = origin + index / SAMPLE_RATE
        end = start + WINDOW / SAMPLE_RATE
        if segments and start - segments[-1].end <= JOIN_GAP_S:
            segments[-1] = Segment(segments[-1].start, end)
        else:
            segments.append(Segment(start, end))
    return Heard(origin, origin + len(pcm) / SAMPLE_RATE, tuple(segments))

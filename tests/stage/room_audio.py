"""Audio a test's own room participant publishes (a steady tone), and how loud a recording is."""

from __future__ import annotations

import math

from livekit import rtc

TONE_HZ = 440.0


async def publish_tone(source: rtc.AudioSource, seconds: float) -> None:
    """A 440 Hz tone for ``seconds``, paced in real time by the audio source."""
    frame_samples = 480  # 10 ms at 48 kHz
    for index in range(int(seconds * 100)):
        frame = rtc.AudioFrame.create(48000, 1, frame_samples)
        data = frame.data
        for i in range(frame_samples):
            n = index * frame_samples + i
            data[i] = int(8000 * math.sin(2 * math.pi * TONE_HZ * n / 48000))
        await source.capture_frame(frame)


def rms(samples: list[int]) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0

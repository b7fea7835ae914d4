"""The callee's voice: real speech from espeak-ng at the phone's 8 kHz, one WAV per line, made once per session,
and a voicemail's tone from sox."""

from __future__ import annotations

import hashlib
import subprocess
import wave
from pathlib import Path

from tests.stage.fixtures import unavailable
from tests.stage.rtp_media import Say


def wav_seconds(say: Say) -> float:
    with wave.open(str(say.wav)) as wav:
        return wav.getnframes() / wav.getframerate()


class Voice:
    """``voice.say("Hello?")`` is the media step that speaks it (the WAV is cached by its text)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def say(self, text: str) -> Say:
        path = self.folder / f"{hashlib.sha1(text.encode()).hexdigest()[:12]}.wav"
        if not path.exists():
            raw = path.with_suffix(".raw.wav")
            for argv in (["espeak-ng", "-w", str(raw), text],
                         ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(path)]):
                if subprocess.run(argv, capture_output=True).returncode != 0:
                    unavailable(f"`{argv[0]}` could not make the callee's voice")
        return Say(path)

    def beep(self, seconds: float = 0.5, hz: int = 1000) -> Say:
        """A voicemail's record tone (sox)."""
        path = self.folder / f"beep-{hz}-{seconds}.wav"
        if not path.exists():
            argv = ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth", str(seconds), "sine",
                    str(hz), "vol", "0.5"]
            if subprocess.run(argv, capture_output=True).returncode != 0:
                unavailable("`sox` could not make a voicemail tone")
        return Say(path)


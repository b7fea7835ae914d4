"""The callee's voice: real speech from espeak-ng at the phone's 8 kHz, one WAV per line, made once per session."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from tests.stage.fixtures import unavailable
from tests.stage.rtp_media import Say


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

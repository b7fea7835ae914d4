"""What every voice-path scenario does: script the models, start the phone with one number's script, create a
consenting candidate, place the call through the dialer's API, and read back what the phone heard."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from dialer_testing.fake_openai import AmdLabel, Reply
from tests.stage.phone import PhoneEvent, SipPhone
from tests.stage.rtp_media import MediaStep, Say, Silence
from tests.stage.sipp_scenario import CallScript
from tests.stage.voice.conftest import VoiceStage
from tests.stage.voice.heard import Heard, analyse
from tests.stage.voice.speech import wav_seconds

GREETING_START = "Hello, this is an automated assistant calling on behalf of"  # not the voicemail message


@dataclass
class PlacedCall:
    vs: VoiceStage
    number: str
    phone: SipPhone
    call: dict[str, Any]
    candidate: dict[str, Any]
    batch_id: str | None = None  # when placed as a batch of this one candidate

    def answered(self, timeout_s: float = 60.0) -> PhoneEvent:
        return self.phone.wait_event("ANSWERED", callee=self.number, timeout_s=timeout_s)

    def ended(self, event: str, timeout_s: float) -> PhoneEvent:
        """``BYE_RECEIVED`` (LiveKit hung up) or ``HUNG_UP`` (the phone did)."""
        return self.phone.wait_event(event, call_id=self.answered().call_id, timeout_s=timeout_s)

    def heard(self) -> Heard:
        return analyse(self.phone.recording(self.answered().call_id))

    def said(self) -> str:
        """Everything the agent sent to text-to-speech (livekit-agents sends it sentence by sentence)."""
        return " ".join(self.vs.models.spoken)

    def greetings(self) -> list[str]:
        return [t for t in self.vs.models.spoken if t.startswith(GREETING_START)]

    def final(self, predicate: Any, timeout_s: float = 30.0, what: str = "call") -> dict[str, Any]:
        return self.vs.wait_call(self.call["id"], predicate, timeout_s=timeout_s, what=what)


class TimedLines:
    """Speech-to-text for the phone's lines: an utterance is the line the phone was saying when it was spoken.

    The phone plays its media on a fixed timeline from the answer (sipp's clock is this machine's), so an
    utterance whose audio of ``seconds`` reaches the transcriber now was spoken in about [now - seconds - 1 s, now]:
    the line whose place in the timeline overlaps that most is what was said; none overlapping: "" (noise).
    """

    def __init__(self, phone: SipPhone, number: str, media: tuple[MediaStep, ...], texts: list[str]) -> None:
        self.phone, self.number = phone, number
        self.lines: list[tuple[float, float, str]] = []  # (start, end) after the answer, text
        at, spoken = 0.0, iter(texts)
        for step in media:
            length = step.seconds if isinstance(step, Silence) else wav_seconds(step) if isinstance(step, Say) else 0.0
            if isinstance(step, Say) and texts:
                text = next(spoken, None)
                if text is not None:
                    self.lines.append((at, at + length, text))
            at += length

    def __call__(self, seconds: float) -> str:
        answered = next((e.at for e in self.phone.events if e.event == "ANSWERED"), None)
        if answered is None:
            return ""
        now = time.time() - answered
        start, end = now - seconds - 1.0, now

        def overlap(line: tuple[float, float, str]) -> float:
            return min(end, line[1]) - max(start, line[0])

        best = max(self.lines, key=overlap, default=None)
        return best[2] if best is not None and overlap(best) > 0 else ""


def place_call(vs: VoiceStage, last_two: str, media: tuple[MediaStep, ...], *, ring_s: float = 3.0,
               hangup_after_s: float | None = 90.0, refer: str = "accept", transcripts: list[str] | None = None,
               turns: dict[str, list[Reply]] | None = None, amd: AmdLabel | None = None,
               required: list[str] | None = None, as_batch: bool = False) -> PlacedCall:
    number = vs.callee.number(last_two)
    script = CallScript("answer", ring_s=ring_s, media=media, hangup_after_s=hangup_after_s,
                        refer=refer)  # type: ignore[arg-type]
    phone = vs.callee.use({number: script})
    heard_as = TimedLines(phone, number, media, transcripts or [])
    vs.models.script(transcripts=heard_as, turns=turns or {}, amd=amd)
    candidate = vs.candidate(number, required=required or ["quota_attainment"])
    if not as_batch:
        return PlacedCall(vs, number, phone, vs.call_now(candidate["id"]), candidate)
    batch = vs.dialer.api("POST", "/api/batches", json={"candidate_ids": [candidate["id"]]})
    (call,) = vs.dialer.api("GET", "/api/calls", params={"batch_id": batch["id"]})["items"]
    return PlacedCall(vs, number, phone, dict(call), candidate, batch_id=batch["id"])

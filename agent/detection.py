"""Answering-machine detection tuned for outbound phone calls (livekit-agents' AMD, options from its
voice/amd/detector.py and classifier.py in 1.8.9).

- **No speech**: the library waits 10 s for the callee to speak before it gives up ("uncertain") and lets the agent
  greet, so a person who answers and waits hears 10 s of dead air. People say "Hello?" within a second or two, and
  a voicemail greeting starts as soon as it answers: after `NO_SPEECH_S` of silence the agent greets.
- **The prompt**: the library's own prompt tells the model that call-screening prompts are `machine-ivr`; ours says
  they are a person's phone (`human`). agent/answering.py also reads the words, for a model that says ivr anyway.
- **When**: the detector listens from the callee's `sip.callStatus` `active` on, but gives up if the callee's audio
  track is not subscribed within 5 s of its start; a phone may ring for a minute, so the worker waits for the track
  first (no limit but the call's own end), then starts it.
"""

from __future__ import annotations

from typing import Any

from livekit.agents.voice.amd import AMD
from livekit.agents.voice.amd.classifier import AMD_PROMPT
from livekit.agents.voice.amd.detector import DetectionOptions

NO_SPEECH_S = 2.5

_LIBRARY_SCREENING_EXAMPLE = (
    'Input: "Please state your name and why you\'re calling, and I will check if the person is available"\n'
    "Output: machine-ivr\nNote: this should apply for any call screening prompts."
)
_SCREENING_EXAMPLE = (
    'Input: "Please state your name and why you\'re calling, and I will check if the person is available"\n'
    "Output: human\nNote: this applies to any call screening prompt (a person's phone asking who is calling and "
    "why): it is answered, never hung up on. Only a menu that asks to press or say an option is machine-ivr."
)


def phone_prompt(library_prompt: str = AMD_PROMPT) -> str:
    """The library's classification prompt with call screening moved from `machine-ivr` to `human`."""
    if _LIBRARY_SCREENING_EXAMPLE in library_prompt:
        return library_prompt.replace(_LIBRARY_SCREENING_EXAMPLE, _SCREENING_EXAMPLE)
    return f"{library_prompt}\n\n{_SCREENING_EXAMPLE}"


PHONE_DETECTION: DetectionOptions = {"no_speech_threshold": NO_SPEECH_S, "prompt": phone_prompt()}


def phone_detector(session: Any, identity: str) -> AMD:
    """The detector for one outbound call: the session's own LLM and STT (no other provider), only the callee's
    audio, machines interrupted at once, no IVR navigation (the dialer never navigates menus)."""
    return AMD(
        session,
        llm=None,
        stt=None,
        participant_identity=identity,
        interrupt_on_machine=True,
        ivr_detection=False,
        suppress_compatibility_warning=True,
        detection_options=PHONE_DETECTION,
    )

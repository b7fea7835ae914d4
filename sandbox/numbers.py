"""Reserved test numbers: which outcome the sandbox plays for a dialled number.

Like Twilio's test credentials, the number you dial chooses what happens, so every branch of the
dialer (busy, no answer, voicemail, carrier failure, ...) can be driven end to end without a phone.
Reserved numbers are ``+1 NPA 555 01XX`` for any area code NPA, e.g. ``+1 212 555 0110``
(``phonenumbers`` accepts them as valid with a real area code such as 212, 415 or 907, though not
with 555 as the area code; 555-01XX is set aside for fiction, so they never ring anyone real), and
``+44 20 7946 01XX`` (London's drama range, kept for fiction too) with the same last digits.

=================  =========================  =================================================
Number (+1 NPA)    Outcome                    What the sandbox does
=================  =========================  =================================================
555-0100 .. 0109   answered (human)           answers after the ring delay; the callee hangs up
                                              after 10 x (last digit + 1) s (0100: 10 s,
                                              0109: 100 s), times ``talk_time_scale``, only when
                                              ``auto_hangup``
555-0110           busy                       SIP 486 Busy Here, at once
555-0111           no answer                  SIP 480 Temporarily Unavailable, after the ring delay
555-0112           declined                   SIP 603 Decline, after the ring delay
555-0113           invalid number             SIP 404 Not Found, at once
555-0114           carrier failure            SIP 503 Service Unavailable, at once
555-0115           voicemail                  answered by a machine (participant attribute
                                              ``sandbox.answeredBy=machine``); the mailbox hangs
                                              up after 60 s (scaled, only when ``auto_hangup``)
555-0116           answered, never hangs up   answers at once (no ringing); only the dialer (or
                                              max_call_duration) ends the call; no simulated callee
                                              (for tests that play the callee themselves)
555-0117           rings until cancelled      rings; never answers: the ringing time-out ends it
555-0118           carrier never responds     no response at all to the INVITE (a dead trunk):
                                              the ringing time-out ends it, or the INVITE
                                              transaction's 32 s time-out if that comes first
555-0120           answered: asks for a       answers; the simulated callee asks to be called back
                   callback                   tomorrow at 3 p.m.; hangs up after 60 s (scaled)
555-0121           answered: opts out         answers; the simulated callee asks never to be called
555-0122           answered: wrong person     answers; someone else: "you have the wrong number"
555-0123           answered: screens the call answers; the simulated callee asks who is calling,
                                              then is the candidate and cooperates
anything else      answered (human)           answers; the callee hangs up after 30 s (scaled,
                                              only when ``auto_hangup``)
=================  =========================  =================================================

``persona`` names the scripted callee (sandbox/personas.py) that talks to the agent when the sandbox simulates
conversations: every answered number cooperates unless its row says otherwise; 0115's mailbox takes a message.

Outcomes that "ring" are decided after ``ring_delay_s``; if the request's ``ringing_timeout`` is
shorter, the ringing timeout wins and the call fails as unanswered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .personas import CALLBACK, COOPERATIVE, OPTS_OUT, SCREENS, VOICEMAIL, WRONG_PERSON

ANSWERED_BY_HUMAN = "human"
ANSWERED_BY_MACHINE = "machine"

# +1 NPA 555 01XX, and London's drama range +44 20 7946 01XX (Ofcom keeps 020 7946 0xxx for fiction): the same
# outcomes in a zone far from the Americas', so a run at any hour has a reserved number inside its calling window.
_RESERVED = re.compile(r"^(?:1\d{3}555|44207946)0(1\d\d)$")
_DEFAULT_TALK_TIME_S = 30.0
_VOICEMAIL_TALK_TIME_S = 60.0
_PERSONA_TALK_TIME_S = 60.0


@dataclass(frozen=True)
class SandboxOutcome:
    """What happens to one outbound call; pure data, no timing of its own."""

    label: str
    answered: bool
    rings: bool
    talk_time_s: float | None = None
    answered_by: str | None = None
    sip_status_code: int | None = None
    sip_status: str | None = None
    settles: bool = True  # False: no final response ever comes (only a time-out ends the call)
    persona: str | None = None  # the simulated callee's persona (sandbox/personas.py); None: nobody talks


def _answered(label: str, talk_time_s: float | None, answered_by: str = ANSWERED_BY_HUMAN,
              persona: str = COOPERATIVE) -> SandboxOutcome:
    return SandboxOutcome(label=label, answered=True, rings=True, talk_time_s=talk_time_s, answered_by=answered_by,
                          persona=persona)


def _failed(label: str, code: int, status: str, *, rings: bool) -> SandboxOutcome:
    return SandboxOutcome(label=label, answered=False, rings=rings, sip_status_code=code, sip_status=status)


_FIXED: dict[int, SandboxOutcome] = {
    110: _failed("busy", 486, "Busy Here", rings=False),
    111: _failed("no_answer", 480, "Temporarily Unavailable", rings=True),
    112: _failed("declined", 603, "Decline", rings=True),
    113: _failed("invalid_number", 404, "Not Found", rings=False),
    114: _failed("carrier_failure", 503, "Service Unavailable", rings=False),
    115: _answered("voicemail", _VOICEMAIL_TALK_TIME_S, ANSWERED_BY_MACHINE, persona=VOICEMAIL),
    116: SandboxOutcome(label="answered_no_hangup", answered=True, rings=False, answered_by=ANSWERED_BY_HUMAN),
    117: SandboxOutcome(label="rings_until_cancelled", answered=False, rings=True, settles=False),
    118: SandboxOutcome(label="no_response", answered=False, rings=False, settles=False),
    120: _answered("answered", _PERSONA_TALK_TIME_S, persona=CALLBACK),
    121: _answered("answered", _PERSONA_TALK_TIME_S, persona=OPTS_OUT),
    122: _answered("answered", _PERSONA_TALK_TIME_S, persona=WRONG_PERSON),
    123: _answered("answered", _PERSONA_TALK_TIME_S, persona=SCREENS),
}

DEFAULT_OUTCOME = _answered("answered", _DEFAULT_TALK_TIME_S)


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def outcome_for(e164: str) -> SandboxOutcome:
    """The outcome for a dialled number (E.164; spaces, dashes and a missing '+' are tolerated)."""
    match = _RESERVED.match(_digits(e164))
    if match is None:
        return DEFAULT_OUTCOME
    suffix = int(match.group(1))
    if 100 <= suffix <= 109:
        return _answered("answered", 10.0 * (suffix - 100 + 1))
    return _FIXED.get(suffix, DEFAULT_OUTCOME)

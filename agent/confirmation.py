"""Whether the callee's own words confirm a read-back: pure, and deliberately strict.

A value is saved only when the callee's turn *after* the read-back says yes and nothing that sounds like no. A model
cannot confirm on the callee's behalf, and "No, that's wrong" never counts, whatever the model does next. A false
"no" costs one more question; a false "yes" saves a wrong value, so doubtful turns count as not confirmed.
"""

from __future__ import annotations

import re

_NEGATIVE = re.compile(
    r"\b(no|nope|nah|not|wrong|incorrect|isn'?t|wasn'?t|don'?t|doesn'?t|actually|wait|hold on|sorry)\b"
)
_POSITIVE = re.compile(
    r"\b(yes|yeah|yea|yep|yup|correct|right|exactly|sure|affirmative|absolutely|definitely|indeed|perfect"
    r"|uh[- ]huh|mm[- ]hmm|that'?s it|that is it|sounds good|you got it)\b"
)


def confirms(text: str | None) -> bool:
    """True when `text` says yes and nothing that sounds like no."""
    if not text:
        return False
    spoken = text.lower().replace("\u2019", "'")
    return _POSITIVE.search(spoken) is not None and _NEGATIVE.search(spoken) is None


_IDENTITY = re.compile(
    r"\b(speaking|this is (he|she|him|her|me|they)|that'?s me|it'?s me|that is me|it is me|i am|i'?m (he|she|her|him)"
    r"|yes|yeah|yep|yup|correct|right|sure|you got (her|him|me))\b"
)


def confirms_identity(text: str | None) -> bool:
    """True when the callee's words say they are the person asked for ("Yes, speaking", "This is she")."""
    if not text:
        return False
    spoken = text.lower().replace("\u2019", "'")
    return _IDENTITY.search(spoken) is not None and _NEGATIVE.search(spoken) is None

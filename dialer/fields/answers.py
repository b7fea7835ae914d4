"""Spoken answers in English: what a candidate said (as the agent heard it) to one canonical string per type.

`normalize` raises `FieldValueError` with a message the agent can say back ("I need a number of weeks, like 4").
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from dialer.fields.catalog import MAX_TEXT_LENGTH, FieldSpec, FieldType, FieldValueError


def normalize(spec: FieldSpec, raw: str, *, today: date, default_currency: str = "USD") -> str:
    """The canonical form of an answer for `spec`, or FieldValueError with a message to say back.

    Canonical forms: number "4" / "4.5"; percentage "112%"; money "120000 USD"; date ISO "2027-03-03";
    yes_no "yes" / "no"; choice the choice's own spelling; text with whitespace collapsed.
    """
    text = " ".join(raw.split())
    if not text:
        raise FieldValueError(f"I didn't catch the {spec.label}. {_hint(spec)}")
    handler = _HANDLERS[spec.type]
    return handler(spec, text, today, default_currency)


# --- hints (spoken back to the candidate) ------------------------------------------------------------


def _hint(spec: FieldSpec) -> str:
    if spec.type is FieldType.NUMBER:
        return f"I need a number of {spec.unit}, like 4." if spec.unit else "I need a number, like 4."
    if spec.type is FieldType.PERCENTAGE:
        return "I need a percentage, like 112 percent."
    if spec.type is FieldType.MONEY:
        return "I need one amount, like 120,000 dollars or 120k."
    if spec.type is FieldType.DATE:
        return "I need a date, like March 3rd 2027, next Monday, or in two weeks."
    if spec.type is FieldType.YES_NO:
        return "I need a yes or a no."
    if spec.type is FieldType.CHOICE:
        options = [c.replace("_", " ") for c in spec.choices]
        listed = options[0] if len(options) == 1 else ", ".join(options[:-1]) + ", or " + options[-1]
        return f"I need one of: {listed}."
    return f"I need a short answer for the {spec.label}."


# --- numbers -----------------------------------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9,
}
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}
_NUMBER_WORDS = set(_UNITS) | set(_TEENS) | set(_TENS) | {"a", "an", "and", "hundred", "thousand", "half"}
_FILLER = re.compile(r"^(?:about|around|roughly|approximately|approx\.?|maybe|like|just|over|under|nearly|almost)\s+")
_DIGITS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$|^\.\d+$")
_KNOWN_UNITS = ("days", "weeks", "months", "years", "people", "hours")


def _words_to_int(words: list[str]) -> int | None:
    """Parse "a hundred and twelve", "forty-two", "two thousand five hundred"; None if not a number phrase."""
    if not words:
        return None
    pos = 0

    def below_hundred() -> int | None:
        nonlocal pos
        if pos < len(words) and words[pos] in _TEENS:
            pos += 1
            return _TEENS[words[pos - 1]]
        if pos < len(words) and words[pos] in _TENS:
            value = _TENS[words[pos]]
            pos += 1
            if pos < len(words) and words[pos] in _UNITS and words[pos] != "zero":
                value += _UNITS[words[pos]]
                pos += 1
            return value
        if pos < len(words) and words[pos] in _UNITS:
            pos += 1
            return _UNITS[words[pos - 1]]
        return None

    def below_thousand() -> int | None:
        nonlocal pos
        start = pos
        multiplier: int | None = None
        if pos + 1 < len(words) and words[pos + 1] == "hundred":
            if words[pos] in ("a", "an", "one"):
                multiplier = 1
            elif words[pos] in _UNITS and words[pos] != "zero":
                multiplier = _UNITS[words[pos]]
        elif pos < len(words) and words[pos] == "hundred":
            multiplier = 1
            pos -= 1  # "hundred" alone: treat as "a hundred"
        if multiplier is not None:
            pos += 2
            value = multiplier * 100
            if pos < len(words) and words[pos] == "and":
                pos += 1
                rest = below_hundred()
                if rest is None:
                    pos = start
                    return None
                return value + rest
            rest = below_hundred()
            return value + (rest or 0)
        return below_hundred()

    total = 0
    if pos < len(words) and words[pos] in ("a", "an") and pos + 1 < len(words) and words[pos + 1] == "thousand":
        total, pos = 1000, 2
    else:
        first = below_thousand()
        if first is None:
            return None
        total = first
        if pos < len(words) and words[pos] == "thousand":
            if first == 0:
                return None
            total = first * 1000
            pos += 1
        elif pos == len(words):
            return total
        else:
            return None
    if pos < len(words) and words[pos] == "and":
        pos += 1
        if pos == len(words):
            return None
    if pos < len(words):
        rest = below_thousand()
        if rest is None:
            return None
        total += rest
    return total if pos == len(words) else None


def _parse_amount(text: str) -> Decimal | None:
    """Digits ("1,200.5") or number words, optionally followed by "and a half"."""
    text = text.strip()
    if _DIGITS.match(text):
        try:
            return Decimal(text.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
            return None
    words = [w for w in re.split(r"[\s\-]+", text.lower()) if w]
    half = Decimal(0)
    if words[-3:] == ["and", "a", "half"]:
        words, half = words[:-3], Decimal("0.5")
        if len(words) == 1 and _DIGITS.match(words[0]):
            return Decimal(words[0].replace(",", "")) + half
    elif words in (["a", "half"], ["half"]):
        return Decimal("0.5")
    if not words or any(w not in _NUMBER_WORDS for w in words):
        return None
    value = _words_to_int(words)
    return None if value is None else Decimal(value) + half


def _canonical_decimal(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _strip_filler(text: str) -> str:
    lowered = text.lower().strip().rstrip(".!?")
    previous = None
    while previous != lowered:
        previous = lowered
        lowered = _FILLER.sub("", lowered).strip()
    return lowered


def _normalize_number(spec: FieldSpec, text: str, today: date, currency: str) -> str:
    body = _strip_filler(text)
    unit = spec.unit.lower()
    match = re.match(r"^(.*?)\s*\b([a-z]+)$", body)
    if match and _singular(match.group(2)) in {_singular(u) for u in _KNOWN_UNITS + ((unit,) if unit else ())}:
        said_unit = _singular(match.group(2))
        if not unit or said_unit != _singular(unit):
            raise FieldValueError(f"I need a number of {unit}, like 4." if unit else _hint(spec))
        body = match.group(1)
        if body in ("a", "an"):
            body = "1"
    if body == "none":
        body = "0"
    if body.startswith("-") or body.startswith("minus"):
        raise FieldValueError(_hint(spec))
    value = _parse_amount(body) if body else None
    if value is None:
        raise FieldValueError(_hint(spec))
    return _canonical_decimal(value)


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 1 else word


# --- percentages -------------------------------------------------------------------------------------


def _normalize_percentage(spec: FieldSpec, text: str, today: date, currency: str) -> str:
    body = _strip_filler(text)
    body = re.sub(r"\s*(?:%|percent|per cent|pct)$", "", body).strip()
    if body.startswith("-") or body.startswith("minus"):
        raise FieldValueError(_hint(spec))
    value = _parse_amount(body) if body else None
    if value is None:
        raise FieldValueError(_hint(spec))
    return f"{_canonical_decimal(value)}%"


# --- money -------------------------------------------------------------------------------------------

_SYMBOLS = (("us$", "USD"), ("ca$", "CAD"), ("c$", "CAD"), ("au$", "AUD"), ("a$", "AUD"), ("$", "USD"),
            ("£", "GBP"), ("€", "EUR"), ("¥", "JPY"), ("₹", "INR"))
_CURRENCY_WORDS = (
    ("canadian dollars", "CAD"), ("canadian dollar", "CAD"), ("australian dollars", "AUD"),
    ("australian dollar", "AUD"), ("us dollars", "USD"), ("us dollar", "USD"), ("dollars", "USD"),
    ("dollar", "USD"), ("bucks", "USD"), ("pounds sterling", "GBP"), ("pounds", "GBP"), ("pound", "GBP"),
    ("quid", "GBP"), ("euros", "EUR"), ("euro", "EUR"), ("rupees", "INR"), ("yen", "JPY"),
    ("swiss francs", "CHF"), ("francs", "CHF"),
)
_CODES = frozenset({"USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "JPY", "INR", "SEK", "NOK", "DKK", "PLN",
                    "SGD", "HKD", "MXN", "BRL", "ZAR", "ILS", "AED"})
_PER_YEAR = re.compile(r"\s*(?:per year|a year|per annum|annually|yearly|/\s*(?:year|yr)|p\.?a\.?)$")
_OTHER_PERIOD = re.compile(r"\b(?:per|an|a|/)\s*(?:hour|hr|day|week|month)\b|\bhourly\b|\bmonthly\b|\bweekly\b")
_MULTIPLIERS = (("million", Decimal(1_000_000)), ("mil", Decimal(1_000_000)), ("m", Decimal(1_000_000)),
                ("thousand", Decimal(1000)), ("grand", Decimal(1000)), ("k", Decimal(1000)))


def _normalize_money(spec: FieldSpec, text: str, today: date, default_currency: str) -> str:
    body = _strip_filler(text)
    if _OTHER_PERIOD.search(body):
        raise FieldValueError("I need a yearly amount, like 120,000 dollars a year.")
    body = _PER_YEAR.sub("", body).strip()
    if re.search(r"\d\s*[km]?\s*(?:-|–|to)\s*[$£€]?\s*\d", body) or re.search(r"\b(?:or|between)\b", body):
        raise FieldValueError(_hint(spec))
    currency: str | None = None

    def take(code: str) -> None:
        nonlocal currency
        if currency is not None and currency != code:
            raise FieldValueError(_hint(spec))
        currency = code

    for symbol, code in _SYMBOLS:
        if body.startswith(symbol):
            take(code)
            body = body[len(symbol):].strip()
            break
    for word, code in _CURRENCY_WORDS:
        if body.endswith(" " + word) or (body.endswith(word) and body[: -len(word)][-1:].isdigit()):
            take(code)
            body = body[: -len(word)].strip()
            break
    leading = re.match(r"^([a-z]{3})\s*(\S.*)$", body)
    trailing = re.match(r"^(.+?)\s*\b([a-z]{3})$", body)
    if leading and leading.group(1).upper() in _CODES:
        take(leading.group(1).upper())
        body = leading.group(2).strip()
    elif trailing and trailing.group(2).upper() in _CODES:
        take(trailing.group(2).upper())
        body = trailing.group(1).strip()
    multiplier = Decimal(1)
    for word, factor in _MULTIPLIERS:
        if re.search(rf"(?:\d|\s){re.escape(word)}$", body):
            multiplier = factor
            body = body[: -len(word)].strip()
            break
    value = _parse_amount(body) if body else None
    if value is None or value <= 0:
        raise FieldValueError(_hint(spec))
    amount = (value * multiplier).quantize(Decimal("0.01"))
    text_amount = str(int(amount)) if amount == amount.to_integral_value() else f"{amount:.2f}"
    return f"{text_amount} {currency or default_currency.upper()}"


# --- dates -------------------------------------------------------------------------------------------

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_IMMEDIATE = frozenset({"asap", "a.s.a.p", "as soon as possible", "immediately", "right away", "now", "today",
                        "right now", "straight away"})
_PERIODS = {"day": 1, "week": 7, "fortnight": 14}


def _normalize_date(spec: FieldSpec, text: str, today: date, currency: str) -> str:
    body = _strip_filler(text).rstrip(",")
    body = re.sub(r"^(?:on|from|starting|by)\s+", "", body)
    parsed = _parse_date(body, today)
    if parsed is None:
        raise FieldValueError(_hint(spec))
    return parsed.isoformat()


def _parse_date(body: str, today: date) -> date | None:
    if body in _IMMEDIATE:
        return today
    if body == "tomorrow":
        return today + timedelta(days=1)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", body):
        try:
            return date.fromisoformat(body)
        except ValueError:
            return None
    relative = re.fullmatch(r"(?:in\s+)?(.+?)\s+(days?|weeks?|fortnights?|months?)(?:\s+from\s+(?:now|today))?",
                            body)
    if relative and (body.startswith("in ") or "from" in body):
        amount = relative.group(1)
        count = Decimal(1) if amount in ("a", "an", "one") else _parse_amount(amount)
        if count is None or count != count.to_integral_value():
            return None
        period = _singular(relative.group(2))
        if period == "month":
            return _add_months(today, int(count))
        return today + timedelta(days=_PERIODS[period] * int(count))
    weekday = re.fullmatch(r"(?:(next|this|coming|on)\s+)?([a-z]+)", body)
    if weekday and weekday.group(2) in _WEEKDAYS:
        ahead = (_WEEKDAYS[weekday.group(2)] - today.weekday()) % 7
        return today + timedelta(days=ahead or 7)
    if body == "next week":
        return today + timedelta(days=7 - today.weekday())
    if body == "next month":
        return _add_months(today, 1).replace(day=1)
    return _parse_calendar_date(body, today)


def _parse_calendar_date(body: str, today: date) -> date | None:
    cleaned = re.sub(r"(\d+)(?:st|nd|rd|th)\b", r"\1", body.replace(",", " "))
    cleaned = re.sub(r"\b(?:the|of)\b", " ", cleaned)
    tokens = cleaned.split()
    month = day = year = None
    for token in tokens:
        if token.rstrip(".") in _MONTHS and month is None:
            month = _MONTHS[token.rstrip(".")]
        elif token.isdigit() and len(token) == 4 and year is None:
            year = int(token)
        elif token.isdigit() and len(token) <= 2 and day is None:
            day = int(token)
        else:
            return None
    if month is None or day is None:
        return None
    if year is not None:
        try:
            return date(year, month, day)
        except ValueError:
            return None
    # No year: the next such day on or after today (up to 8 years ahead, for February 29).
    for candidate_year in range(today.year, today.year + 9):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _add_months(start: date, months: int) -> date:
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# --- yes / no ----------------------------------------------------------------------------------------

_UNSURE = ("not sure", "don't know", "dont know", "do not know", "maybe", "depends", "perhaps", "possibly",
           "not certain", "unsure", "kind of", "sort of", "might")
_YES = ("yes", "yeah", "yep", "yup", "ya", "yea", "sure", "absolutely", "definitely", "of course", "correct",
        "certainly", "y", "true", "affirmative", "indeed", "i would", "i am", "i do", "okay", "ok", "right",
        "sounds good", "for sure")
_NO = ("no", "nope", "nah", "not really", "no way", "never", "n", "false", "negative", "i would not",
       "i wouldn't", "i am not", "i'm not", "i do not", "i don't", "not at all", "absolutely not",
       "definitely not", "certainly not", "of course not")


def _normalize_yes_no(spec: FieldSpec, text: str, today: date, currency: str) -> str:
    body = " " + re.sub(r"[^a-z' ]+", " ", text.lower().replace("’", "'")) + " "
    body = " ".join(body.split())
    padded = f" {body} "
    if any(f" {phrase} " in padded for phrase in _UNSURE):
        raise FieldValueError(_hint(spec))
    # Longest phrases first, removing each hit, so "absolutely not" is not also read as "absolutely".
    said_yes = said_no = False
    for phrase in sorted(_YES + _NO, key=len, reverse=True):
        token = f" {phrase} "
        if token in padded:
            if phrase in _NO:
                said_no = True
            else:
                said_yes = True
            padded = padded.replace(token, " | ")
    if said_yes == said_no:
        raise FieldValueError(_hint(spec))
    return "yes" if said_yes else "no"


# --- choices -----------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


def _normalize_choice(spec: FieldSpec, text: str, today: date, currency: str) -> str:
    said = _words(text)
    joined = " ".join(said)
    for choice in spec.choices:
        if joined == " ".join(_words(choice)) or joined.replace(" ", "") == choice.replace("_", "").lower():
            return choice
    # Whole phrases (synonyms and the choices themselves), longest first, each consumed once it is read,
    # so "need a work visa" is not also read as "work visa".
    phrases = [(" ".join(_words(p)), c) for p, c in spec.synonyms] + [(" ".join(_words(c)), c) for c in spec.choices]
    padded = f" {joined} "
    hits: set[str] = set()
    for phrase, choice in sorted(phrases, key=lambda pc: len(pc[0]), reverse=True):
        if f" {phrase} " in padded:
            hits.add(choice)
            padded = padded.replace(f" {phrase} ", " | ")
    if not hits:
        counts: dict[str, int] = {}
        for choice in spec.choices:
            for word in set(_words(choice)):
                counts[word] = counts.get(word, 0) + 1
        said_set = set(said) | {"".join(said[i:i + 2]) for i in range(len(said) - 1)}
        hits = {c for c in spec.choices if any(counts[w] == 1 and w in said_set for w in _words(c))}
    if len(hits) != 1:
        raise FieldValueError(_hint(spec))
    return hits.pop()


# --- text --------------------------------------------------------------------------------------------


def _normalize_text(spec: FieldSpec, text: str, today: date, currency: str) -> str:
    if len(text) > MAX_TEXT_LENGTH:
        raise FieldValueError(f"That's a bit long for the {spec.label}; could you say it in a few words?")
    return text


_HANDLERS = {
    FieldType.NUMBER: _normalize_number,
    FieldType.PERCENTAGE: _normalize_percentage,
    FieldType.MONEY: _normalize_money,
    FieldType.DATE: _normalize_date,
    FieldType.YES_NO: _normalize_yes_no,
    FieldType.CHOICE: _normalize_choice,
    FieldType.TEXT: _normalize_text,
}

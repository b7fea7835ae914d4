"""Values as a person says them: "a hundred and twelve percent", "March third", "sixty thousand pounds".

Pure functions over the canonical forms of dialer.fields ("112%", "2027-03-03", "60000 GBP"), used for read-backs,
callback times and callback numbers. The saved value stays canonical; only what is said changes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import phonenumbers

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
         "seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"))
_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                  "nine": "ninth", "twelve": "twelfth"}
_MONTHS = ("January February March April May June July August September October November December").split()
_WEEKDAYS = ("Monday Tuesday Wednesday Thursday Friday Saturday Sunday").split()
# (singular, plural, minor unit plural) for the currencies a read-back names; others are said by their code.
_CURRENCIES = {
    "USD": ("US dollar", "US dollars", "cents"), "CAD": ("Canadian dollar", "Canadian dollars", "cents"),
    "AUD": ("Australian dollar", "Australian dollars", "cents"), "NZD": ("New Zealand dollar", "New Zealand dollars", "cents"),
    "GBP": ("pound", "pounds", "pence"), "EUR": ("euro", "euros", "cents"), "CHF": ("Swiss franc", "Swiss francs", "centimes"),
    "JPY": ("yen", "yen", ""), "INR": ("rupee", "rupees", "paise"), "SEK": ("Swedish krona", "Swedish kronor", "öre"),
    "NOK": ("Norwegian krone", "Norwegian kroner", "øre"), "DKK": ("Danish krone", "Danish kroner", "øre"),
    "PLN": ("złoty", "złoty", "grosze"), "MXN": ("Mexican peso", "Mexican pesos", "centavos"),
}


def _below_thousand(n: int, *, leading: bool) -> str:
    hundreds, rest = divmod(n, 100)
    parts: list[str] = []
    if hundreds:
        parts.append(f"{'a' if leading and hundreds == 1 else _ONES[hundreds]} hundred")
    if rest:
        words = _ONES[rest] if rest < 20 else _TENS[rest // 10] + (f"-{_ONES[rest % 10]}" if rest % 10 else "")
        parts.append(f"and {words}" if hundreds else words)
    return " ".join(parts)


def number_words(n: int) -> str:
    """112 → "a hundred and twelve"; 60000 → "sixty thousand"; 1205 → "one thousand two hundred and five"."""
    if n < 0:
        return f"minus {number_words(-n)}"
    if n == 0:
        return "zero"
    parts: list[str] = []
    rest = n
    for value, name in _SCALES:
        count, rest = divmod(rest, value)
        if count:
            parts.append(f"{_below_thousand(count, leading=not parts and count < 1000 and count != 1)} {name}"
                         if count != 1 else f"{'a' if not parts else 'one'} {name}")
    if rest:
        words = _below_thousand(rest, leading=not parts)
        parts.append(f"and {words}" if parts and rest < 100 else words)
    return " ".join(parts)


def decimal_words(value: Decimal) -> str:
    """4.5 → "four point five"; 112 → "a hundred and twelve"."""
    sign, text = ("minus ", str(-value)) if value < 0 else ("", str(value))
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    spoken = number_words(int(whole))
    if fraction:
        spoken += " point " + " ".join(_ONES[int(d)] for d in fraction)
    return sign + spoken


def ordinal_words(n: int) -> str:
    """3 → "third"; 21 → "twenty-first"; 12 → "twelfth"."""
    words = number_words(n).removeprefix("a ")
    head, sep, last = words.rpartition("-") if "-" in words.split()[-1] else words.rpartition(" ")
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}{sep}{last}"


def date_words(day: date, *, today: date | None = None) -> str:
    """2027-03-03 → "March third, 2027" ("March third" within the current year)."""
    said = f"{_MONTHS[day.month - 1]} {ordinal_words(day.day)}"
    return said if today is not None and day.year == today.year else f"{said}, {day.year}"


def money_words(amount: Decimal, currency: str) -> str:
    """60000 GBP → "sixty thousand pounds"; 1 USD → "one US dollar"; 12.50 EUR → "twelve euros and fifty cents"."""
    names = _CURRENCIES.get(currency.upper())
    whole = int(amount)
    cents = int((amount - whole) * 100)
    if names is None:
        return f"{decimal_words(amount)} {' '.join(currency.upper())}"
    singular, plural, minor = names
    said = f"{'one' if whole == 1 else number_words(whole)} {singular if whole == 1 else plural}"
    if cents and minor:
        said += f" and {number_words(cents)} {minor}"
    return said


def spoken_value(field_type: str, canonical: str, *, today: date | None = None) -> str:
    """The canonical value of a field (see dialer.fields.normalize) as a person would say it."""
    try:
        if field_type == "percentage" and canonical.endswith("%"):
            return f"{decimal_words(Decimal(canonical[:-1]))} percent"
        if field_type == "number":
            return decimal_words(Decimal(canonical))
        if field_type == "money":
            amount, _, currency = canonical.partition(" ")
            return money_words(Decimal(amount), currency or "")
        if field_type == "date":
            return date_words(date.fromisoformat(canonical), today=today)
    except (InvalidOperation, ValueError):
        pass
    return canonical.replace("_", " ")


def time_words(at: datetime) -> str:
    """15:00 → "3 p.m."; 09:30 → "9:30 a.m."; 12:00 → "noon"."""
    if at.hour == 12 and at.minute == 0:
        return "noon"
    hour = at.hour % 12 or 12
    suffix = "a.m." if at.hour < 12 else "p.m."
    return f"{hour}:{at.minute:02d} {suffix}" if at.minute else f"{hour} {suffix}"


def local_time_words(at: datetime, *, now: datetime) -> str:
    """A callback time in the callee's own words: "tomorrow, Thursday November twenty-sixth, at 3 p.m. your time"."""
    days = (at.date() - now.date()).days
    when = f"{_WEEKDAYS[at.weekday()]} {_MONTHS[at.month - 1]} {ordinal_words(at.day)}"
    if days == 0:
        when = f"today, {when}"
    elif days == 1:
        when = f"tomorrow, {when}"
    return f"{when}, at {time_words(at)} your time"


def phone_words(e164: str, *, callee_country_code: int | None = 1) -> str:
    """+14155550123 → "four one five, five five five, zero one two three" to a caller in the same country;
    "plus four four, ..." when the number is another country's. Digits one by one, in groups, as people read them."""
    digits = "".join(c for c in e164 if c.isdigit())
    if not digits:
        return e164
    try:
        parsed = phonenumbers.parse(e164 if e164.startswith("+") else f"+{digits}", None)
        country, national = str(parsed.country_code), phonenumbers.national_significant_number(parsed)
    except phonenumbers.NumberParseException:
        country, national = "", digits
    if country == "1" and len(national) == 10:
        groups = [national[:3], national[3:6], national[6:]]
    else:
        groups = [national[i:i + 3] for i in range(0, len(national), 3)]
        if len(groups) > 1 and len(groups[-1]) == 1:  # no lone last digit: "... two three four five"
            groups[-2:] = [groups[-2] + groups[-1]]
    said = ", ".join(" ".join(_ONES[int(d)] for d in group) for group in groups)
    if country and callee_country_code is not None and country != str(callee_country_code):
        said = "plus " + " ".join(_ONES[int(d)] for d in country) + ", " + said
    return said

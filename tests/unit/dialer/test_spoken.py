"""Values as a person says them, and the candidate's local currency."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dialer.currency import currency_for_number
from dialer.spoken import local_time_words, number_words, ordinal_words, phone_words, spoken_value


@pytest.mark.parametrize(
    ("n", "words"),
    [(0, "zero"), (7, "seven"), (12, "twelve"), (21, "twenty-one"), (100, "a hundred"), (101, "a hundred and one"),
     (112, "a hundred and twelve"), (999, "nine hundred and ninety-nine"), (1000, "a thousand"),
     (1001, "a thousand and one"), (1205, "a thousand two hundred and five"), (60000, "sixty thousand"),
     (120000, "a hundred and twenty thousand"), (2_500_000, "two million five hundred thousand"), (-3, "minus three")],
)
def test_number_words(n: int, words: str) -> None:
    assert number_words(n) == words


@pytest.mark.parametrize(("n", "words"), [(1, "first"), (2, "second"), (3, "third"), (5, "fifth"), (8, "eighth"),
                                          (9, "ninth"), (12, "twelfth"), (20, "twentieth"), (21, "twenty-first"),
                                          (23, "twenty-third"), (30, "thirtieth"), (31, "thirty-first")])
def test_ordinal_words(n: int, words: str) -> None:
    assert ordinal_words(n) == words


@pytest.mark.parametrize(
    ("kind", "canonical", "said"),
    [
        ("percentage", "112%", "a hundred and twelve percent"),
        ("percentage", "87.5%", "eighty-seven point five percent"),
        ("money", "60000 GBP", "sixty thousand pounds"),
        ("money", "120000 USD", "a hundred and twenty thousand US dollars"),
        ("money", "1 EUR", "one euro"),
        ("money", "12.50 EUR", "twelve euros and fifty cents"),
        ("money", "5000 ZAR", "five thousand Z A R"),
        ("date", "2027-03-03", "March third, 2027"),
        ("date", "2026-12-21", "December twenty-first"),  # this year: no year said
        ("number", "4", "four"),
        ("number", "4.5", "four point five"),
        ("choice", "visa_holder", "visa holder"),
        ("percentage", "lots", "lots"),  # not canonical: said as it is
    ],
)
def test_spoken_value(kind: str, canonical: str, said: str) -> None:
    assert spoken_value(kind, canonical, today=date(2026, 11, 25)) == said


def test_a_callback_in_the_callees_own_words() -> None:
    now = datetime(2026, 11, 25, 10, 0)
    assert local_time_words(datetime(2026, 11, 26, 15, 0), now=now) == (
        "tomorrow, Thursday November twenty-sixth, at 3 p.m. your time")
    assert local_time_words(datetime(2026, 11, 25, 16, 30), now=now) == (
        "today, Wednesday November twenty-fifth, at 4:30 p.m. your time")
    assert local_time_words(datetime(2026, 11, 30, 12, 0), now=now) == "Monday November thirtieth, at noon your time"


@pytest.mark.parametrize(
    ("number", "said"),
    [("+14155550123", "four one five, five five five, zero one two three"),
     ("+442071234567", "plus four four, two zero seven, one two three, four five six seven")],
)
def test_phone_words(number: str, said: str) -> None:
    assert phone_words(number) == said


@pytest.mark.parametrize(("number", "currency"), [("+14155550123", "USD"), ("+442071234567", "GBP"),
                                                  ("+4930123456", "EUR"), ("+16135550123", "CAD"),
                                                  ("+20212345678", None), ("nonsense", None)])
def test_currency_for_number(number: str, currency: str | None) -> None:
    assert currency_for_number(number) == currency

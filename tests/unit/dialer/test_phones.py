import pytest

from dialer.phones import InvalidPhoneNumber, mask_phone, normalize_phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+14155552671", "US", "+14155552671"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("020 7946 0000", "GB", "+442079460000"),
        ("+44 20 7946 0000", "US", "+442079460000"),
        ("  +1 212 555 0110 ", "US", "+12125550110"),
    ],
)
def test_normalizes_to_e164(raw: str, region: str, expected: str) -> None:
    assert normalize_phone(raw, default_region=region) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        ("hello", "not a number"),
        ("+1555", "wrong number of digits"),
        ("+15555550100", "not a valid number"),
        ("+999 1234567", "country code"),
    ],
)
def test_rejects_with_a_reason(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize_phone(raw, default_region="US")
    assert fragment in str(caught.value)
    if len(raw) > 6:
        assert raw.strip() not in str(caught.value)


def test_mask_keeps_only_country_prefix_and_last_two_digits() -> None:
    assert mask_phone("+14155552671") == "+1********71"
    assert mask_phone(None) == "<none>"

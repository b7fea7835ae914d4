"""The plan's lead: the recent high percentile of how long dials took to get ready, bounded."""

from __future__ import annotations

import pytest

from dialer.engine.lead import PreparationLead


def test_no_dial_yet_means_no_lead() -> None:
    assert PreparationLead().seconds == 0.0


def test_the_lead_is_the_recent_high_percentile_and_forgets_old_dials() -> None:
    lead = PreparationLead(window=100, percentile=0.95)
    for index in range(100):
        lead.observe(0.010 if index < 95 else 0.200)  # five slow dials in a hundred
    assert lead.seconds == 0.200
    for _ in range(100):
        lead.observe(0.020)  # a steady path since: the slow ones have left the window
    assert lead.seconds == 0.020


def test_the_lead_is_bounded_and_never_negative() -> None:
    lead = PreparationLead(ceiling_s=1.0)
    lead.observe(-0.5)  # a clock stepped back
    assert lead.seconds == 0.0
    lead.observe(30.0)
    assert lead.seconds == 1.0


@pytest.mark.parametrize("kwargs", [{"window": 0}, {"percentile": 0.0}, {"percentile": 1.5}, {"ceiling_s": -1.0}])
def test_nonsense_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        PreparationLead(**kwargs)  # type: ignore[arg-type]

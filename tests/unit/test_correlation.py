"""Correlation of car-park activity with risky entries: the window, the tier and the severity it gives."""

from __future__ import annotations

import pytest

from detectors.access.correlation import correlate
from detectors.access.entry_config import CorrelationConfig
from detectors.access.types import LinkedEntry, RiskTier

START = 1_800_000_000.0
CONFIG = CorrelationConfig(window_s=900, slack_s=30)


def entry(offset_s: float, tier: RiskTier = "yellow", event_id: str | None = None) -> LinkedEntry:
    return LinkedEntry(
        event_id=event_id or f"e{offset_s:+.0f}",
        door_id="gate-2",
        door_name="Gate 2",
        ts=START + offset_s,
        result="granted",
        risk_tier=tier,
        reason="test",
    )


@pytest.mark.parametrize(
    ("offsets", "linked"),
    [
        ((-300,), 1),  # five minutes before: linked
        ((-900,), 1),  # at the edge of the window
        ((-901,), 0),  # too long before
        ((20,), 1),  # a little after (clock slack)
        ((31,), 0),  # after the activity began: not its cause
        ((-600, -60, -2000), 2),
    ],
)
def test_window(offsets: tuple[float, ...], linked: int) -> None:
    result = correlate(START, [entry(o) for o in offsets], CONFIG)
    assert (len(result.entries) if result else 0) == linked


def test_entries_sorted_and_deduplicated() -> None:
    result = correlate(START, [entry(-60), entry(-600), entry(-60)], CONFIG)
    assert result is not None and [e.ts for e in result.entries] == [START - 600, START - 60]


def test_tier_is_the_highest_linked() -> None:
    result = correlate(START, [entry(-100, "yellow", "e1"), entry(-50, "red", "e2")], CONFIG)
    assert result is not None and result.tier == "red"


def test_disabled() -> None:
    assert correlate(START, [entry(-60)], CorrelationConfig(enabled=False)) is None

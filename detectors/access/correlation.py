"""Links car-park activity to risky door entries that came shortly before it, and says how much that matters.

Without face matching across cameras the link is by site, event-time window and declared topology (the caller
passes only entries at doors that lead to the alert's camera), so an officer can always see why it was made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from detectors.access.entry_config import CorrelationConfig
from detectors.access.types import LinkedEntry, RiskTier


@dataclass(frozen=True)
class Correlation:
    entries: tuple[LinkedEntry, ...]  # oldest first
    tier: RiskTier


def correlate(
    activity_started_at: float, candidates: Iterable[LinkedEntry], config: CorrelationConfig
) -> Correlation | None:
    """The risky entries in [start - window, start + slack]; None when there are none (or linking is off)."""
    if not config.enabled:
        return None
    earliest = activity_started_at - config.window_s
    latest = activity_started_at + config.slack_s
    unique = {e.event_id: e for e in candidates if earliest <= e.ts <= latest}
    if not unique:
        return None
    entries = tuple(sorted(unique.values(), key=lambda e: (e.ts, e.event_id)))
    tier: RiskTier = "red" if any(e.risk_tier == "red" for e in entries) else "yellow"
    return Correlation(entries, tier)

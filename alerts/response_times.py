"""Response times: alert -> acknowledged, -> dispatched, -> on scene, per site and responder, against targets.

Community policing here works to a "1-3-5 minute" standard: acknowledged within 1 minute, a responder sent within
3, on scene within 5; those are the default targets (`alerts.response_targets_s`). Times run from when the alert
reached the console (the lifecycle's `opened_at`, wall clock) to the first transition into each stage, from the
audit trail; a dispatch straight from "new" also counts as the acknowledgement, and "on scene" as the dispatch
(somebody had to be sent). Pure, so the arithmetic is tested without Redis.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

STAGES = ("acknowledged", "dispatched", "on_scene")
DEFAULT_TARGETS_S = {"acknowledged": 60.0, "dispatched": 180.0, "on_scene": 300.0}
# which states mean a stage has been reached (a later state implies the earlier stages)
_REACHED = {
    "acknowledged": frozenset({"acknowledged", "dispatched", "en_route", "on_scene", "resolved"}),
    "dispatched": frozenset({"dispatched", "en_route", "on_scene"}),
    "on_scene": frozenset({"on_scene"}),
}


@dataclass(frozen=True)
class Step:
    """One audit-trail transition: where it led, when, and whom a dispatch sent."""

    to_state: str
    at: float
    responder: str | None = None


@dataclass(frozen=True)
class AlertResponse:
    site_id: str
    responder: str
    seconds: dict[str, float]  # stage -> seconds from opened to first reached; stages not reached are absent


def response_of(site_id: str, opened_at: float, steps: Sequence[Step]) -> AlertResponse:
    """Seconds to each stage for one alert; the responder is the last one a dispatch named ("-" for nobody)."""
    seconds: dict[str, float] = {}
    responder = "-"
    for step in sorted(steps, key=lambda s: s.at):
        if step.responder:
            responder = step.responder
        for stage in STAGES:
            if stage not in seconds and step.to_state in _REACHED[stage]:
                seconds[stage] = max(0.0, step.at - opened_at)
    return AlertResponse(site_id, responder, seconds)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): a time some alert really took, never an interpolated one."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(responses: Iterable[AlertResponse], targets: dict[str, float] | None = None) -> list[dict[str, object]]:
    """Per (site, responder): count, and per stage p50, p90 and the share within its target; sorted by site."""
    goals = targets or DEFAULT_TARGETS_S
    groups: dict[tuple[str, str], list[AlertResponse]] = {}
    for response in responses:
        groups.setdefault((response.site_id, response.responder), []).append(response)
    rows: list[dict[str, object]] = []
    for (site, responder), members in sorted(groups.items()):
        row: dict[str, object] = {"site_id": site, "responder": responder, "alerts": len(members)}
        for stage in STAGES:
            values = [m.seconds[stage] for m in members if stage in m.seconds]
            within = sum(1 for v in values if v <= goals[stage])
            row[stage] = {
                "count": len(values),
                "p50_s": percentile(values, 50),
                "p90_s": percentile(values, 90),
                "target_s": goals[stage],
                "within_target": round(within / len(values), 3) if values else None,
            }
        rows.append(row)
    return rows

"""Risk score of a car-park incident: points per piece of evidence, each with its reason, and the severity tier.

Officers see why an alert is red: "+45 stayed 52 s at a parked car; +15 night hours; +50 linked: watch-listed
person entered Gate 2". Pure: the caller passes the incident's facts and the event time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Literal

from pydantic import Field, field_validator

from detectors.base import StrictModel
from detectors.clock import checked_timezone, in_daily_window

Tier = Literal["red", "yellow", "green"]


class ScheduleWindow(StrictModel):
    """Hours when a zone matters more (or less): points added to every incident that starts in them."""

    name: str = Field(min_length=1, max_length=40, description="Shown in the explanation, e.g. 'night'")
    start: time
    end: time = Field(description="May be after midnight (23:00-05:00)")
    add: int = Field(ge=-100, le=100, description="Points added (negative: quieter hours)")

    def contains(self, ts: float, timezone: str) -> bool:
        return in_daily_window(ts, self.start, self.end, timezone)


class RiskConfig(StrictModel):
    """Points per evidence and the tiers. Defaults: a dwell at the threshold is yellow, casing is red, a linked
    red-tier entry makes anything red, and the night adds enough to tip a long stay."""

    timezone: str = Field(default="Asia/Shanghai", description="IANA time zone of the site's schedules")
    dwell_points: int = Field(default=45, ge=0, le=200, description="Staying at a parked car for the dwell threshold")
    dwell_points_per_minute: int = Field(default=10, ge=0, le=200, description="Each further minute at the car ...")
    dwell_points_max_extra: int = Field(default=40, ge=0, le=200, description="... up to this many points")
    casing_points: int = Field(default=70, ge=0, le=200, description="Stops at the casing rule's minimum of cars")
    casing_points_per_car: int = Field(default=10, ge=0, le=200, description="Each further car stopped at")
    linked_red_points: int = Field(default=50, ge=0, le=200, description="A linked entry of a red-tier person")
    linked_yellow_points: int = Field(default=30, ge=0, le=200, description="A linked risky entry of yellow tier")
    hand_points: int = Field(default=25, ge=0, le=200, description="A hand at a car's door (pose evidence)")
    resident_points: int = Field(
        default=-20, ge=-200, le=0, description="A resident came in through a door leading here just before"
    )
    left_with_car_points: int = Field(
        default=-40, ge=-200, le=0, description="The person left as the car drove off: they got in (owner-like)"
    )
    owner_points: int = Field(
        default=-60,
        ge=-200,
        le=0,
        description="The camera saw the person belong to this car (got out of it, loaded it, arrived with its "
        "driver): the longest stay (45 + 40) ends green, never pushed; a linked red-tier entry still makes it red",
    )
    schedules: tuple[ScheduleWindow, ...] = Field(
        default=(ScheduleWindow(name="night hours", start=time(23, 0), end=time(5, 0), add=15),),
        description="Site-wide hours that add points; cameras[].schedules replaces them for one camera",
    )
    red_at: int = Field(default=70, ge=1, le=1000, description="Score from which an alert is red")
    yellow_at: int = Field(default=40, ge=0, le=1000, description="Score from which an alert is yellow (else green)")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return checked_timezone(value)

    def tier(self, score: int) -> Tier:
        return "red" if score >= self.red_at else "yellow" if score >= self.yellow_at else "green"


@dataclass(frozen=True)
class IncidentFacts:
    rule: str  # loitering or casing
    started_at: float
    dwell_s: float
    dwell_threshold_s: float
    cars: int = 1  # casing: distinct cars stopped at
    min_cars: int = 3
    linked_tiers: tuple[str, ...] = ()  # risk tiers of the linked door entries
    resident_entries: int = 0  # residents' own entries at doors leading here, just before
    left_with_car: bool = False  # the incident ended because the car drove off
    hand_at_door_s: float = 0.0  # pose evidence
    hand_min_s: float = 1.0
    owner_evidence: tuple[str, ...] = ()  # what the camera saw of the person belonging to this car


@dataclass(frozen=True)
class RiskAssessment:
    score: int
    tier: Tier
    reasons: tuple[str, ...]  # "+45 stayed 52 s at a parked car", ...


def assess(
    facts: IncidentFacts, config: RiskConfig, schedules: tuple[ScheduleWindow, ...] | None = None
) -> RiskAssessment:
    parts: list[tuple[int, str]] = []
    if facts.rule == "casing":
        extra = max(0, facts.cars - facts.min_cars) * config.casing_points_per_car
        parts.append((config.casing_points + extra, f"stopped at {facts.cars} parked cars"))
    else:
        beyond = max(0.0, facts.dwell_s - facts.dwell_threshold_s) / 60
        extra = min(config.dwell_points_max_extra, int(beyond * config.dwell_points_per_minute))
        parts.append((config.dwell_points + extra, f"stayed {facts.dwell_s:.0f} s at a parked car"))
    for window in config.schedules if schedules is None else schedules:
        if window.add and window.contains(facts.started_at, config.timezone):
            parts.append((window.add, f"{window.name} ({window.start:%H:%M}-{window.end:%H:%M})"))
    if "red" in facts.linked_tiers:
        parts.append((config.linked_red_points, "linked to a red-tier door entry"))
    elif facts.linked_tiers:
        parts.append((config.linked_yellow_points, "linked to a risky door entry"))
    if facts.hand_at_door_s >= facts.hand_min_s and config.hand_points:
        parts.append((config.hand_points, f"hand at a car door for {facts.hand_at_door_s:.0f} s"))
    if facts.resident_entries and config.resident_points:
        parts.append((config.resident_points, "a resident came in just before (owner-like)"))
    if facts.left_with_car and config.left_with_car_points:
        parts.append((config.left_with_car_points, "left as the car drove off (owner-like)"))
    if facts.owner_evidence and config.owner_points:
        parts += [(config.owner_points, f"owner: {why}") for why in facts.owner_evidence[:1]]
    score = max(0, sum(points for points, _ in parts))
    reasons = tuple(f"{points:+d} {reason}" for points, reason in parts)
    return RiskAssessment(score, config.tier(score), reasons)

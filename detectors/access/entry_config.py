"""Settings of the door-entry rules and of the entry-to-car-park correlation, with the reason for each default."""

from __future__ import annotations

from datetime import time

from pydantic import Field, field_validator

from detectors.access.types import AccessResult
from detectors.base import StrictModel
from detectors.clock import checked_timezone, in_daily_window


class NightSchedule(StrictModel):
    """Hours when entries by non-residents are worth an officer's attention (the real case happened at 01:00)."""

    start: time = Field(default=time(23, 0), description="Local time the night begins (HH:MM)")
    end: time = Field(default=time(5, 0), description="Local time the night ends (HH:MM); may be after midnight")

    def contains(self, ts: float, timezone: str) -> bool:
        """Whether event time `ts` falls in the night, in the site's local time."""
        return in_daily_window(ts, self.start, self.end, timezone)


class EntryRulesConfig(StrictModel):
    timezone: str = Field(
        default="Asia/Shanghai", description="IANA time zone of the site: night hours and alert messages use it"
    )
    watchlist: bool = Field(default=True, description="Alert when a watch-listed person uses or tries a door")
    refused_attempts: int = Field(
        default=3,
        ge=2,
        le=100,
        description="Refused attempts (denied card, unknown or mismatched face) at one door that make an alert",
    )
    refused_window_s: float = Field(
        default=300.0, gt=0.0, le=86400.0, description="Window for counting refused attempts at one door"
    )
    night: NightSchedule | None = Field(
        default_factory=NightSchedule, description="Night hours for night-entry alerts; null turns them off"
    )
    non_resident_user_types: tuple[str, ...] = Field(
        default=("visitor",),
        description="Terminal user types that are not residents (Hikvision userType); unidentified people never are",
    )
    night_risky_results: tuple[AccessResult, ...] = Field(
        default=(AccessResult.STRANGER, AccessResult.FACE_MISMATCH),
        description="Refused results that, at night, mark an entry attempt as risky for correlation (no alert alone)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return checked_timezone(value)

    allowed_lateness_s: float = Field(
        default=300.0,
        ge=0.0,
        le=7 * 86400.0,
        description="Events older than the newest one seen at that door by more than this are dead-lettered as too "
        "late; within it, out-of-order events are placed at their own event time",
    )


class CorrelationConfig(StrictModel):
    """How car-park alerts are linked to risky entries (site, time window and declared camera topology)."""

    enabled: bool = Field(default=True, description="Link car-park alerts to risky entries at doors leading there")
    window_s: float = Field(
        default=900.0,
        gt=0.0,
        le=86400.0,
        description="A risky entry links to car-park activity starting this soon after",
    )
    resident_window_s: float = Field(
        default=300.0,
        ge=0.0,
        le=86400.0,
        description="A resident's own entry this soon before car-park activity lowers its risk (coming home)",
    )
    slack_s: float = Field(
        default=30.0,
        ge=0.0,
        le=3600.0,
        description="Activity may start this much before the entry (camera and door clocks never agree exactly)",
    )

"""The behaviour rules' settings (loitering, casing, owners), with the reasons for each default."""

from __future__ import annotations

from pydantic import Field, field_validator

from detectors.base import StrictModel
from detectors.behaviour.zones import validate_polygon


class LoiterConfig(StrictModel):
    """Rule v1: a person staying at a parked car.

    Defaults are chosen from the situation, not a clip: 30 s is far longer than walking past or unlocking
    one's own car (a few seconds) and short enough to reach someone still trying doors.
    """

    dwell_s: float = Field(default=30.0, gt=0.0, le=3600.0, description="Time at one car before an alert starts")
    margin_ratio: float = Field(
        default=0.3,
        ge=0.0,
        le=3.0,
        description="Zone around a car: its box grown on each side by this fraction of its own width/height "
        "(scales with distance to the camera)",
    )
    gap_tolerance_s: float = Field(
        default=4.0, ge=0.0, le=120.0, description="Absence (occlusion, missed detections) that does not end a stay"
    )
    got_in_wait_s: float = Field(
        default=60.0,
        ge=0.0,
        le=600.0,
        description="A person whose track ends with the foot inside the car's box got in: the stay waits this long "
        "for the car to leave (then it ends 'vehicle_moved', got in and left) before ending 'person_left'. Seatbelt, "
        "engine, mirrors and pulling out take seconds to a minute (docs/owners.md)",
    )
    push_confirm_s: float = Field(
        default=0.0,
        ge=0.0,
        le=120.0,
        description="Hold a yellow-only start this long (event time) so that a got-in-and-left ending in that time "
        "turns it green before any phone rings; 0 sends at once (docs/owners.md says why that is the default)",
    )
    update_interval_s: float = Field(
        default=15.0, gt=0.0, le=3600.0, description="Dwell growth between two update events of an open alert"
    )
    stationary_window_s: float = Field(
        default=3.0, gt=0.0, le=600.0, description="A car must be seen this long without moving to count as parked"
    )
    stationary_max_shift_ratio: float = Field(
        default=0.15,
        gt=0.0,
        le=2.0,
        description="Largest centre shift within the window, as a fraction of the car box diagonal, for 'parked'",
    )
    vehicle_forget_s: float = Field(
        default=10.0, gt=0.0, le=3600.0, description="A vehicle unseen this long is forgotten"
    )
    min_person_score: float = Field(
        default=0.45,
        ge=0.0,
        le=1.0,
        description="A person counts only while the median detection score of its last frames reaches this "
        "(one-off and static false detections beside a car never raise an alert)",
    )
    score_history: int = Field(default=10, ge=1, le=1000, description="Frames in that median")
    parking_area: tuple[tuple[float, float], ...] | None = Field(
        default=None,
        description="Polygon (fractions of frame width, height) where vehicles can be parked; unset: anywhere. "
        "Keeps cars waiting in a traffic lane from counting as parked. Set per camera under cameras[].loitering",
    )
    hand_min_s: float = Field(
        default=1.0, gt=0.0, le=60.0, description="Pose evidence: a wrist at door height this long is 'hand at a door'"
    )
    door_band: tuple[float, float] = Field(
        default=(0.25, 0.8), description="Door-handle height: fractions of the car box height from its top"
    )
    reopen_within_s: float = Field(
        default=60.0,
        ge=0.0,
        le=3600.0,
        description="A person back at the same car within this time after an alert ended continues that incident",
    )

    @field_validator("parking_area")
    @classmethod
    def _parking_area_is_a_polygon(
        cls, points: tuple[tuple[float, float], ...] | None
    ) -> tuple[tuple[float, float], ...] | None:
        return None if points is None else validate_polygon(points)


class CasingConfig(StrictModel):
    """Casing: one person stopping briefly at several parked cars in a few minutes (trying handles, looking in).

    A stop is the person standing still (their foot point moving less than `stop_radius_ratio` of their own
    height) inside a car's zone for `min_stop_s`; walking along a row of cars is never a stop, and one car is
    what an owner visits. Cars, zones and the parking area are those of the loitering rule.
    """

    enabled: bool = Field(default=True, description="Raise casing alerts")
    min_cars: int = Field(default=3, ge=2, le=50, description="Distinct parked cars with a stop ...")
    window_s: float = Field(default=180.0, gt=0.0, le=3600.0, description="... within this time")
    min_stop_s: float = Field(
        default=2.0, gt=0.0, le=120.0, description="Standing still at a car this long is a stop (a glance is not)"
    )
    stop_radius_ratio: float = Field(
        default=0.35,
        gt=0.0,
        le=5.0,
        description="'Still': the foot point stays within this fraction of the person's height (scales with distance)",
    )
    end_after_s: float = Field(
        default=30.0, gt=0.0, le=3600.0, description="The incident ends once the person is unseen this long"
    )
    min_walk_ratio: float = Field(
        default=1.5,
        ge=0.0,
        le=10.0,
        description="A stop at another car counts only after the foot point has moved this many of the person's "
        "heights from the last stop (a real walk to another car: neighbouring bays are 2.4-2.5 m apart, about 1.5 "
        "body heights of 1.7 m; shuffling at one car or between two touching car boxes moves less)",
    )


class OwnerConfig(StrictModel):
    """Owner evidence (detectors/owners.py): what the camera sees of a driver, passenger or their party.

    Defaults describe behaviour, not a clip: a driver gets out within a minute of parking, next to the car; a
    carried object is held against the body; people who arrive together appear within seconds, a couple of
    body heights apart.
    """

    enabled: bool = Field(default=True, description="Owners and their party are not alerted at their own car")
    arrival_window_s: float = Field(
        default=60.0,
        ge=0.0,
        le=600.0,
        description="A person whose track begins within this time after a car came to rest, next to it, got out "
        "of it (switching off, gathering things and opening the door take seconds to a minute)",
    )
    car_reach_ratio: float = Field(
        default=1.0,
        ge=0.0,
        le=5.0,
        description="'Next to a car': the foot point within this many person heights of the car's box (an open "
        "door and the step out are within one body height)",
    )
    motion_window_s: float = Field(
        default=3.0, gt=0.0, le=60.0, description="A car moving within this window is not yet at rest"
    )
    moving_shift_ratio: float = Field(
        default=0.15,
        gt=0.0,
        le=2.0,
        description="Centre shift within the window, as a fraction of the box diagonal, that is driving "
        "(parking at walking pace moves a car well over this; box jitter stays under it)",
    )
    carry_min_s: float = Field(
        default=1.0,
        gt=0.0,
        le=60.0,
        description="A carried object on the person at a parked car this long is loading or unloading "
        "(passing overlaps of a bag and a person last a fraction of that)",
    )
    party_window_s: float = Field(
        default=10.0,
        ge=0.0,
        le=120.0,
        description="People who appear within this time of an owner, near them, arrived together (doors of one car "
        "open within seconds)",
    )
    party_reach_ratio: float = Field(
        default=2.5,
        ge=0.0,
        le=20.0,
        description="... within this many person heights of where the owner appeared (the other side of a car "
        "is one car width, about 1.1 body heights, away)",
    )
    forget_s: float = Field(
        default=600.0,
        gt=0.0,
        le=86400.0,
        description="People and cars unseen this long are forgotten with their evidence (a car-park visit)",
    )

"""What a behaviour rule emits: the life of one incident (start, updates, end) on event time."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from detectors.geometry import Box


class IncidentPhase(StrEnum):
    """The step of an incident, and so of the alert about it (alerts.models names it AlertPhase)."""

    START = "start"
    UPDATE = "update"
    END = "end"


class EndReason(StrEnum):
    LEFT = "person_left"
    VEHICLE_MOVED = "vehicle_moved"
    STREAM_ENDED = "stream_ended"


class LoiterIncidentEvent(BaseModel):
    """One step of a person-at-parked-car incident, with everything an alert needs as evidence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str = "loitering"
    phase: IncidentPhase
    camera_id: str
    stream_id: str
    person_track_id: int
    vehicle_track_id: int
    person_box: Box
    vehicle_box: Box
    started_at: float = Field(description="Event time the person was first seen at the car")
    ts: float = Field(description="Event time of this step")
    dwell_s: float = Field(ge=0.0)
    frame_seq: int = Field(description="Frame whose boxes are attached (the evidence frame)")
    frame_width: int
    frame_height: int
    end_reason: EndReason | None = None
    vehicles_visited: tuple[int, ...] = Field(default=(), description="Casing: the parked cars stopped at, in order")
    hand_at_door_s: float = Field(default=0.0, ge=0.0, description="Time a wrist was at the car's door height")
    group_track_ids: tuple[int, ...] = Field(
        default=(), description="A group at one car (one incident): every person in it, the lead first; empty alone"
    )
    owner_evidence: tuple[str, ...] = Field(
        default=(), description="What the camera saw of the person belonging to this car (detectors/owners.py)"
    )

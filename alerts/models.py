"""Alert events: the public records of the alerts topic, the alerts.jsonl output and webhook bodies.

Three kinds share one base: `AlertEvent` (a car-park incident seen on video, with boxes), `EntryAlertEvent`
(a risky door-access entry) and `DeviceAlertEvent` (a camera or terminal offline, covered, moved or silent).
Consumers read any of them through `Alert`, discriminated by `record_type`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from detectors.access.types import LinkedEntry, RiskTier
from detectors.behaviour.incidents import (
    IncidentPhase as AlertPhase,  # one phase enum: an alert step is an incident step
)

__all__ = [
    "Alert",
    "AlertBase",
    "AlertEvent",
    "AlertPhase",
    "DeviceAlertEvent",
    "EntryAlertEvent",
    "LinkedEntry",
    "RiskTier",
    "Severity",
]

BoxList = tuple[float, float, float, float]


class Severity(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


class AlertBase(BaseModel):
    """What every alert step has; `alert_id` is stable across steps and across replays."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    alert_id: str = Field(min_length=8, max_length=64)
    event_id: str = Field(description="alert_id plus phase and event time: the idempotency key of this step")
    phase: AlertPhase
    rule: str
    severity: Severity = Severity.YELLOW
    site_id: str
    stream_id: str = Field(description="The camera stream, or the door-log stream, the alert came from")
    started_at: float = Field(description="Event time the incident began")
    ts: float = Field(description="Event time of this step")
    end_reason: str | None = None
    message: str = ""
    risk_tier: RiskTier | None = Field(default=None, description="Highest tier of the linked entries, if any")
    linked_entries: tuple[LinkedEntry, ...] = Field(
        default=(), description="Door-access entries this alert is linked to (correlation), oldest first"
    )

    @property
    def source_id(self) -> str:
        """The camera or door: the partition key and the store's per-source index."""
        raise NotImplementedError


class AlertEvent(AlertBase):
    """One step (start, update, end) of a car-park incident on one camera, with the evidence boxes."""

    record_type: Literal["alert_event"] = "alert_event"
    camera_id: str
    zone: str | None = Field(default=None, description="The camera's area as officers name it (cameras[].zone)")
    vehicles_visited: tuple[int, ...] = Field(default=(), description="Casing: the parked cars stopped at, in order")
    hand_at_door_s: float = Field(default=0.0, ge=0.0, description="Pose evidence: time a wrist was at a door")
    group_track_ids: tuple[int, ...] = Field(
        default=(), description="A group at one car (one incident): every person in it, the lead first; empty alone"
    )
    owner_evidence: tuple[str, ...] = Field(
        default=(), description="What the camera saw of the person belonging to this car: an owner, not a suspect"
    )
    resident_entries: int = Field(
        default=0, ge=0, description="Residents who came in through doors leading here just before (owner-like)"
    )
    risk_score: int | None = Field(default=None, description="Points of evidence; the severity is its tier")
    risk_reasons: tuple[str, ...] = Field(default=(), description="What added the points: '+45 stayed 52 s at ...'")
    dwell_s: float = Field(ge=0.0)
    person_track_id: int
    vehicle_track_id: int
    person_box: BoxList
    vehicle_box: BoxList
    frame_seq: int
    frame_width: int = Field(gt=0)
    frame_height: int = Field(gt=0)

    @property
    def source_id(self) -> str:
        return self.camera_id


class EntryAlertEvent(AlertBase):
    """A risky entry at a door: a watch-listed person, repeated refused attempts, a night entry by a stranger."""

    record_type: Literal["entry_alert"] = "entry_alert"
    door_id: str
    door_name: str
    device_id: str
    attempts: int = Field(default=1, ge=1, description="Access events that make up this alert")
    picture_key: str | None = Field(default=None, description="Alert-store key of the terminal's face picture")

    @property
    def source_id(self) -> str:
        return f"door:{self.door_id}"


class DeviceAlertEvent(AlertBase):
    """A device that stopped doing its job: a camera offline, covered or moved, a door terminal silent."""

    record_type: Literal["device_alert"] = "device_alert"
    device_kind: Literal["camera", "terminal"]
    device_id: str
    zone: str | None = Field(default=None, description="The camera's area as officers name it")
    measures: dict[str, float] = Field(default_factory=dict, description="What the rule measured: spread, shift...")
    risk_reasons: tuple[str, ...] = Field(default=(), description="Why the severity is what it is")
    frame_seq: int | None = Field(default=None, description="The camera frame the step was judged on, if any")

    @property
    def source_id(self) -> str:
        return f"device:{self.device_id}"


Alert = Annotated[AlertEvent | EntryAlertEvent | DeviceAlertEvent, Field(discriminator="record_type")]


class StreamEnd(BaseModel):
    """Marker on the alerts topic after the last alert of a finite stream (a replay); consumers may ignore it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_type: Literal["end_of_stream"] = "end_of_stream"
    schema_version: Literal[1] = 1
    camera_id: str
    stream_id: str
    ts: float

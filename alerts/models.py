"""The alert event: the public record of the alerts topic, the alerts.jsonl output and webhook bodies."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

BoxList = tuple[float, float, float, float]


class AlertPhase(StrEnum):
    START = "start"
    UPDATE = "update"
    END = "end"


class Severity(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


class AlertEvent(BaseModel):
    """One step (start, update, end) of one alert; `alert_id` is stable across steps and across replays."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_type: Literal["alert_event"] = "alert_event"
    schema_version: Literal[1] = 1
    alert_id: str = Field(min_length=8, max_length=64)
    event_id: str = Field(description="alert_id plus phase and event time: the idempotency key of this step")
    phase: AlertPhase
    rule: str
    severity: Severity = Severity.YELLOW
    site_id: str
    camera_id: str
    stream_id: str
    started_at: float = Field(description="Event time the incident began")
    ts: float = Field(description="Event time of this step")
    dwell_s: float = Field(ge=0.0)
    person_track_id: int
    vehicle_track_id: int
    person_box: BoxList
    vehicle_box: BoxList
    frame_seq: int
    frame_width: int = Field(gt=0)
    frame_height: int = Field(gt=0)
    end_reason: str | None = None
    message: str = ""


class StreamEnd(BaseModel):
    """Marker on the alerts topic after the last alert of a finite stream (a replay); consumers may ignore it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_type: Literal["end_of_stream"] = "end_of_stream"
    schema_version: Literal[1] = 1
    camera_id: str
    stream_id: str
    ts: float

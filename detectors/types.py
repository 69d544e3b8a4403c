"""The detector's output records: one validated type, whatever model or tracker produced it.

`TrackFrame` is the public JSONL/Kafka format of the tracks topic (see README, "Track record format").
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from detectors.geometry import Box


class ObjectClass(StrEnum):
    """The object classes the product cares about; everything else the model sees is dropped."""

    PERSON = "person"
    CAR = "car"
    TRUCK = "truck"
    BUS = "bus"
    MOTORCYCLE = "motorcycle"
    BAG = "bag"  # a carried object (COCO backpack, handbag, suitcase; VIRAT type 4): evidence of loading a car


VEHICLE_CLASSES = frozenset({ObjectClass.CAR, ObjectClass.TRUCK, ObjectClass.BUS, ObjectClass.MOTORCYCLE})


class Detection(BaseModel):
    """One object found in one frame, before tracking."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cls: ObjectClass
    box: Box
    confidence: float = Field(ge=0.0, le=1.0)


class TrackedObject(BaseModel):
    """A detection with an identity that persists across frames of one camera stream."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    track_id: int = Field(ge=0, description="Unique within one camera stream")
    cls: ObjectClass
    box: Box
    confidence: float = Field(ge=0.0, le=1.0)
    wrists: tuple[tuple[float, float], ...] | None = Field(
        default=None,
        description="People near a vehicle: wrist points found by the pose model (pixels); None when not looked at",
    )

    @property
    def is_vehicle(self) -> bool:
        return self.cls in VEHICLE_CLASSES


class TrackFrame(BaseModel):
    """All tracked objects of one camera frame, stamped with the frame's capture (event) time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_type: Literal["track_frame"] = "track_frame"
    schema_version: Literal[1] = 1
    camera_id: str = Field(min_length=1, max_length=128)
    stream_id: str = Field(min_length=1, max_length=128, description="Changes when a camera stream restarts")
    seq: int = Field(ge=0, description="Frame sequence number within the stream")
    ts: float = Field(description="Capture time, seconds since the Unix epoch")
    width: int = Field(gt=0, le=16384)
    height: int = Field(gt=0, le=16384)
    objects: list[TrackedObject] = Field(default_factory=list)
    end_of_stream: bool = Field(default=False, description="Marker after the last frame of a finite stream")

"""Motion gating, tracking and person continuity settings, with the reasons for each default."""

from __future__ import annotations

from pydantic import Field

from detectors.base import StrictModel


class MotionConfig(StrictModel):
    """Motion gating: a still frame reuses the last tracks instead of running the model (Frigate's approach)."""

    enabled: bool = Field(default=True, description="Skip the model on frames with no motion since the last run")
    max_interval_s: float = Field(
        default=1.0,
        gt=0.0,
        le=60.0,
        description="The model runs at least this often per camera anyway (event time), so nothing slow is missed",
    )
    width: int = Field(default=320, ge=64, le=1920, description="Width the frame is shrunk to before comparing")
    pixel_threshold: int = Field(
        default=20, ge=1, le=255, description="Grey-level change that counts a pixel as changed (above sensor noise)"
    )
    area_ratio: float = Field(
        default=0.0005,
        gt=0.0,
        le=1.0,
        description="Share of changed pixels that counts as motion: 0.05 % of 320x180 is 29 px, a distant walker",
    )
    mosaic: bool = Field(
        default=False,
        description="Frames whose motion fits a quarter of the model input are run as tiles of a shared mosaic, up to "
        "four frames (of any cameras) per model run, at the scale of a whole-frame run; what lies outside the "
        "moving part keeps its last detections. The whole frame is still looked at every max_interval_s",
    )


class TrackerConfig(StrictModel):
    """ByteTrack thresholds (ultralytics names); the lost-track buffer is in seconds so it holds at any fps."""

    track_high_thresh: float = Field(default=0.25, ge=0.0, le=1.0, description="First-association confidence")
    track_low_thresh: float = Field(default=0.1, ge=0.0, le=1.0, description="Second-association confidence")
    new_track_thresh: float = Field(default=0.25, ge=0.0, le=1.0, description="Confidence to start a new track")
    match_thresh: float = Field(default=0.8, ge=0.0, le=1.0, description="Association cost threshold")
    lost_buffer_s: float = Field(
        default=3.0, gt=0.0, le=60.0, description="How long a lost track may be re-found (occlusion behind a car)"
    )
    fuse_score: bool = Field(default=True, description="Fuse detection score into the matching cost")
    coast_s: float = Field(
        default=0.0,
        ge=0.0,
        le=10.0,
        description="Also output a confirmed track lost for up to this long, at its Kalman-predicted box and half "
        "its last score (a far walker missed for a frame or two stays tracked; ByteTrack often re-finds it); 0: off",
    )


class ContinuityConfig(StrictModel):
    """One person across tracker ID switches (see detectors/continuity.py)."""

    enabled: bool = Field(default=True, description="Merge a person's track IDs into one identity")
    max_gap_s: float = Field(
        default=4.0, ge=0.0, le=60.0, description="Longest absence after which a new track may continue a person"
    )
    max_shift_ratio: float = Field(
        default=0.75,
        ge=0.0,
        le=5.0,
        description="How far (in person heights, foot to foot) a new track may appear from where the person was lost",
    )
    duplicate_overlap: float = Field(
        default=0.7,
        gt=0.0,
        le=1.0,
        description="Share of the smaller box covered by the other at which two simultaneous person tracks are one "
        "person (a tracker's second, nested box of the same body)",
    )
    vehicle_max_gap_s: float = Field(
        default=30.0,
        ge=0.0,
        le=3600.0,
        description="A vehicle track appearing where a vehicle was lost up to this long ago continues it "
        "(parked cars drop out of detection behind people, at night, in rain)",
    )
    vehicle_min_iou: float = Field(
        default=0.5, gt=0.0, le=1.0, description="Box overlap (IoU) at which a new vehicle track is the lost one"
    )

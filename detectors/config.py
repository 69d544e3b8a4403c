"""Configuration of the model, the tracker and the behaviour rules, with the reasons for each default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from detectors.base import StrictModel
from detectors.behaviour.zones import validate_polygon
from detectors.types import ObjectClass


class ModelBase(StrictModel):
    """What every detector backend needs: the weights, the input size, thresholds and the classes kept."""

    path: Path | None = Field(
        default=None,
        description="YOLO weights. Unset: ../shared/models/yolo11n_int8_openvino_model if present, else yolo11n.pt",
    )
    imgsz: int = Field(
        default=640,
        ge=32,
        le=4096,
        description="Model input size in pixels (multiple of 32); a static model's own wins",
    )
    confidence: float = Field(default=0.25, ge=0.01, le=1.0, description="Minimum detection confidence")
    iou: float = Field(default=0.7, ge=0.05, le=1.0, description="NMS IoU threshold")
    classes: tuple[ObjectClass, ...] = Field(
        default=(
            ObjectClass.PERSON,
            ObjectClass.CAR,
            ObjectClass.TRUCK,
            ObjectClass.BUS,
            ObjectClass.MOTORCYCLE,
            ObjectClass.BAG,
        ),
        min_length=1,
        description="Object classes kept from the model output (bag: carried objects, owner evidence)",
    )


class OpenVinoModelConfig(ModelBase):
    """OpenVINO runtime directly: frames of a batch run as parallel infer requests (the async API)."""

    type: Literal["openvino"] = "openvino"
    device: str = Field(default="CPU", min_length=1, description="OpenVINO device: CPU, GPU, NPU, AUTO, ...")
    performance_hint: Literal["THROUGHPUT", "LATENCY"] = Field(
        default="THROUGHPUT",
        description="THROUGHPUT runs one single-threaded stream per core pair so busy cores never stall a barrier; "
        "LATENCY spreads one frame over all cores",
    )
    infer_requests: int = Field(
        default=0, ge=0, le=64, description="Parallel infer requests; 0 takes OpenVINO's optimal number for the hint"
    )


class UltralyticsModelConfig(ModelBase):
    """ultralytics' predictor: any weights it loads (.pt, .onnx, exports), one frame at a time."""

    type: Literal["ultralytics"]
    device: str = Field(default="cpu", min_length=1, description="Device passed to ultralytics (cpu, 0, intel:gpu)")


class OmzModelBase(ModelBase):
    """An Intel Open Model Zoo detector on the OpenVINO runtime: a reshapable BGR 0-255 input of `imgsz` x
    `input_height` (plain resize, no letterbox) and parallel infer requests."""

    input_height: int = Field(default=480, ge=64, le=4096, description="Input height the model is reshaped to")
    confidence: float = Field(default=0.4, ge=0.01, le=1.0, description="Minimum detection confidence")
    device: str = Field(default="CPU", min_length=1, description="OpenVINO device: CPU, GPU, NPU, AUTO, ...")
    performance_hint: Literal["THROUGHPUT", "LATENCY"] = Field(
        default="THROUGHPUT", description="As for the openvino backend"
    )
    infer_requests: int = Field(
        default=0, ge=0, le=64, description="Parallel infer requests; 0 takes OpenVINO's optimal number for the hint"
    )


class PersonVehicleBikeModelConfig(OmzModelBase):
    """Intel OMZ person-vehicle-bike-detection-2003 (ATSS, Apache-2.0) on the OpenVINO runtime: finds people
    a few dozen pixels tall that the 640 px YOLO export misses (docs/people-detection.md)."""

    type: Literal["person_vehicle_bike"]
    imgsz: int = Field(
        default=864, ge=64, le=4096, description="Input width the model is reshaped to (native 864; 1280 for 720p)"
    )
    input_height: int = Field(
        default=480, ge=64, le=4096, description="Input height the model is reshaped to (native 480; 720 for 720p)"
    )


class PedestrianAdasModelConfig(OmzModelBase):
    """Intel OMZ pedestrian-detection-adas-0002 (SSD on MobileNet, Apache-2.0): people only, so a camera that
    uses it alone has no cars; combine it with a vehicle model (`type: combined`, docs/people-detection.md)."""

    type: Literal["pedestrian_adas"]
    imgsz: int = Field(
        default=672, ge=64, le=4096, description="Input width the model is reshaped to (native 672; 1344 for 2x)"
    )
    input_height: int = Field(
        default=384, ge=64, le=4096, description="Input height the model is reshaped to (native 384; 768 for 2x)"
    )
    classes: tuple[ObjectClass, ...] = Field(
        default=(ObjectClass.PERSON,), min_length=1, description="The model finds people only"
    )


MemberModelConfig = Annotated[
    OpenVinoModelConfig | UltralyticsModelConfig | PersonVehicleBikeModelConfig | PedestrianAdasModelConfig,
    Field(discriminator="type"),
]


class CombinedModelConfig(StrictModel):
    """Several models on every image, boxes of one class merged strongest first (as slicing merges tiles):
    e.g. a people-only model with a vehicle model (each member's `classes` says what it contributes). The first
    member is the people model: its input size sets the crops' size."""

    type: Literal["combined"]
    members: tuple[MemberModelConfig, ...] = Field(min_length=2, max_length=4, description="The models run")
    iou: float = Field(
        default=0.5,
        ge=0.05,
        le=1.0,
        description="Boxes of one class from different members overlapping this much are one object (stronger kept)",
    )
    others_min_width: int = Field(
        default=0,
        ge=0,
        le=8192,
        description="Members after the first skip images narrower than this: 640 keeps a vehicle model on the whole "
        "frame (cars are large) and off the zoomed crops (336 px wide for adas); 0 runs every member on every image",
    )

    @property
    def imgsz(self) -> int:
        """The first member's input width (what a reduced JPEG decode must keep)."""
        return self.members[0].imgsz


ModelConfig = Annotated[
    OpenVinoModelConfig
    | UltralyticsModelConfig
    | PersonVehicleBikeModelConfig
    | PedestrianAdasModelConfig
    | CombinedModelConfig,
    Field(discriminator="type"),
]


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

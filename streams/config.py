"""Site configuration: one YAML file validated at start-up, with env overrides for addresses and secrets.

Env: SENTINEL_<SECTION>__<KEY> (e.g. SENTINEL_KAFKA__BOOTSTRAP_SERVERS), and REDIS_URL for the Redis address.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from alerts.config import AlertsConfig, delivery_claim_ttl_s
from detectors.base import StrictModel
from detectors.behaviour.risk import RiskConfig, ScheduleWindow
from detectors.behaviour.zones import Masks, validate_polygon
from detectors.config import (
    CasingConfig,
    ContinuityConfig,
    LoiterConfig,
    ModelConfig,
    MotionConfig,
    OpenVinoModelConfig,
    OwnerConfig,
    TrackerConfig,
)
from detectors.devices.config import DeviceHealthConfig
from detectors.vision.detection_rate import DetectionRateConfig
from detectors.vision.object_filters import ObjectFilter
from detectors.vision.people_pass import CameraDetectorConfig
from detectors.vision.pose import PoseConfig
from detectors.vision.slicing import SlicingConfig
from streams.access.config import AccessConfig
from streams.kafka.config import KafkaConfig

logger = logging.getLogger(__name__)

CAMERA_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"


class RedisConfig(StrictModel):
    url: str = Field(
        default="redis://127.0.0.1:6379/0",
        pattern=r"^(redis|rediss|unix)://",
        description="redis://[user:password@]host:port/db, rediss:// for TLS; the password is never logged",
    )
    key_prefix: str = Field(default="sentinel:", min_length=1, max_length=64)
    ssl_ca_certs: Path | None = Field(default=None, description="CA bundle for a rediss:// server certificate")

    @property
    def redacted_url(self) -> str:
        """The URL as logs and error messages may show it: any password replaced."""
        return re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", self.url)


class ZoneConfig(StrictModel):
    """A named area of one camera's view (a row of the car park), with its own risk hours if it needs them."""

    name: str = Field(min_length=1, max_length=100, description="What officers call it: 'Row B, visitor bays'")
    polygon: tuple[tuple[float, float], ...] = Field(description="Corners as fractions of frame width, height (0..1)")
    schedules: tuple[ScheduleWindow, ...] | None = Field(
        default=None, description="Risk hours in this zone; unset: the camera's, else the site's"
    )

    @field_validator("polygon")
    @classmethod
    def _is_a_polygon(cls, points: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        return validate_polygon(points)


class CameraConfig(StrictModel):
    id: str = Field(pattern=CAMERA_ID_PATTERN, description="Stable camera id, the Kafka partition key")
    source: str | None = Field(
        default=None, description="rtsp://, http(s)://, a file path or a device index; unset for replay-only cameras"
    )
    zone: str | None = Field(
        default=None, max_length=100, description="The area this camera watches, as officers name it: 'Car park row B'"
    )
    fps: float = Field(default=5.0, gt=0.0, le=60.0, description="Frames per second sampled from the source")
    jpeg_quality: int = Field(default=85, ge=10, le=100, description="JPEG quality of frames on the frames topic")
    max_width: int | None = Field(
        default=1280,
        ge=160,
        le=8192,
        description=(
            "Detect resolution: wider frames are downscaled to this width before encoding (Frigate's 720p default);"
            " evidence snapshots use it too. null keeps the camera's native size"
        ),
    )
    schedules: tuple[ScheduleWindow, ...] | None = Field(
        default=None, description="Hours that add risk points on this camera; unset: the site's risk.schedules"
    )
    zones: tuple[ZoneConfig, ...] = Field(
        default=(), description="Named areas; an alert takes the name (and the hours) of the zone the person stands in"
    )
    motion_mask: Masks = Field(
        default=(),
        description="Polygons (corners as fractions of width, height) where change is not motion: the timestamp "
        "overlay, trees in the wind, a road beyond the fence; for the motion gate and a far-field camera's crops",
    )
    filters: tuple[ObjectFilter, ...] = Field(
        default=(),
        description="Detections dropped before tracking (as Frigate's object masks): where the site's fixtures stand "
        "(a lamp post a low-threshold people model boxes as a person), and score or height limits per class",
    )
    slicing: SlicingConfig | None = Field(
        default=None,
        description="Sliced inference for small people in a wide view (tiles with overlap, merged); costs one model "
        "run per tile (plus the full frame). Unset: the whole frame once",
    )
    queue_frames: int = Field(
        default=16, ge=1, le=10_000, description="Frames buffered before the oldest are dropped (live sources)"
    )
    loitering: dict[str, Any] = Field(default_factory=dict, description="Per-camera overrides of the loitering rule")
    detector: CameraDetectorConfig | None = Field(
        default=None,
        description="This camera's own detector backend, tracker thresholds, zoomed crops and candidate "
        "confirmation (far-field people, docs/people-detection.md); unset: the site's detector section",
    )


class DetectorConfig(StrictModel):
    model: ModelConfig = Field(
        default_factory=OpenVinoModelConfig, description="Detector backend, chosen by `type`: openvino or ultralytics"
    )
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    motion: MotionConfig = Field(default_factory=MotionConfig)
    rate: DetectionRateConfig = Field(default_factory=DetectionRateConfig, description="Adaptive detection rate")
    pose: PoseConfig = Field(default_factory=PoseConfig, description="Wrists of people near vehicles (hands at doors)")
    shed_after_s: float = Field(
        default=2.0,
        ge=0.0,
        le=3600.0,
        description="Load shedding: a live frame older than this (capture time vs this worker's clock) when the "
        "detect stage gets it is dropped and counted, so an overloaded worker serves fresh frames of every camera "
        "instead of falling further behind; 0 never sheds. Replayed frames are never shed",
    )
    reduced_decode: bool = Field(
        default=True,
        description="Decode JPEGs at 1/2 or 1/4 scale when the frame is still at least the model input size "
        "(libjpeg scales while decoding: several times cheaper than decoding full size and resizing)",
    )
    store_evidence_frames: bool = Field(
        default=True, description="Keep frames showing a person and a vehicle in Redis for alert snapshots"
    )

    @field_validator("model", mode="before")
    @classmethod
    def _openvino_unless_typed(cls, value: Any) -> Any:
        """`type` may be left out: the OpenVINO backend is the default."""
        if isinstance(value, dict) and "type" not in value:
            return {**value, "type": "openvino"}
        return value


class RecoveryConfig(StrictModel):
    """Stage state saved to Redis after each record, so a killed worker resumes without losing an alert."""

    enabled: bool = Field(default=True, description="Checkpoint detect and rules state (off: a restart forgets)")
    checkpoint_ttl_s: int = Field(
        default=7 * 24 * 3600, ge=60, le=90 * 24 * 3600, description="How long a silent camera's state is kept"
    )


class ObservabilityConfig(StrictModel):
    host: str = Field(default="0.0.0.0", description="Address of the health and metrics endpoints")
    port: int = Field(
        default=9108, ge=0, le=65535, description="Port of /healthz, /readyz and /metrics for `sentinel run`; 0: off"
    )


class SiteConfig(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SENTINEL_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        nested_model_default_partial_update=True,
    )

    site_id: str = Field(default="default-site", pattern=CAMERA_ID_PATTERN, description="Site (compound) id")
    kafka: KafkaConfig = Field(default_factory=KafkaConfig)
    redis: RedisConfig = Field(default_factory=RedisConfig)
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    continuity: ContinuityConfig = Field(default_factory=ContinuityConfig)
    loitering: LoiterConfig = Field(default_factory=LoiterConfig)
    casing: CasingConfig = Field(default_factory=CasingConfig)
    owners: OwnerConfig = Field(default_factory=OwnerConfig, description="Owner evidence (docs/owners.md)")
    risk: RiskConfig = Field(default_factory=RiskConfig, description="Risk score, severity tiers and zone schedules")
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    recovery: RecoveryConfig = Field(default_factory=RecoveryConfig)
    access: AccessConfig = Field(
        default_factory=AccessConfig, description="Door access: receiver, devices, doors, entry rules, correlation"
    )
    devices: DeviceHealthConfig = Field(
        default_factory=DeviceHealthConfig, description="Camera and terminal health: offline, covered, moved, silent"
    )
    cameras: tuple[CameraConfig, ...] = Field(default=(), description="Cameras of this site")
    accept_unknown_cameras: bool = Field(
        default=False, description="Process frames of cameras not listed here instead of dead-lettering them"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)  # the environment overrides the YAML file

    @field_validator("cameras")
    @classmethod
    def _unique_camera_ids(cls, cameras: tuple[CameraConfig, ...]) -> tuple[CameraConfig, ...]:
        seen: set[str] = set()
        for camera in cameras:
            if camera.id in seen:
                raise ValueError(f"camera id {camera.id!r} is listed twice")
            seen.add(camera.id)
        return cameras

    @model_validator(mode="after")
    def _camera_overrides_valid(self) -> SiteConfig:
        for camera in self.cameras:
            try:
                self.loiter_for(camera.id)
            except ValidationError as exc:
                raise ValueError(f"cameras[{camera.id}].loitering: {_first_error(exc)}") from None
        return self

    @model_validator(mode="after")
    def _doors_lead_to_known_cameras(self) -> SiteConfig:
        if not self.cameras:
            return self  # replay-only configs register cameras as they go
        known = {camera.id for camera in self.cameras}
        for door in self.access.doors:
            unknown = sorted(set(door.leads_to or ()) - known)
            if unknown:
                raise ValueError(f"access.doors[{door.id}].leads_to names unknown camera(s) {unknown}")
        return self

    @model_validator(mode="after")
    def _delivery_claim_outlives_the_session(self) -> SiteConfig:
        claim = self.alerts.delivery_claim_s
        if claim is not None and claim <= self.kafka.session_timeout_s:
            raise ValueError(
                f"alerts.delivery_claim_s ({claim:g}) must be longer than kafka.session_timeout_s "
                f"({self.kafka.session_timeout_s:g}): a claim shorter than the session lets a frozen worker's step be "
                "taken over before the group has even moved its partition"
            )
        return self

    @property
    def delivery_claim_s(self) -> float:
        """How long a delivery claim outlives its holder: `alerts.delivery_claim_s`, or derived from the group's
        timeouts (alerts.config.delivery_claim_ttl_s)."""
        if self.alerts.delivery_claim_s is not None:
            return self.alerts.delivery_claim_s
        return delivery_claim_ttl_s(self.kafka.session_timeout_s, self.kafka.rebalance_timeout_s)

    def camera(self, camera_id: str) -> CameraConfig | None:
        return next((c for c in self.cameras if c.id == camera_id), None)

    def loiter_for(self, camera_id: str) -> LoiterConfig:
        camera = self.camera(camera_id)
        if camera is None or not camera.loitering:
            return self.loitering
        return LoiterConfig.model_validate({**self.loitering.model_dump(), **camera.loitering})

    def with_camera(self, camera: CameraConfig) -> SiteConfig:
        """A copy with this camera added or replaced (replay registers its camera this way)."""
        others = tuple(c for c in self.cameras if c.id != camera.id)
        return self.model_copy(update={"cameras": (*others, camera)})


class ConfigError(ValueError):
    """The config file is missing, unreadable or invalid; the message names the file and the bad key."""


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def load_config(path: Path | None = None) -> SiteConfig:
    """Read and validate the site config; with no path, defaults plus the environment."""
    if path is None:
        return config_from_text("", "defaults")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {getattr(exc, 'strerror', None) or exc}") from exc
    return config_from_text(text, str(path))


def config_from_text(text: str, source: str) -> SiteConfig:
    """Validate YAML text; every problem is one ConfigError whose message starts with `source`."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of settings")
    if not all(isinstance(key, str) for key in data):
        raise ConfigError(f"{source}: setting names must be strings, got {sorted(map(repr, data))}")
    if os.environ.get("REDIS_URL") and not os.environ.get("SENTINEL_REDIS__URL"):
        data.setdefault("redis", {})
        if isinstance(data["redis"], dict):
            data["redis"] = {**data["redis"], "url": os.environ["REDIS_URL"]}
    try:
        return SiteConfig(**data)
    except ValidationError as exc:
        lines = [f"{source}: invalid configuration ({exc.error_count()} problem(s)):"]
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"  {where}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from None

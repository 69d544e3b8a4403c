"""Door-access settings: the receiver, the registered devices and doors, vendor code tables, rules, correlation."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator, model_validator

from detectors.access.entry_config import CorrelationConfig, EntryRulesConfig
from detectors.access.types import AccessResult
from detectors.base import StrictModel

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
CODE_PATTERN = re.compile(r"^\d{1,5}/\d{1,6}$")


class DoorConfig(StrictModel):
    id: str = Field(pattern=ID_PATTERN, description="Stable door id, e.g. gate-2")
    name: str = Field(default="", max_length=128, description="What officers read, e.g. 'Gate 2 (north)'")
    leads_to: tuple[str, ...] | None = Field(
        default=None,
        description="Camera ids of the car-park areas this door leads to; null: every camera of the site",
    )

    @property
    def label(self) -> str:
        return self.name or self.id


class DeviceConfig(StrictModel):
    """An access controller or face terminal allowed to post events, and how to recognise it."""

    id: str = Field(pattern=ID_PATTERN, description="Stable device id")
    ip_address: str | None = Field(default=None, description="Matches Hikvision `ipAddress`")
    mac_address: str | None = Field(default=None, description="Matches Hikvision `macAddress` (any case)")
    device_name: str | None = Field(default=None, description="Matches Hikvision `deviceName`")
    doors: dict[str, str] = Field(
        min_length=1,
        description="Door number (Hikvision doorNo) or ONVIF access-point token -> door id",
    )
    clock_offset_s: float = Field(
        default=0.0,
        ge=-86400.0,
        le=86400.0,
        description="How far this device's clock runs ahead of true time; subtracted from its event times",
    )
    token: SecretStr | None = Field(
        default=None,
        description="Per-device credential: when set, this device must present it instead of the site token",
    )


class ReceiverConfig(StrictModel):
    host: str = Field(default="0.0.0.0", description="Address the access-event receiver listens on")
    port: int = Field(default=8088, ge=0, le=65535, description="Port of the receiver for `sentinel run`; 0: off")
    token: SecretStr | None = Field(
        default=None,
        description="Shared secret devices present (Authorization: Bearer, or ?token= for terminals that cannot "
        "set headers); set it with SENTINEL_ACCESS__RECEIVER__TOKEN. Unset: the receiver refuses to start",
    )
    admin_token: SecretStr | None = Field(
        default=None,
        description="Bearer token of the watch-list API (/api/watchlist); unset: the API is off. Never a device's",
    )
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    max_picture_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=32 * 1024 * 1024)


class AccessConfig(StrictModel):
    receiver: ReceiverConfig = Field(default_factory=ReceiverConfig)
    pseudonym_key: SecretStr | None = Field(
        default=None,
        description="Key of the person-ref hashes (HMAC-SHA256). Set it once per site and keep it: the watch list "
        "is stored under these hashes. Unset: a key derived from the site id (fine for tests, weak in production)",
    )
    doors: tuple[DoorConfig, ...] = Field(default=(), description="Doors and gates of the site")
    devices: tuple[DeviceConfig, ...] = Field(default=(), description="Controllers allowed to post events")
    accept_unknown_devices: bool = Field(
        default=False, description="Accept events from unregistered devices (door id = device id); off: 403"
    )
    hikvision_codes: dict[str, AccessResult] = Field(
        default_factory=dict,
        description="'major/minor' -> result, overriding or extending the built-in Hikvision table",
    )
    picture_ttl_s: int = Field(default=7 * 24 * 3600, ge=60, le=365 * 24 * 3600)
    dedupe_ttl_s: int = Field(
        default=7 * 24 * 3600, ge=60, le=365 * 24 * 3600, description="How long a device event id is remembered"
    )
    rules: EntryRulesConfig = Field(default_factory=EntryRulesConfig)
    correlation: CorrelationConfig = Field(default_factory=CorrelationConfig)

    @field_validator("hikvision_codes")
    @classmethod
    def _codes_are_major_minor(cls, codes: dict[str, AccessResult]) -> dict[str, AccessResult]:
        bad = [code for code in codes if not CODE_PATTERN.match(code)]
        if bad:
            raise ValueError(f"codes must be 'major/minor' numbers, e.g. '5/75'; got {bad}")
        return codes

    @model_validator(mode="after")
    def _devices_name_declared_doors(self) -> AccessConfig:
        declared = {door.id for door in self.doors}
        for device in self.devices:
            unknown = sorted(set(device.doors.values()) - declared)
            if unknown:
                raise ValueError(f"device {device.id!r} maps to undeclared door(s) {unknown}")
        return self

    @model_validator(mode="after")
    def _unique_ids(self) -> AccessConfig:
        for what, ids in (("door", [d.id for d in self.doors]), ("device", [d.id for d in self.devices])):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                raise ValueError(f"{what} id(s) listed twice: {repeated}")
        return self

    def door(self, door_id: str) -> DoorConfig | None:
        return next((d for d in self.doors if d.id == door_id), None)

    def doors_leading_to(self, camera_id: str) -> tuple[str, ...]:
        """Doors whose entries may be linked to activity on this camera (declared topology)."""
        return tuple(d.id for d in self.doors if d.leads_to is None or camera_id in d.leads_to)

    def cameras_behind(self, door_id: str, site_cameras: tuple[str, ...]) -> tuple[str, ...]:
        door = self.door(door_id)
        if door is None or door.leads_to is None:
            return site_cameras
        return door.leads_to

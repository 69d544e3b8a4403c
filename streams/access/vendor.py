"""From a vendor's decoded event to the normalised `AccessEvent`: device and door, clock offset, pseudonyms, ids.

Vendor parsers (Hikvision, generic JSON, ONVIF-style) produce a `VendorEvent`; `AccessNormaliser` does the rest,
so every format gets the same device checks, the same keyed hashes and the same idempotent event ids.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from detectors.access.types import AccessEvent, AccessResult, PersonRefs
from streams.access.config import AccessConfig, DeviceConfig

logger = logging.getLogger(__name__)


class AccessFormatError(ValueError):
    """An access event that cannot be decoded; the message is the reason given back to the device."""


class PayloadTooLarge(AccessFormatError):
    """A picture (or body part) over the configured size limit."""


class UnknownDevice(AccessFormatError):
    """The event names a device (or door) this site has not registered."""


@dataclass(frozen=True)
class PersonIds:
    """Identifiers as the device sent them; they never leave the normaliser in the clear."""

    employee: str | None = None
    card: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class VendorEvent:
    vendor: str
    vendor_event: str
    device_ts: float
    device_hints: dict[str, str | None]  # device_id, ip_address, mac_address, device_name: whatever the format has
    door_ref: str  # door number or access-point token, resolved through the device's door map
    result: AccessResult
    serial: str | None = None
    verify_mode: str | None = None
    user_type: str | None = None
    person: PersonIds = field(default_factory=PersonIds)
    picture: bytes | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def describe_validation(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['msg']}" for e in exc.errors()[:3]]
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def pseudonymise(key: bytes, kind: str, value: str) -> str:
    """Keyed hash of a normalised identifier: the same person gives the same ref, and the ref reveals nothing."""
    normal = unicodedata.normalize("NFKC", value).strip().casefold()
    return hmac.new(key, f"{kind}:{normal}".encode(), hashlib.sha256).hexdigest()[:32]


def pseudonym_key(config: AccessConfig, site_id: str) -> bytes:
    if config.pseudonym_key is not None:
        return config.pseudonym_key.get_secret_value().encode()
    return hashlib.sha256(f"sentinel-dev-pseudonyms|{site_id}".encode()).digest()


class AccessNormaliser:
    """Turns vendor events into access records for one site; raises UnknownDevice for unregistered devices."""

    def __init__(self, config: AccessConfig, site_id: str) -> None:
        self.config = config
        self.site_id = site_id
        self._key = pseudonym_key(config, site_id)

    def device_for(self, hints: dict[str, str | None]) -> DeviceConfig | None:
        wanted_id = hints.get("device_id")
        mac = (hints.get("mac_address") or "").lower()
        for device in self.config.devices:
            if wanted_id and device.id == wanted_id:
                return device
            if device.mac_address and mac and device.mac_address.lower() == mac:
                return device
            if device.ip_address and device.ip_address == hints.get("ip_address"):
                return device
            if device.device_name and device.device_name == hints.get("device_name"):
                return device
        return None

    def refs(self, person: PersonIds) -> PersonRefs:
        def ref(kind: str, value: str | None) -> str | None:
            return pseudonymise(self._key, kind, value) if value and value.strip() else None

        return PersonRefs(
            employee=ref("employee", person.employee), card=ref("card", person.card), name=ref("name", person.name)
        )

    def normalise(
        self,
        event: VendorEvent,
        stream_id: str = "live",
        received_at: float | None = None,
        picture_key: str | None = None,
    ) -> AccessEvent:
        device = self.device_for(event.device_hints)
        if device is None and not self.config.accept_unknown_devices:
            shown = {k: v for k, v in event.device_hints.items() if v}
            raise UnknownDevice(f"device not registered for site {self.site_id}: {shown or 'no device identity'}")
        device_id = device.id if device is not None else _unknown_device_id(event.device_hints)
        door_id = device.doors.get(event.door_ref) if device is not None else f"{device_id}.{event.door_ref}"
        if door_id is None:
            raise UnknownDevice(f"device {device_id} has no door {event.door_ref!r} in its door map")
        door = self.config.door(door_id)
        offset = device.clock_offset_s if device is not None else 0.0
        refs = self.refs(event.person)
        return AccessEvent(
            event_id=self.event_id(device_id, event, refs),
            stream_id=stream_id,
            site_id=self.site_id,
            door_id=door_id,
            door_name=door.label if door is not None else door_id,
            device_id=device_id,
            ts=event.device_ts - offset,
            device_ts=event.device_ts,
            received_at=received_at,
            result=event.result,
            verify_mode=event.verify_mode,
            user_type=event.user_type,
            person=refs,
            vendor=event.vendor,
            vendor_event=event.vendor_event,
            picture_key=picture_key,
            raw=event.raw,
        )

    def event_id(self, device_id: str, event: VendorEvent, refs: PersonRefs) -> str:
        """The device's serial number identifies an event; without one, its time, code, door and person do."""
        basis: tuple[object, ...]
        if event.serial:
            basis = (self.site_id, device_id, "serial", event.serial)
        else:
            basis = (self.site_id, device_id, f"{event.device_ts:.3f}", event.vendor_event, event.door_ref, *refs.all())
        return hashlib.sha256("|".join(str(p) for p in basis).encode()).hexdigest()[:24]


def _unknown_device_id(hints: dict[str, str | None]) -> str:
    for key in ("device_id", "mac_address", "ip_address", "device_name"):
        value = hints.get(key)
        if value:
            return "unregistered-" + "".join(c if c.isalnum() or c in "._-" else "-" for c in value)[:100]
    return "unregistered"

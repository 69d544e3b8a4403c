"""The documented generic door-event JSON (any vendor) and ONVIF-style access events -> `VendorEvent`.

Generic:  {"format": "generic", "device_id", "door", "time", "result", "serial"?, "verify_mode"?, "user_type"?,
           "person"?: {"employee_no"?, "card_no"?, "name"?}, "picture_b64"?}
ONVIF:    {"format": "onvif", "device_id", "access_point", "time", "topic": "tns1:AccessControl/AccessGranted/...",
           "serial"?, "credential_token"?, "credential_holder"?}
A door log (JSONL) may mix these with Hikvision AccessControllerEvent objects; `parse_access_object` tells them apart.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from detectors.access.types import AccessResult
from streams.access.hikvision import parse_hikvision_object
from streams.access.vendor import AccessFormatError, PayloadTooLarge, PersonIds, VendorEvent, describe_validation

_ONVIF_RESULTS = {
    "AccessGranted": AccessResult.GRANTED,
    "AccessDenied": AccessResult.DENIED,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Person(_Strict):
    employee_no: str | None = Field(default=None, max_length=64)
    card_no: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=128)


class _TimeMixin(_Strict):
    time: datetime = Field(description="ISO 8601 with a UTC offset, or epoch seconds")

    @field_validator("time")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time needs a UTC offset (or epoch seconds)")
        return value


class GenericAccessEvent(_TimeMixin):
    format: Literal["generic"]
    device_id: str = Field(min_length=1, max_length=128)
    door: str = Field(default="1", min_length=1, max_length=128, description="Door number or id on the device")
    result: AccessResult
    serial: str | None = Field(default=None, max_length=128)
    verify_mode: str | None = Field(default=None, max_length=64)
    user_type: str | None = Field(default=None, max_length=32)
    person: _Person = Field(default_factory=_Person)
    picture_b64: str | None = None


class OnvifAccessEvent(_TimeMixin):
    format: Literal["onvif"]
    device_id: str = Field(min_length=1, max_length=128)
    access_point: str = Field(min_length=1, max_length=128, description="AccessPointToken")
    topic: str = Field(pattern=r"^(tns1:)?AccessControl/", max_length=256)
    serial: str | None = Field(default=None, max_length=128)
    credential_token: str | None = Field(default=None, max_length=128)
    credential_holder: str | None = Field(default=None, max_length=128)


def parse_access_object(
    payload: Any, codes: dict[str, AccessResult], max_picture_bytes: int, picture: bytes | None = None
) -> VendorEvent:
    """One door-log object of any supported format."""
    if not isinstance(payload, dict):
        raise AccessFormatError("an access event must be a JSON object")
    if "AccessControllerEvent" in payload:
        return parse_hikvision_object(payload, picture, codes)
    kind = payload.get("format")
    try:
        if kind == "generic":
            return _generic(GenericAccessEvent.model_validate(payload), max_picture_bytes)
        if kind == "onvif":
            return _onvif(OnvifAccessEvent.model_validate(payload))
    except ValidationError as exc:
        raise AccessFormatError(f"invalid {kind} access event: {describe_validation(exc)}") from None
    raise AccessFormatError("unknown access event format: expected 'format': generic|onvif or a Hikvision event")


def _generic(event: GenericAccessEvent, max_picture_bytes: int) -> VendorEvent:
    picture = None
    if event.picture_b64:
        if len(event.picture_b64) * 3 // 4 > max_picture_bytes:
            raise PayloadTooLarge(f"picture is over the limit of {max_picture_bytes} bytes")
        try:
            picture = base64.b64decode(event.picture_b64, validate=True)
        except (binascii.Error, ValueError):
            raise AccessFormatError("picture_b64 is not valid base64") from None
    raw = event.model_dump(mode="json", exclude={"person", "picture_b64"})
    return VendorEvent(
        vendor="generic",
        vendor_event=event.result.value,
        device_ts=event.time.timestamp(),
        device_hints={"device_id": event.device_id},
        door_ref=event.door,
        result=event.result,
        serial=event.serial,
        verify_mode=event.verify_mode,
        user_type=event.user_type,
        person=PersonIds(employee=event.person.employee_no, card=event.person.card_no, name=event.person.name),
        picture=picture,
        raw=raw,
    )


def _onvif(event: OnvifAccessEvent) -> VendorEvent:
    parts = event.topic.removeprefix("tns1:").split("/")
    action = parts[1] if len(parts) > 1 else ""
    detail = parts[2] if len(parts) > 2 else ""
    result = _ONVIF_RESULTS.get(action, AccessResult.OTHER)
    if action == "AccessTaken" and detail == "Anonymous":
        result = AccessResult.GRANTED  # someone passed with no credential: an entry no grant event reported
    raw = event.model_dump(mode="json", exclude={"credential_token", "credential_holder"})
    return VendorEvent(
        vendor="onvif",
        vendor_event=f"{action}/{detail}".strip("/"),
        device_ts=event.time.timestamp(),
        device_hints={"device_id": event.device_id},
        door_ref=event.access_point,
        result=result,
        serial=event.serial,
        verify_mode="credential" if event.credential_token else ("anonymous" if detail == "Anonymous" else None),
        person=PersonIds(card=event.credential_token, name=event.credential_holder),
        raw=raw,
    )

"""Hikvision ISAPI `AccessControllerEvent` bodies (JSON or XML, bare or in multipart with a `Picture` part).

`decode_notification` turns any accepted body into the alert's dict (the JSON form, the XML
`EventNotificationAlert`, or the JSON wrapped in an `EventNotificationAlert` object); `parse_hikvision_object`
turns an access event's dict into a `VendorEvent`. Heartbeats and other event types are sorted in `notices`.

Result codes: major type 5 ("event") with the minor types of Hikvision's HCNetSDK headers (MINOR_LEGAL_CARD_PASS
0x01, MINOR_FACE_VERIFY_PASS 0x4b, MINOR_FACE_VERIFY_FAIL 0x4c, MINOR_FACE_RECOGNIZE_FAIL 0x50, ...). Firmware
differs, so `access.hikvision_codes` overrides or extends this table per site.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import logging
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from detectors.access.types import AccessResult
from streams.access.isapi_xml import ROOT, xml_notification
from streams.access.vendor import AccessFormatError, PayloadTooLarge, PersonIds, VendorEvent, describe_validation

logger = logging.getLogger(__name__)

MAJOR_EVENT = 5
_GRANTED = (0x01, 0x02, 0x26, 0x4B, 0x4D, 0x9C, 0x400)  # card, card+PIN, fingerprint, face, employee+face, QR, remote
_DENIED = (0x03, 0x06, 0x07, 0x08, 0x09, 0x27, 0x31, 0x96, 0x97, 0x9D)  # no right, expired, invalid card, bad PIN...
_MISMATCH = (0x4C, 0x4E)  # face verify fail, employee+face fail
_STRANGER = (0x50,)  # face recognise fail: not in the terminal's library
DEFAULT_CODES: dict[str, AccessResult] = {
    **{f"{MAJOR_EVENT}/{minor}": AccessResult.GRANTED for minor in _GRANTED},
    **{f"{MAJOR_EVENT}/{minor}": AccessResult.DENIED for minor in _DENIED},
    **{f"{MAJOR_EVENT}/{minor}": AccessResult.FACE_MISMATCH for minor in _MISMATCH},
    **{f"{MAJOR_EVENT}/{minor}": AccessResult.STRANGER for minor in _STRANGER},
}
_CLEAR_FIELDS = ("cardNo", "employeeNoString", "employeeNo", "name")
_PICTURE_PARTS = ("picture", "faceimage", "pictureimage")


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    majorEventType: int  # noqa: N815 - the vendor's field names
    subEventType: int  # noqa: N815
    deviceName: str | None = Field(default=None, max_length=256)  # noqa: N815
    cardNo: str | None = Field(default=None, max_length=64)  # noqa: N815
    employeeNoString: str | None = Field(default=None, max_length=64)  # noqa: N815
    name: str | None = Field(default=None, max_length=128)
    doorNo: int | None = Field(default=None, ge=0, le=1024)  # noqa: N815
    cardReaderNo: int | None = None  # noqa: N815
    currentVerifyMode: str | None = Field(default=None, max_length=64)  # noqa: N815
    serialNo: int | str | None = None  # noqa: N815
    userType: str | None = Field(default=None, max_length=32)  # noqa: N815
    pictureURL: str | None = Field(default=None, max_length=2048)  # noqa: N815


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="allow")

    dateTime: datetime  # noqa: N815
    eventType: str = "AccessControllerEvent"  # noqa: N815
    ipAddress: str | None = Field(default=None, max_length=64)  # noqa: N815
    macAddress: str | None = Field(default=None, max_length=64)  # noqa: N815
    AccessControllerEvent: _Body  # noqa: N815


def parse_hikvision(
    body: bytes, content_type: str, codes: dict[str, AccessResult], max_picture_bytes: int
) -> VendorEvent:
    """Decode one posted access event; every problem is an AccessFormatError whose message is the reason."""
    payload, picture = decode_notification(body, content_type, max_picture_bytes)
    return parse_hikvision_object(payload, picture, codes)


def decode_notification(body: bytes, content_type: str, max_picture_bytes: int) -> tuple[dict[str, Any], bytes | None]:
    """(the notification's fields, the attached picture) from a JSON, XML or multipart body."""
    mime = content_type.split(";", 1)[0].strip().lower()
    picture: bytes | None = None
    start = body.lstrip()[:1]
    if mime.startswith("multipart/"):
        payload, picture = _multipart(body, content_type, max_picture_bytes)
    elif "xml" in mime or (mime in ("", "text/plain") and start == b"<"):
        payload = xml_notification(body)
    elif mime in ("application/json", "text/json", "") or start == b"{":
        payload = _json(body)
    else:
        raise AccessFormatError(f"unsupported content type {mime!r}: expected JSON, XML or multipart")
    return _unwrapped(payload), picture


def _unwrapped(payload: dict[str, Any]) -> dict[str, Any]:
    """Gateways and some firmware forward the JSON alert inside an `EventNotificationAlert` object."""
    inner = payload.get(ROOT)
    if isinstance(inner, dict) and len(payload) == 1:
        return inner
    return payload


def _json(data: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AccessFormatError(f"body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise AccessFormatError("body must be a JSON object")
    return payload


def _multipart(body: bytes, content_type: str, max_picture_bytes: int) -> tuple[dict[str, Any], bytes | None]:
    if "boundary=" not in content_type:
        raise AccessFormatError("multipart body without a boundary parameter")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise AccessFormatError("multipart body has no parts")
    payload: dict[str, Any] | None = None
    picture: bytes | None = None
    for part in message.iter_parts():
        name = (part.get_param("name", header="content-disposition") or "").__str__().lower()
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        kind = part.get_content_type()
        if kind in ("application/xml", "text/xml") or name == ROOT.lower():
            payload = xml_notification(data)
        elif kind == "application/json" or name in ("accesscontrollerevent", "event_log"):
            payload = _json(data)
        elif name in _PICTURE_PARTS or part.get_content_maintype() == "image":
            if len(data) > max_picture_bytes:
                raise PayloadTooLarge(f"picture of {len(data)} bytes is over the limit of {max_picture_bytes}")
            picture = data
    if payload is None:
        raise AccessFormatError("multipart body has no AccessControllerEvent JSON or XML part")
    return payload, picture


def parse_hikvision_object(
    payload: dict[str, Any], picture: bytes | None, codes: dict[str, AccessResult]
) -> VendorEvent:
    """An already-decoded AccessControllerEvent object (from a POST or a line of a door log)."""
    try:
        envelope = _Envelope.model_validate(payload)
    except ValidationError as exc:
        raise AccessFormatError(f"not an AccessControllerEvent: {describe_validation(exc)}") from None
    if envelope.eventType != "AccessControllerEvent":
        raise AccessFormatError(f"eventType {envelope.eventType!r} is not AccessControllerEvent")
    if envelope.dateTime.tzinfo is None:
        raise AccessFormatError("dateTime has no UTC offset; set the terminal's time zone")
    body = envelope.AccessControllerEvent
    code = f"{body.majorEventType}/{body.subEventType}"
    result = codes.get(code) or DEFAULT_CODES.get(code, AccessResult.OTHER)
    return VendorEvent(
        vendor="hikvision",
        vendor_event=code,
        device_ts=envelope.dateTime.timestamp(),
        device_hints={
            "ip_address": envelope.ipAddress,
            "mac_address": envelope.macAddress,
            "device_name": body.deviceName,
        },
        door_ref=str(body.doorNo if body.doorNo is not None else 1),
        serial=str(body.serialNo) if body.serialNo is not None else None,
        result=result,
        verify_mode=body.currentVerifyMode,
        user_type=body.userType,
        person=PersonIds(employee=body.employeeNoString, card=body.cardNo, name=body.name),
        picture=picture,
        raw=_without_clear_ids(payload),
    )


def _without_clear_ids(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload for the audit trail: identifiers are replaced by the refs on the record itself."""
    inner = dict(payload.get("AccessControllerEvent") or {})
    for key in _CLEAR_FIELDS:
        if inner.get(key):
            inner[key] = "(see person refs)"
    return {**payload, "AccessControllerEvent": inner}

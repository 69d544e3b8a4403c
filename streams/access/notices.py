"""Sort an ISAPI notification by its `eventType`: access events, heartbeats, and types this service does not use.

Terminals post every event type they have to the same HTTP host. A heartbeat proves the device is alive (it is
recorded as liveness, never published as a door event); other types (video loss, tamper, door status...) are
answered 200 and counted, because a 4xx makes a terminal retry or mark the host as failing. A body without an
`eventType` is read as an access event, as before, so a malformed one still gets its reason.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from detectors.access.types import AccessResult
from streams.access.hikvision import decode_notification, parse_hikvision_object
from streams.access.vendor import VendorEvent

logger = logging.getLogger(__name__)

ACCESS_TYPE = "AccessControllerEvent"
HEARTBEAT_TYPES = frozenset({"heartbeat"})  # compared case-folded: firmware writes heartBeat or heartbeat
_TYPE_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,48}")  # event types become metric labels: keep them names, not text


class NoticeKind(StrEnum):
    HEARTBEAT = "heartbeat"
    UNHANDLED = "unhandled"


@dataclass(frozen=True)
class DeviceNotice:
    """A notification that is not a door event: who sent it, when, and of which type."""

    kind: NoticeKind
    event_type: str
    device_hints: dict[str, str | None]
    device_ts: float | None = None


def parse_isapi(
    body: bytes, content_type: str, codes: dict[str, AccessResult], max_picture_bytes: int
) -> VendorEvent | DeviceNotice:
    """An access event as a `VendorEvent`, anything else as a `DeviceNotice`; bad bodies raise AccessFormatError."""
    payload, picture = decode_notification(body, content_type, max_picture_bytes)
    event_type = payload.get("eventType")
    if not isinstance(event_type, str) or not event_type.strip() or event_type == ACCESS_TYPE:
        return parse_hikvision_object(payload, picture, codes)
    kind = NoticeKind.HEARTBEAT if event_type.casefold() in HEARTBEAT_TYPES else NoticeKind.UNHANDLED
    name = event_type if _TYPE_NAME.fullmatch(event_type) else "(unnamed)"
    return DeviceNotice(kind=kind, event_type=name, device_hints=_hints(payload), device_ts=_time(payload))


def _hints(payload: dict[str, Any]) -> dict[str, str | None]:
    def text(key: str) -> str | None:
        value = payload.get(key)
        return str(value)[:256] if isinstance(value, str | int) else None

    return {"ip_address": text("ipAddress"), "mac_address": text("macAddress"), "device_name": text("deviceName")}


def _time(payload: dict[str, Any]) -> float | None:
    """The device's clock if it sent a readable, zoned time; liveness itself uses the time of receipt."""
    value = payload.get("dateTime")
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when.timestamp() if when.tzinfo is not None else None

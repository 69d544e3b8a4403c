"""Builders for door-access events and vendor payloads, so tests state a situation instead of copying literals."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from detectors.access.types import AccessEvent, AccessResult, PersonRefs

SHANGHAI = timezone(timedelta(hours=8))
NIGHT_1AM = datetime(2026, 11, 24, 1, 0, tzinfo=SHANGHAI).timestamp()  # 01:00 local, the real case's hour
AFTERNOON = datetime(2026, 11, 24, 15, 0, tzinfo=SHANGHAI).timestamp()


def access_event(
    ts: float = NIGHT_1AM,
    result: AccessResult = AccessResult.GRANTED,
    door: str = "gate-2",
    employee: str | None = "ref-resident-1",
    user_type: str | None = "normal",
    stream_id: str = "live",
    serial: str | int | None = None,
) -> AccessEvent:
    """A normalised event; the id derives from door, time and serial so distinct events never collide."""
    basis = f"{door}|{ts}|{result}|{employee}|{serial}|{stream_id}"
    return AccessEvent(
        event_id=hashlib.sha256(basis.encode()).hexdigest()[:24],
        stream_id=stream_id,
        site_id="test-site",
        door_id=door,
        door_name=door.replace("-", " ").title(),
        device_id=f"{door}-terminal",
        ts=ts,
        device_ts=ts,
        result=result,
        user_type=user_type,
        person=PersonRefs(employee=employee),
        vendor="test",
    )


@dataclass
class HikvisionEventBuilder:
    """An ISAPI AccessControllerEvent as a face terminal posts it (field names as the vendor spells them)."""

    ip: str = "192.168.10.21"
    mac: str = "44:19:b6:00:2a:10"
    when: str = "2026-11-24T00:58:44+08:00"
    minor: int = 75
    major: int = 5
    serial: int | None = 8811
    employee: str | None = "E-7731"
    name: str | None = "Suspect A"
    card: str | None = None
    door: int = 1
    user_type: str = "normal"
    extra: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "deviceName": "Gate2-North",
            "majorEventType": self.major,
            "subEventType": self.minor,
            "doorNo": self.door,
            "cardReaderNo": 1,
            "currentVerifyMode": "cardOrFace",
            "userType": self.user_type,
            "attendanceStatus": "undefined",
            "mask": "no",
        }
        for key, value in (
            ("serialNo", self.serial),
            ("employeeNoString", self.employee),
            ("name", self.name),
            ("cardNo", self.card),
        ):
            if value is not None:
                body[key] = value
        return {
            "ipAddress": self.ip,
            "portNo": 80,
            "protocol": "HTTP",
            "macAddress": self.mac,
            "channelID": 1,
            "dateTime": self.when,
            "activePostCount": 1,
            "eventType": "AccessControllerEvent",
            "eventState": "active",
            "eventDescription": "Access Controller Event",
            "AccessControllerEvent": {**body, **self.extra},
        }

    def json_body(self) -> bytes:
        return json.dumps(self.payload()).encode()

    def multipart(self, picture: bytes, boundary: str = "MIME_boundary") -> tuple[bytes, str]:
        """(body, content type) of the multipart form terminals send when they attach the face picture."""
        parts = [
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="AccessControllerEvent"\r\n'
            "Content-Type: application/json\r\n\r\n".encode()
            + self.json_body()
            + b"\r\n",
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="Picture"; filename="Picture.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n".encode()
            + picture
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        return b"".join(parts), f"multipart/form-data; boundary={boundary}"

"""ISAPI notifications in every shape terminals send: XML (namespaced or not, bare or with a picture), the JSON
wrapped in `EventNotificationAlert`, heartbeats and event types the service does not use; hostile XML refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detectors.access.types import AccessResult
from streams.access.hikvision import parse_hikvision
from streams.access.notices import DeviceNotice, NoticeKind, parse_isapi
from streams.access.vendor import AccessFormatError, VendorEvent
from tests.access_builders import HikvisionEventBuilder

DATA = Path(__file__).resolve().parents[1] / "data" / "isapi"
XML, JSON = "application/xml", "application/json"


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def xml_multipart(xml: bytes, picture: bytes, boundary: str = "MIME_boundary") -> tuple[bytes, str]:
    """The XML alert and its face picture as one multipart form, the way terminals attach pictures."""
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="EventNotificationAlert"\r\n'
        "Content-Type: application/xml\r\n\r\n".encode()
        + xml
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="Picture"; filename="Picture.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + picture
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_xml_access_event_reads_like_the_json_one() -> None:
    from_xml = parse_hikvision(fixture("access_event.xml"), XML, {}, 1 << 20)
    resident = HikvisionEventBuilder(serial=7001, employee="R-2", name="Resident B")
    from_json = parse_hikvision(resident.json_body(), JSON, {}, 1 << 20)
    assert (from_xml.result, from_xml.vendor_event, from_xml.serial) == (AccessResult.GRANTED, "5/75", "7001")
    assert (from_xml.device_ts, from_xml.door_ref, from_xml.person) == (
        from_json.device_ts,
        from_json.door_ref,
        from_json.person,
    )
    assert from_xml.device_hints == from_json.device_hints
    assert "R-2" not in json.dumps(from_xml.raw)


def test_xml_with_picture_part() -> None:
    body, content_type = xml_multipart(fixture("access_event.xml"), b"\xff\xd8face\xff\xd9")
    event = parse_hikvision(body, content_type, {}, 1 << 20)
    assert event.picture == b"\xff\xd8face\xff\xd9" and event.serial == "7001"


def test_namespace_does_not_matter() -> None:
    text = fixture("access_event.xml").decode()
    for namespace in ("http://www.hikvision.com/ver10/XMLSchema", ""):
        variant = text.replace("http://www.isapi.org/ver20/XMLSchema", namespace).encode()
        assert parse_hikvision(variant, "text/xml", {}, 1 << 20).serial == "7001"


def test_wrapped_json_access_event() -> None:
    event = parse_hikvision(fixture("wrapped_access_event.json"), JSON, {}, 1 << 20)
    assert (event.result, event.serial, event.person.card) == (AccessResult.GRANTED, "7003", "0099123")


@pytest.mark.parametrize(("name", "content_type"), [("heartbeat.xml", XML), ("heartbeat.json", JSON)])
def test_heartbeat_is_a_notice_not_an_event(name: str, content_type: str) -> None:
    notice = parse_isapi(fixture(name), content_type, {}, 1 << 20)
    assert isinstance(notice, DeviceNotice) and notice.kind is NoticeKind.HEARTBEAT
    assert notice.device_hints["ip_address"] == "192.168.10.21" and notice.device_ts is not None


def test_unused_event_type_is_unhandled() -> None:
    notice = parse_isapi(fixture("videoloss.xml"), XML, {}, 1 << 20)
    assert isinstance(notice, DeviceNotice)
    assert (notice.kind, notice.event_type) == (NoticeKind.UNHANDLED, "videoloss")


def test_event_type_names_only() -> None:
    """An event type is a metric label: free text from a device becomes one label, not one per message."""
    body = b'{"eventType": "x y <z> ' + b"q" * 300 + b'", "ipAddress": "192.168.10.21"}'
    notice = parse_isapi(body, JSON, {}, 1 << 20)
    assert isinstance(notice, DeviceNotice) and notice.event_type == "(unnamed)"


def test_access_event_through_the_sorter() -> None:
    assert isinstance(parse_isapi(fixture("access_event.xml"), XML, {}, 1 << 20), VendorEvent)


@pytest.mark.parametrize(
    "body",
    [
        "entity_expansion.xml",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<EventNotificationAlert><eventType>&e;</eventType></EventNotificationAlert>",
    ],
)
def test_entities_are_refused_not_expanded(body: str | bytes) -> None:
    data = fixture(body) if isinstance(body, str) else body
    with pytest.raises(AccessFormatError, match="XML refused"):
        parse_isapi(data, XML, {}, 1 << 20)


@pytest.mark.parametrize(("encoding", "reason"), [("TTF-8", "unknown encoding"), ("utf-32", "multi-byte")])
def test_an_unreadable_xml_encoding_is_a_format_error(encoding: str, reason: str) -> None:
    """Found by the fuzz test: a declaration naming an encoding the parser lacks raised LookupError / ValueError."""
    body = fixture("heartbeat.xml").replace(b'encoding="UTF-8"', f'encoding="{encoding}"'.encode())
    assert encoding.encode() in body
    with pytest.raises(AccessFormatError, match=reason):
        parse_isapi(body, XML, {}, 1 << 20)

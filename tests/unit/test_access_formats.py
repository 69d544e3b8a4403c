"""Vendor formats -> normalised access records: Hikvision JSON and multipart, generic and ONVIF-style JSON."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from detectors.access.types import AccessResult
from streams.access.config import AccessConfig
from streams.access.generic import parse_access_object
from streams.access.hikvision import parse_hikvision
from streams.access.vendor import AccessFormatError, AccessNormaliser, PayloadTooLarge, UnknownDevice
from tests.access_builders import HikvisionEventBuilder

CONFIG = AccessConfig.model_validate(
    {
        "pseudonym_key": "test-key",
        "doors": [{"id": "gate-2", "name": "Gate 2"}, {"id": "lobby", "leads_to": []}],
        "devices": [
            {"id": "gate2-term", "mac_address": "44:19:B6:00:2A:10", "doors": {"1": "gate-2"}, "clock_offset_s": 42},
            {"id": "by-ip", "ip_address": "10.0.0.9", "doors": {"1": "lobby"}},
            {"id": "lobby-panel", "doors": {"1": "lobby", "AP-7": "lobby"}},
        ],
        "hikvision_codes": {"5/200": "denied"},
    }
)
JSON = "application/json"


def hikvision(builder: HikvisionEventBuilder, codes: dict[str, AccessResult] | None = None) -> AccessResult:
    return parse_hikvision(builder.json_body(), JSON, codes or {}, 1 << 20).result


@pytest.mark.parametrize(
    ("minor", "expected"),
    [
        (0x01, AccessResult.GRANTED),  # legal card pass
        (0x4B, AccessResult.GRANTED),  # face verify pass (75)
        (0x09, AccessResult.DENIED),  # invalid card
        (0x06, AccessResult.DENIED),  # card without the right
        (0x4C, AccessResult.FACE_MISMATCH),  # face verify fail (76)
        (0x50, AccessResult.STRANGER),  # face not in the library (80)
        (0x15, AccessResult.OTHER),  # door unlocked and other status events
    ],
)
def test_hikvision_result_codes(minor: int, expected: AccessResult) -> None:
    assert hikvision(HikvisionEventBuilder(minor=minor)) is expected


def test_site_table_overrides_and_extends_codes() -> None:
    assert hikvision(HikvisionEventBuilder(minor=200), CONFIG.hikvision_codes) is AccessResult.DENIED
    assert hikvision(HikvisionEventBuilder(minor=75), {"5/75": AccessResult.OTHER}) is AccessResult.OTHER
    assert hikvision(HikvisionEventBuilder(major=3, minor=75)) is AccessResult.OTHER  # operation log, not an event


def test_multipart_with_picture() -> None:
    body, content_type = HikvisionEventBuilder().multipart(b"\xff\xd8fake-jpeg\xff\xd9")
    event = parse_hikvision(body, content_type, {}, 1 << 20)
    assert event.picture == b"\xff\xd8fake-jpeg\xff\xd9" and event.result is AccessResult.GRANTED
    assert event.serial == "8811" and event.door_ref == "1"


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"{not json", JSON, "not valid JSON"),
        (b"[1, 2]", JSON, "must be a JSON object"),
        (b'{"dateTime": "2026-11-24T00:58:44+08:00"}', JSON, "AccessControllerEvent"),
        (b"<EventNotificationAlert/>", "application/xml", "dateTime: Field required"),
        (b"<Other/>", "application/xml", "XML root is 'Other'"),
        (b"<EventNotificationAlert>", "application/xml", "not well-formed XML"),
        (b"--x\r\n\r\n--x--", "multipart/form-data", "boundary"),
        (b"--x--\r\n", "multipart/form-data; boundary=x", "no parts"),
        (
            b'--x\r\nContent-Disposition: form-data; name="Picture"\r\n'
            b"Content-Type: image/jpeg\r\n\r\nJPEG\r\n--x--\r\n",
            "multipart/form-data; boundary=x",
            "no AccessControllerEvent",
        ),
        (b"hello", "text/plain", "unsupported content type"),
    ],
)
def test_hikvision_bad_bodies_have_a_reason(body: bytes, content_type: str, reason: str) -> None:
    with pytest.raises(AccessFormatError, match=reason):
        parse_hikvision(body, content_type, {}, 1 << 20)


def test_hikvision_time_needs_an_offset_and_pictures_have_a_limit() -> None:
    with pytest.raises(AccessFormatError, match="UTC offset"):
        hikvision(HikvisionEventBuilder(when="2026-11-24T00:58:44"))
    body, content_type = HikvisionEventBuilder().multipart(b"x" * 5000)
    with pytest.raises(PayloadTooLarge, match="over the limit"):
        parse_hikvision(body, content_type, {}, 4096)


def test_normalised_record_has_door_corrected_time_and_no_clear_identifiers() -> None:
    builder = HikvisionEventBuilder(card="0099123")
    event = AccessNormaliser(CONFIG, "site-a").normalise(parse_hikvision(builder.json_body(), JSON, {}, 1 << 20))
    assert (event.device_id, event.door_id, event.door_name) == ("gate2-term", "gate-2", "Gate 2")
    assert event.device_ts == datetime.fromisoformat(builder.when).timestamp()
    assert event.ts == event.device_ts - 42
    text = event.model_dump_json()
    for clear in ("E-7731", "Suspect A", "0099123"):
        assert clear not in text
    assert event.person.employee and event.person.card and event.person.name


def test_same_person_same_ref_and_key_matters() -> None:
    one = AccessNormaliser(CONFIG, "site-a")
    other_key = AccessNormaliser(CONFIG.model_copy(update={"pseudonym_key": None}), "site-a")
    parsed = parse_hikvision(HikvisionEventBuilder().json_body(), JSON, {}, 1 << 20)
    assert one.normalise(parsed).person == one.normalise(parsed).person
    assert one.normalise(parsed).person.employee != other_key.normalise(parsed).person.employee


def test_event_id_from_serial_so_repeats_dedupe() -> None:
    normaliser = AccessNormaliser(CONFIG, "site-a")

    def event_id(**kw: object) -> str:
        return normaliser.normalise(
            parse_hikvision(HikvisionEventBuilder(**kw).json_body(), JSON, {}, 1 << 20)
        ).event_id  # type: ignore[arg-type]

    assert event_id(serial=1) == event_id(serial=1)
    assert event_id(serial=1) != event_id(serial=2)
    assert event_id(serial=None, when="2026-11-24T00:58:44+08:00") != event_id(
        serial=None, when="2026-11-24T00:58:45+08:00"
    )


@pytest.mark.parametrize(
    ("hints", "device"),
    [
        ({"ip": "10.0.0.9", "mac": "00:00:00:00:00:00"}, "by-ip"),
        ({"ip": "1.1.1.1", "mac": "44:19:b6:00:2a:10"}, "gate2-term"),  # MAC compared in any case
    ],
)
def test_device_matching(hints: dict[str, str], device: str) -> None:
    parsed = parse_hikvision(HikvisionEventBuilder(**hints).json_body(), JSON, {}, 1 << 20)  # type: ignore[arg-type]
    assert AccessNormaliser(CONFIG, "s").normalise(parsed).device_id == device


def test_unknown_device_and_door() -> None:
    normaliser = AccessNormaliser(CONFIG, "s")
    stranger = parse_hikvision(HikvisionEventBuilder(ip="6.6.6.6", mac="aa").json_body(), JSON, {}, 1 << 20)
    with pytest.raises(UnknownDevice, match="not registered"):
        normaliser.normalise(stranger)
    other_door = parse_hikvision(HikvisionEventBuilder(door=2).json_body(), JSON, {}, 1 << 20)
    with pytest.raises(UnknownDevice, match="no door '2'"):
        normaliser.normalise(other_door)
    lenient = AccessNormaliser(CONFIG.model_copy(update={"accept_unknown_devices": True}), "s").normalise(stranger)
    assert lenient.device_id.startswith("unregistered-")


def generic(**overrides: object) -> dict[str, object]:
    return {
        "format": "generic",
        "device_id": "lobby-panel",
        "door": "1",
        "time": "2026-11-24T00:50:03+08:00",
        "result": "stranger",
        "serial": "L-331",
        **overrides,
    }


def test_generic_format() -> None:
    parsed = parse_access_object(generic(person={"card_no": "123"}), {}, 1 << 20)
    event = AccessNormaliser(CONFIG, "s").normalise(parsed)
    assert (event.door_id, event.result, event.vendor) == ("lobby", AccessResult.STRANGER, "generic")
    assert "123" not in json.dumps(event.raw)
    epoch = parse_access_object(generic(time=1_795_000_000), {}, 1 << 20)
    assert epoch.device_ts == 1_795_000_000


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (generic(result="maybe"), "result"),
        (generic(time="2026-11-24T00:50:03"), "UTC offset"),
        (generic(extra_field=1), "extra_field"),
        (generic(picture_b64="%%%"), "base64"),
        ({"format": "other"}, "unknown access event format"),
        ([1], "JSON object"),
    ],
)
def test_generic_bad_input(payload: object, reason: str) -> None:
    with pytest.raises(AccessFormatError, match=reason):
        parse_access_object(payload, {}, 1 << 20)


@pytest.mark.parametrize(
    ("topic", "result"),
    [
        ("tns1:AccessControl/AccessGranted/Credential", AccessResult.GRANTED),
        ("tns1:AccessControl/AccessGranted/Anonymous", AccessResult.GRANTED),
        ("tns1:AccessControl/AccessDenied/Credential", AccessResult.DENIED),
        ("tns1:AccessControl/AccessTaken/Anonymous", AccessResult.GRANTED),  # passage no grant reported
        ("tns1:AccessControl/AccessTaken/Credential", AccessResult.OTHER),  # the grant was already reported
    ],
)
def test_onvif_topics(topic: str, result: AccessResult) -> None:
    payload = {"format": "onvif", "device_id": "lobby-panel", "access_point": "AP-7", "time": 1_795_000_000}
    parsed = parse_access_object({**payload, "topic": topic, "credential_token": "C-1"}, {}, 1 << 20)
    assert parsed.result is result
    assert AccessNormaliser(CONFIG, "s").normalise(parsed).door_id == "lobby"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"devices": [{"id": "d", "doors": {"1": "nowhere"}}]}, "undeclared door"),
        ({"doors": [{"id": "a"}, {"id": "a"}]}, "listed twice"),
        ({"hikvision_codes": {"75": "granted"}}, "major/minor"),
        ({"devices": [{"id": "d", "doors": {}}]}, "at least 1"),
    ],
)
def test_access_config_checks(data: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        AccessConfig.model_validate(data)


def test_doors_must_lead_to_declared_cameras() -> None:
    from streams.config import ConfigError, config_from_text

    text = "cameras: [{id: row-a}]\naccess:\n  doors: [{id: g, leads_to: [row-z]}]\n"
    with pytest.raises(ConfigError, match="unknown camera"):
        config_from_text(text, "site.yaml")

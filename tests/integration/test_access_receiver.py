"""The access receiver on the real broker and Redis: Hikvision-shaped posts in, entry alerts out.

Posts real-shaped ISAPI bodies (JSON, multipart with a face picture, XML `EventNotificationAlert` bare and with a
picture, the JSON wrapped in `EventNotificationAlert`, heartbeats, an unused event type, hostile XML) and generic
JSON to the running receiver,
with the access agent and delivery running in the same process, and checks what devices are told, what lands on
the access and dead-letter topics, and the alert that a watch-listed person's entry raises.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import cv2
from aiokafka import AIOKafkaConsumer, TopicPartition

from alerts.access.watchlist import WatchEntry, WatchList
from alerts.device_liveness import DeviceLiveness
from alerts.models import EntryAlertEvent
from streams.access.publish import AccessPublisher
from streams.access.receiver import AccessReceiver
from streams.access.vendor import pseudonym_key, pseudonymise
from streams.app import Role
from streams.config import SiteConfig, load_config
from streams.ingest import read_frame
from streams.records import DeadLetter, decode_access_record
from streams.runtime import WorkerRuntime
from tests.access_builders import HikvisionEventBuilder
from tests.integration.conftest import CLIPS
from tests.unit.test_isapi_notifications import fixture, xml_multipart

SITE_TOKEN, LOBBY_TOKEN = "site-secret-1", "lobby-secret-2"
ACCESS = {
    "pseudonym_key": "integration-key",
    "receiver": {"token": SITE_TOKEN, "max_body_bytes": 256 * 1024, "max_picture_bytes": 64 * 1024},
    "doors": [{"id": "gate-2", "name": "Gate 2"}, {"id": "lobby", "name": "Lobby"}],
    "devices": [
        {"id": "gate2-term", "ip_address": "192.168.10.21", "doors": {"1": "gate-2"}},
        {"id": "lobby-panel", "doors": {"1": "lobby"}, "token": LOBBY_TOKEN},
    ],
}


def face_picture() -> bytes:
    image = read_frame(CLIPS / "residential_street_parked_cars.mp4", 0)
    return cv2.imencode(".jpg", cv2.resize(image[:400, :300], (150, 200)))[1].tobytes()


def generic_event(serial: str) -> bytes:
    event = {"format": "generic", "device_id": "lobby-panel", "door": "1", "result": "stranger", "serial": serial}
    return json.dumps({**event, "time": "2026-11-24T00:50:03+08:00"}).encode()


async def post(
    http: aiohttp.ClientSession, url: str, body: bytes, content_type: str, token: str | None
) -> tuple[int, Any]:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with http.post(url, data=body, headers=headers) as response:
        return response.status, await response.json()


async def scenario(config: SiteConfig, bootstrap: str) -> dict[str, Any]:
    picture = face_picture()
    suspect = HikvisionEventBuilder(serial=9001)
    resident = HikvisionEventBuilder(serial=9002, employee="R-1", name="Resident")
    multipart, multipart_type = suspect.multipart(picture)
    async with WorkerRuntime(config, bootstrap, frozenset({Role.ACCESS, Role.DELIVER})) as runtime:
        assert runtime.services is not None and runtime.services.store is not None
        store, topics = runtime.services.store, runtime.services.topics
        ref = pseudonymise(pseudonym_key(config.access, config.site_id), "employee", "E-7731")
        entry = WatchEntry(kind="employee", ref=ref, label="Suspect A", tier="red", added_by="test", added_at=0)
        await WatchList(store.redis, store.prefix).add(entry)
        publisher = AccessPublisher(bootstrap, config.kafka, topics)
        await publisher.start()
        receiver = AccessReceiver(config.access, config.site_id, store, publisher.publish, publisher.dead_letter)
        port = await receiver.start("127.0.0.1", 0)
        hik, gen = f"http://127.0.0.1:{port}/access/hikvision", f"http://127.0.0.1:{port}/access/events"
        replies: dict[str, tuple[int, Any]] = {}
        try:
            async with aiohttp.ClientSession() as http:
                json_type = "application/json"
                replies["no token"] = await post(http, hik, resident.json_body(), json_type, None)
                replies["wrong token"] = await post(http, hik, resident.json_body(), json_type, "guess")
                replies["resident json"] = await post(http, hik, resident.json_body(), json_type, SITE_TOKEN)
                replies["suspect multipart"] = await post(http, hik, multipart, multipart_type, SITE_TOKEN)
                replies["repeat"] = await post(http, hik, multipart, multipart_type, SITE_TOKEN)
                replies["malformed"] = await post(http, hik, b'{"dateTime": 12', json_type, SITE_TOKEN)
                xml, xml_type = fixture("access_event.xml"), "application/xml"
                replies["xml"] = await post(http, hik, xml, xml_type, SITE_TOKEN)
                with_picture, with_picture_type = xml_multipart(xml.replace(b"7001", b"7002"), picture)
                replies["xml with picture"] = await post(http, hik, with_picture, with_picture_type, SITE_TOKEN)
                wrapped = fixture("wrapped_access_event.json")
                replies["wrapped json"] = await post(http, hik, wrapped, json_type, SITE_TOKEN)
                replies["heartbeat xml"] = await post(http, hik, fixture("heartbeat.xml"), xml_type, SITE_TOKEN)
                replies["heartbeat json"] = await post(http, hik, fixture("heartbeat.json"), json_type, SITE_TOKEN)
                replies["unused type"] = await post(http, hik, fixture("videoloss.xml"), xml_type, SITE_TOKEN)
                hostile = fixture("entity_expansion.xml")
                replies["hostile xml"] = await post(http, hik, hostile, xml_type, SITE_TOKEN)
                unknown = HikvisionEventBuilder(ip="10.9.9.9", serial=1).json_body()
                replies["unknown device"] = await post(http, hik, unknown, json_type, SITE_TOKEN)
                replies["oversized"] = await post(http, hik, b"{" + b" " * 300_000 + b"}", json_type, SITE_TOKEN)
                huge, huge_type = HikvisionEventBuilder(serial=9003).multipart(b"\xff\xd8" + b"\0" * 100_000)
                replies["oversized picture"] = await post(http, hik, huge, huge_type, SITE_TOKEN)
                replies["lobby, site token"] = await post(http, gen, generic_event("L-1"), json_type, SITE_TOKEN)
                replies["lobby, own token"] = await post(http, gen, generic_event("L-2"), json_type, LOBBY_TOKEN)
            alert = await wait_for_entry_alert(store, "gate-2")
            snapshot = await store.get_snapshot(alert.alert_id) if alert else None
            records = await read_topic(bootstrap, topics.access, 6)
            letters = [DeadLetter.model_validate_json(v) for v in await read_topic(bootstrap, topics.deadletter, 3)]
            seen = await DeviceLiveness(store.redis, store.prefix).all()
            unused = receiver.metrics.registry.get_sample_value(
                "sentinel_access_unhandled_total", {"event_type": "videoloss"}
            )
        finally:
            await receiver.stop()
            await publisher.stop()
    return {
        "replies": replies,
        "alert": alert,
        "snapshot": snapshot,
        "records": records,
        "letters": letters,
        "seen": seen,
        "unused": unused,
    }


async def wait_for_entry_alert(store: Any, door_id: str, timeout_s: float = 60.0) -> EntryAlertEvent | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for alert_id in await store.list_ids(door_id=door_id):
            alert = await store.get(alert_id)
            if isinstance(alert, EntryAlertEvent) and await store.get_snapshot(alert_id):
                return alert
        await asyncio.sleep(0.2)
    return None


async def read_topic(bootstrap: str, topic: str, expected: int, timeout_s: float = 30.0) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, 0)
        values: list[bytes] = []
        deadline = time.monotonic() + timeout_s
        while len(values) < expected and time.monotonic() < deadline:
            for messages in (await consumer.getmany(timeout_ms=300)).values():
                values += [m.value for m in messages]
        return values
    finally:
        await consumer.stop()


def test_receiver_accepts_refuses_and_raises_entry_alert(make_site: Any) -> None:
    site = make_site(access=ACCESS)
    out = asyncio.run(scenario(load_config(site.path), site.bootstrap))
    statuses = {name: status for name, (status, _) in out["replies"].items()}
    assert statuses == {
        "no token": 401,
        "wrong token": 401,
        "resident json": 200,
        "suspect multipart": 200,
        "repeat": 200,
        "malformed": 400,
        "xml": 200,
        "xml with picture": 200,
        "wrapped json": 200,
        "heartbeat xml": 200,
        "heartbeat json": 200,
        "unused type": 200,
        "hostile xml": 400,
        "unknown device": 403,
        "oversized": 413,
        "oversized picture": 413,
        "lobby, site token": 403,  # a device with its own credential must use it
        "lobby, own token": 200,
    }
    replies = out["replies"]
    assert replies["repeat"][1]["status"] == "duplicate"
    assert replies["repeat"][1]["event_id"] == replies["suspect multipart"][1]["event_id"]
    assert "not valid JSON" in replies["malformed"][1]["reason"]
    assert "not registered" in replies["unknown device"][1]["reason"]

    assert (replies["heartbeat json"][1]["status"], replies["unused type"][1]["status"]) == ("alive", "ignored")
    assert "XML refused" in replies["hostile xml"][1]["reason"]
    assert out["unused"] == 1.0
    assert out["seen"]["gate2-term"].kind in ("heartbeat", "unhandled", "event")
    assert set(out["seen"]) == {"gate2-term", "lobby-panel"}

    records = [decode_access_record(value) for value in out["records"]]
    # resident, suspect (once), xml, xml with picture, wrapped json, lobby: refusals, repeats, heartbeats and
    # unused types publish nothing
    assert len(records) == 6
    serials = {str(r.raw["AccessControllerEvent"].get("serialNo")) for r in records if r.vendor == "hikvision"}
    assert serials == {"9001", "9002", "7001", "7002", "7003"}
    xml_records = [r for r in records if str(r.raw.get("AccessControllerEvent", {}).get("serialNo")) == "7002"]
    assert len(xml_records) == 1 and xml_records[0].picture_key
    raw_topic = b"".join(out["records"])
    for clear in (b"E-7731", b"Suspect A", b"R-1"):
        assert clear not in raw_topic

    reasons = [letter.reason for letter in out["letters"]]
    assert any("not valid JSON" in r for r in reasons) and any("XML refused" in r for r in reasons)
    assert any("not registered" in r for r in reasons)

    alert = out["alert"]
    assert alert is not None, "no entry alert for the watch-listed person"
    assert (alert.rule, alert.severity.value, alert.door_id) == ("watchlist_entry", "red", "gate-2")
    assert "Suspect A" in alert.message and alert.picture_key
    decoded = cv2.imdecode(__import__("numpy").frombuffer(out["snapshot"], dtype="uint8"), cv2.IMREAD_COLOR)
    assert decoded is not None and decoded.shape[1] >= 480  # the face picture, enlarged and labelled

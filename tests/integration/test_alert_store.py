"""The alert store on the real Redis and delivery through the real webhook channel."""

from __future__ import annotations

import asyncio
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis.asyncio as aioredis

from alerts.config import WebhookConfig
from alerts.delivery.channels import MemoryChannel, WebhookChannel
from alerts.models import AlertEvent, AlertPhase
from alerts.service import AlertService
from alerts.store import AlertStore

REDIS_URL = "redis://127.0.0.1:6379/0"


def event(
    alert_id: str,
    phase: AlertPhase = AlertPhase.START,
    ts: float = 130.0,
    person: int = 1,
    vehicle: int = 2,
    started_at: float = 100.0,
) -> AlertEvent:
    return AlertEvent(
        alert_id=alert_id,
        event_id=f"{alert_id}:{phase.value}:{ts}",
        phase=phase,
        rule="loitering",
        site_id="site-a",
        camera_id="cam-1",
        stream_id="s",
        started_at=started_at,
        ts=ts,
        dwell_s=ts - started_at,
        person_track_id=person,
        vehicle_track_id=vehicle,
        person_box=(10, 10, 20, 40),
        vehicle_box=(20, 20, 60, 40),
        frame_seq=1,
        frame_width=64,
        frame_height=48,
    )


async def with_store(body, cooldown_s: float = 300.0, channels=None):
    prefix = f"sentinel-test-{uuid.uuid4().hex[:8]}:"
    client = aioredis.Redis.from_url(REDIS_URL)
    store = AlertStore(client, retention_s=600, cooldown_s=cooldown_s, feed_maxlen=1000, prefix=prefix)
    service = AlertService(store, channels or [])
    try:
        return await body(store, service)
    finally:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await service.close()
        await client.aclose()


def test_repeated_event_is_stored_and_delivered_once() -> None:
    memory = MemoryChannel()

    async def body(store: AlertStore, service: AlertService):
        first = await service.handle(event("a" * 16))
        second = await service.handle(event("a" * 16))
        return first, second, await store.timeline("a" * 16), await store.get_snapshot("a" * 16)

    first, second, timeline, snapshot = asyncio.run(with_store(body, channels=[memory]))
    assert (first, second) == (True, False)
    assert len(timeline) == 1 and len(memory.sent) == 1
    assert snapshot and snapshot[:2] == b"\xff\xd8", "a snapshot is rendered even without a stored frame"


def test_second_alert_for_same_pair_within_cooldown_is_suppressed() -> None:
    memory = MemoryChannel()

    async def body(store: AlertStore, service: AlertService):
        await service.handle(event("b" * 16))
        await service.handle(event("c" * 16, started_at=200.0, ts=230.0))  # same pair, new incident
        await service.handle(event("c" * 16, AlertPhase.END, ts=240.0, started_at=200.0))
        await service.handle(event("d" * 16, person=9, started_at=200.0, ts=230.0))  # another person
        ids = await store.list_ids(camera_id="cam-1")
        return ids, [e async for e in _feed(store)]

    ids, feed = asyncio.run(with_store(body, channels=[memory]))
    assert [e.alert_id for e in memory.sent] == ["b" * 16, "d" * 16]
    assert set(ids) == {"b" * 16, "c" * 16, "d" * 16}, "suppressed alerts are still stored for audit"
    assert [(e.alert_id, s) for e, s in feed if e.alert_id == "c" * 16] == [("c" * 16, True)] * 2


async def _feed(store: AlertStore):
    for _, e, suppressed in await store.read_feed("0", block_ms=10):
        yield e, suppressed


class _Flaky(BaseHTTPRequestHandler):
    statuses: list[int] = []
    calls = 0

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        status = cls.statuses[min(cls.calls, len(cls.statuses) - 1)]
        cls.calls += 1
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.mark.parametrize(
    ("statuses", "status", "attempts"),
    [
        ([500, 503, 204], "delivered", 3),
        ([400], "failed", 1),
        ([500], "failed", 3),
    ],
)
def test_webhook_retries_and_logs(statuses: list[int], status: str, attempts: int) -> None:
    _Flaky.statuses, _Flaky.calls = statuses, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = WebhookChannel(
        WebhookConfig(url=f"http://127.0.0.1:{server.server_address[1]}/", max_attempts=3, backoff_s=0.01)
    )

    async def body(store: AlertStore, service: AlertService):
        await service.handle(event("e" * 16))
        return await store.delivery_log("e" * 16)

    try:
        (entry,) = asyncio.run(with_store(body, channels=[hook]))
    finally:
        server.shutdown()
    assert entry["status"] == status and _Flaky.calls == attempts
    if status == "delivered":
        assert entry["attempts"] == attempts
    else:
        assert "gave up after" in entry["error"]

"""A worker killed with SIGKILL mid-stream and restarted loses no alert and notifies no one twice.

Two sites get the same input on the shared broker: a video camera (a real person held beside a real parked
car, through the model) and a track camera (VIRAT ground truth, many alerts). Site B's worker runs
uninterrupted; site A's worker is killed with SIGKILL in the middle of both streams, then started again.
Both must deliver the same alert events to their webhook, A without repeats.

The kill is placed where no notification is half done (the receiver has it but the worker has not yet
recorded it as delivered): that window is the one at-least-once delivery cannot close, and the webhook's
Idempotency-Key header (the event id) is there for receivers to close it.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from aiokafka import AIOKafkaProducer

from streams.app import MAX_RECORD_BYTES
from streams.kafka.broker import free_port
from streams.sources import track_records, video_records
from tests.integration.conftest import SENTINEL, Site, person_at_car_clip, virat_tracks, wait_until

VIDEO_STREAM, TRACK_STREAM = "crash-video", "crash-tracks"
WORKER_ROLES = ("--role", "detect", "--role", "rules", "--role", "deliver")


async def _produce(bootstrap: str, batches: Iterable[tuple[str, list[tuple[bytes, bytes]]]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=MAX_RECORD_BYTES, linger_ms=5)
    await producer.start()
    try:
        for topic, records in batches:
            for key, value in records:
                await producer.send(topic, value=value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


def _inputs(tmp_path: Path) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    clip = person_at_car_clip(tmp_path)
    video = [(k, v) for k, v, _ in video_records(clip.path, "composite", VIDEO_STREAM, 10.0, 0.0, 85, 1280)]
    tracks = [(k, v) for k, v, _ in track_records(virat_tracks(tmp_path), TRACK_STREAM)]
    return video, tracks


def _start(site: Site, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:  # the child keeps its own descriptor; nothing here has to drain a pipe
        return subprocess.Popen(
            [str(SENTINEL), "run", "--config", str(site.path), *WORKER_ROLES], stdout=handle, stderr=handle
        )


def _processed(port: int) -> float:
    try:
        metrics = urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return 0.0
    return sum(float(v) for v in re.findall(r"sentinel_frames_processed_total\{[^}]*\} (\S+)", metrics))


def _streams_done(site: Site) -> bool:
    return all(site.redis.exists(f"{site.key_prefix}stream-done:{s}") for s in (VIDEO_STREAM, TRACK_STREAM))


def _site(make_site: Any, url: str, port: int) -> Site:
    site: Site = make_site(
        loitering={"dwell_s": 5.0},
        alerts={"webhooks": [{"url": url, "secret": "s3cret", "backoff_s": 0.05}]},
        observability={"host": "127.0.0.1", "port": port},
    )
    return site


def _events(received: list[tuple[dict[str, str], bytes]], path: str) -> list[dict[str, Any]]:
    return [json.loads(body) for headers, body in list(received) if headers["Path"] == path]


def _kill_between_notifications(worker: subprocess.Popen[bytes], site: Site, received: list[Any]) -> None:
    """SIGKILL at a moment when every notification the receiver got is also marked delivered."""
    for _ in range(100):
        worker.send_signal(signal.SIGSTOP)
        time.sleep(0.05)  # responses already on the wire land
        posted = {e["event_id"] for e in _events(received, "/hook/a")}
        if all(site.redis.exists(f"{site.key_prefix}delivered:{event_id}") for event_id in posted):
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            return
        worker.send_signal(signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError("never found a moment without a notification in flight")


def test_sigkill_mid_stream_loses_no_alert_and_sends_none_twice(make_site, webhook, tmp_path: Path) -> None:
    url, received = webhook
    video, tracks = _inputs(tmp_path)
    port_a, port_b = free_port(), free_port()
    site_a, site_b = _site(make_site, url + "/a", port_a), _site(make_site, url + "/b", port_b)

    for site in (site_a, site_b):
        asyncio.run(_produce(site.bootstrap, [(f"{site.prefix}.frames", video)]))
    clean = _start(site_b, port_b, tmp_path / "worker-b.log")
    worker = _start(site_a, port_a, tmp_path / "worker-a.log")
    try:
        assert wait_until(lambda: _processed(port_a) >= len(video) // 3, timeout_s=240), "worker A made progress"
        for site in (site_a, site_b):  # the track camera joins while the video is mid-way
            asyncio.run(_produce(site.bootstrap, [(f"{site.prefix}.tracks", tracks)]))
        assert wait_until(lambda: any(e["camera_id"] == "virat-0503" for e in _events(received, "/hook/a")))
        _kill_between_notifications(worker, site_a, received)
        delivered_before = len(_events(received, "/hook/a"))
        worker = _start(site_a, port_a, tmp_path / "worker-a.log")
        assert wait_until(lambda: _streams_done(site_a) and _streams_done(site_b), timeout_s=300), (
            tmp_path / "worker-a.log"
        ).read_text()[-3000:]
        wait_until(lambda: False, timeout_s=3)  # let the last deliveries of both land
    finally:
        for process in (worker, clean):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)

    crashed, uninterrupted = _events(received, "/hook/a"), _events(received, "/hook/b")
    assert uninterrupted, "the input raises alerts"
    assert {e["phase"] for e in uninterrupted} >= {"start", "end"}
    assert any(e["camera_id"] == "composite" for e in uninterrupted), "the model path raised its alert too"
    assert 0 < delivered_before < len(crashed), "the kill landed mid-stream, with deliveries on both sides"
    repeats = {event_id: n for event_id, n in Counter(e["event_id"] for e in crashed).items() if n > 1}
    assert not repeats, f"notified twice: {repeats}"
    assert sorted(json.dumps(e, sort_keys=True) for e in crashed) == sorted(
        json.dumps(e, sort_keys=True) for e in uninterrupted
    ), "the same alert events, byte for byte, as without the crash"

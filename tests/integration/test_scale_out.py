"""Scale-out: two detect workers in one consumer group split the cameras between them, each frame once."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
from pathlib import Path
from urllib.request import urlopen

import yaml
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from streams.app import MAX_RECORD_BYTES
from streams.kafka.broker import free_port
from streams.sources import video_records
from tests.integration.conftest import CLIPS, SENTINEL, wait_until

CAMERAS = ("row-a", "row-b")


def _processed(port: int) -> dict[str, float]:
    try:
        metrics = urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return {}
    found = re.findall(r'sentinel_frames_processed_total\{camera="([^"]+)"\} (\S+)', metrics)
    return {camera: float(value) for camera, value in found}


def _ready(port: int) -> bool:
    try:
        return urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).status == 200
    except OSError:
        return False


async def _send_frames(bootstrap: str, topic: str) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=MAX_RECORD_BYTES)
    await producer.start()
    sent = 0
    try:
        for camera in CAMERAS:
            records = video_records(
                CLIPS / "residential_street_parked_cars.mp4", camera, f"scale-{camera}", 3.0, 0.0, 85, None
            )
            for key, value, _ in records:
                await producer.send(topic, value=value, key=key)
                sent += 1
        await producer.flush()
    finally:
        await producer.stop()
    return sent  # the end-of-stream markers go through the detect stage too, and are counted


def test_two_detect_workers_share_the_cameras(make_site, tmp_path: Path) -> None:
    partitioner = DefaultPartitioner()
    assert {partitioner(c.encode(), [0, 1], [0, 1]) for c in CAMERAS} == {0, 1}, "one camera per partition"
    ports = [free_port(), free_port()]
    site = make_site(kafka={"partitions": 2})
    logs = [tmp_path / f"detect-{i}.log" for i in range(2)]
    workers = []
    for port, log in zip(ports, logs, strict=True):
        config = site.path.with_name(f"{site.path.stem}-{port}.yaml")
        data = yaml.safe_load(site.path.read_text())
        data["observability"] = {"host": "127.0.0.1", "port": port}
        config.write_text(yaml.safe_dump(data))
        with log.open("wb") as handle:
            workers.append(
                subprocess.Popen(
                    [str(SENTINEL), "run", "--config", str(config), "--role", "detect"], stdout=handle, stderr=handle
                )
            )
    try:
        assert wait_until(lambda: all(_ready(p) for p in ports), timeout_s=180), logs[0].read_text()[-2000:]
        frames = asyncio.run(_send_frames(site.bootstrap, f"{site.prefix}.frames"))
        assert wait_until(lambda: sum(sum(_processed(p).values()) for p in ports) >= frames, timeout_s=180)
        per_worker = [_processed(p) for p in ports]
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
    assert sum(sum(counts.values()) for counts in per_worker) == frames, f"each frame once: {per_worker}"
    assert sorted(camera for counts in per_worker for camera in counts) == sorted(CAMERAS), per_worker
    assert all(len(counts) == 1 for counts in per_worker), f"each worker owns one camera: {per_worker}"

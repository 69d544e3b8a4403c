"""`sentinel run`: live ingest from a camera source through the workers, and a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import time
from urllib.request import urlopen

import pytest
from aiokafka import AIOKafkaConsumer

from streams.kafka.broker import free_port
from streams.records import decode_track_frame
from tests.integration.conftest import CLIPS, SENTINEL


async def _tracks_of(bootstrap: str, topic: str, camera_id: str, wanted: int, timeout_s: float) -> list:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None, fetch_max_wait_ms=50
    )
    await consumer.start()
    frames = []
    try:
        deadline = time.monotonic() + timeout_s
        while len(frames) < wanted and time.monotonic() < deadline:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                frames += [f for f in map(lambda m: decode_track_frame(m.value), messages) if f.camera_id == camera_id]
    finally:
        await consumer.stop()
    return frames


def _check_endpoints(port: int) -> None:
    base = f"http://127.0.0.1:{port}"
    assert json.loads(urlopen(f"{base}/healthz", timeout=5).read())["status"] == "ok"
    assert json.loads(urlopen(f"{base}/readyz", timeout=5).read())["status"] == "ready"
    metrics = urlopen(f"{base}/metrics", timeout=5).read().decode()
    processed = re.search(r'sentinel_frames_processed_total\{camera="row-a"\} (\S+)', metrics)
    sent = re.search(r'sentinel_frames_sent_total\{camera="row-a"\} (\S+)', metrics)
    assert processed and float(processed.group(1)) >= 1, metrics
    assert sent and float(sent.group(1)) >= float(processed.group(1))
    assert re.search(r"sentinel_inference_seconds_count (\S+)", metrics)
    assert 'sentinel_consumer_lag{partition="0",topic=' in metrics


@pytest.mark.parametrize(
    "layout",
    [
        [["all"]],
        [["ingest"], ["detect"], ["rules", "deliver"]],
    ],
    ids=["one-process", "three-processes"],
)
def test_live_camera_frames_are_tracked_and_sigterm_stops_cleanly(make_site, layout: list[list[str]]) -> None:
    port = free_port()
    site = make_site(
        cameras=[{"id": "row-a", "source": str(CLIPS / "residential_street_parked_cars.mp4"), "fps": 5}],
        accept_unknown_cameras=False,
        observability={"host": "127.0.0.1", "port": port if len(layout) == 1 else 0},
    )
    processes = [
        subprocess.Popen(
            [str(SENTINEL), "run", "--config", str(site.path), *[a for r in roles for a in ("--role", r)]],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for roles in layout
    ]
    outputs = []
    try:
        frames = asyncio.run(_tracks_of(site.bootstrap, f"{site.prefix}.tracks", "row-a", 15, timeout_s=120))
        assert all(p.poll() is None for p in processes), "the service keeps running"
        if len(layout) == 1:
            _check_endpoints(port)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                outputs.append(process.communicate(timeout=30)[0].decode(errors="replace"))
            except subprocess.TimeoutExpired:
                process.kill()
                raise
    output = "\n".join(outputs)
    assert len(frames) >= 15, f"live frames tracked: {len(frames)}\n{output[-2000:]}"
    assert all(f.stream_id.startswith("live-") for f in frames)
    assert any(o.cls.value == "car" for f in frames for o in f.objects), "the parked cars are detected"
    gaps = [b.ts - a.ts for a, b in zip(frames, frames[1:], strict=False)]
    assert 0.1 < sorted(gaps)[len(gaps) // 2] < 0.4, f"sampled near 5 fps on capture time: {gaps}"
    assert [p.returncode for p in processes] == [0] * len(processes), output[-2000:]

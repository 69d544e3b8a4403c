"""Frames trimming on Apache Kafka: a detect worker deletes the frames its group has read (DeleteRecords),
and keeps those within the keep window and those not read yet."""

from __future__ import annotations

import asyncio
import time

import cv2
import numpy as np
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streams.config import load_config
from streams.kafka.admin import ensure_topics
from streams.records import FrameHeader, encode_frame
from tests.integration.conftest import Site, wait_until
from tests.integration.kafka.workers import Process

OLD, YOUNG = 10, 3
CAMERA = "trim-cam"


def _frames(ts: float, seqs: range) -> list[bytes]:
    ok, jpeg = cv2.imencode(".jpg", np.zeros((48, 64, 3), dtype=np.uint8))
    assert ok
    header = {"camera_id": CAMERA, "stream_id": "trim", "width": 64, "height": 48, "fps": 2.0, "live": True}
    return [encode_frame(FrameHeader(seq=s, ts=ts, **header), jpeg.tobytes()) for s in seqs]


async def _send(bootstrap: str, topic: str) -> None:
    """Live frames captured two hours ago (outside the keep window; shed as stale), then fresh ones."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        old_s = time.time() - 7200
        for frame in _frames(old_s, range(OLD)):
            await producer.send_and_wait(topic, frame, key=CAMERA.encode(), timestamp_ms=int(old_s * 1000))
        for frame in _frames(time.time(), range(OLD, OLD + YOUNG)):
            await producer.send_and_wait(topic, frame, key=CAMERA.encode())
    finally:
        await producer.stop()


async def _watermarks(bootstrap: str, topic: str) -> tuple[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        return int((await consumer.beginning_offsets([tp]))[tp]), int((await consumer.end_offsets([tp]))[tp])
    finally:
        await consumer.stop()


def test_a_detect_worker_trims_the_frames_it_read_and_keeps_the_young(kafka_site) -> None:
    site: Site = kafka_site(
        kafka={
            "partitions": 1,
            "frames_retention_s": 30 * 24 * 3600,  # segments roll after days: retention deletes nothing here
            "trim_frames_every_s": 1,
            "trim_frames_keep_s": 300,
        }
    )
    topic = ensure_topics(site.bootstrap, load_config(site.path).kafka).frames
    worker = Process(site, ("--role", "detect"), "detect", verbose=True).start()
    try:
        assert wait_until(worker.ready, 120), worker.tail()
        asyncio.run(_send(site.bootstrap, topic))
        trimmed = lambda: asyncio.run(_watermarks(site.bootstrap, topic)) == (OLD, OLD + YOUNG)  # noqa: E731
        assert wait_until(trimmed, 60), f"{asyncio.run(_watermarks(site.bootstrap, topic))}: {worker.tail()}"
        wait_until(lambda: False, timeout_s=3)  # three more rounds: the young frames, read too, stay
        assert asyncio.run(_watermarks(site.bootstrap, topic)) == (OLD, OLD + YOUNG)
        assert sum(worker.seen().values()) == OLD + YOUNG, "the worker took every frame"
    finally:
        assert worker.stop() == 0, worker.tail()
    assert "frames trimmed: partition 0 from 10" in worker.log.read_text(), "the worker trimmed them, not retention"

"""Live camera ingest: one capture thread and one sender task per camera with a source."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from streams.app import MAX_RECORD_BYTES
from streams.config import CameraConfig, SiteConfig
from streams.ingest import DropOldestBuffer, LiveCapture, encode_jpeg
from streams.kafka.admin import ensure_topics
from streams.kafka.producer import delivery_options
from streams.kafka.security import aiokafka_options
from streams.ops.observability import Metrics
from streams.records import FrameHeader, encode_frame

logger = logging.getLogger(__name__)


async def _send_camera(
    camera: CameraConfig,
    buffer: DropOldestBuffer,
    producer: AIOKafkaProducer,
    topic: str,
    stop: asyncio.Event,
    metrics: Metrics,
) -> None:
    stream_id = f"live-{uuid.uuid4().hex[:12]}"  # a restart is a new stream: trackers and rules start afresh
    key = camera.id.encode()
    seq = 0
    last_report = time.monotonic()
    dropped_reported = 0
    sent, dropped = metrics.frames_sent.labels(camera.id), metrics.frames_dropped.labels(camera.id)
    while not stop.is_set():
        captured = await asyncio.to_thread(buffer.get, 0.5)
        if captured is None:
            continue
        jpeg, width, height = await asyncio.to_thread(
            encode_jpeg, captured.image, camera.jpeg_quality, camera.max_width
        )
        header = FrameHeader(
            camera_id=camera.id,
            stream_id=stream_id,
            seq=seq,
            ts=captured.ts,
            width=width,
            height=height,
            fps=camera.fps,
            live=True,
        )
        try:
            await producer.send(topic, value=encode_frame(header, jpeg), key=key)
            sent.inc()
        except KafkaError as exc:
            logger.warning("camera %s: frame %s not sent: %s", camera.id, seq, exc, extra={"camera_id": camera.id})
        seq += 1
        dropped.inc(buffer.dropped - dropped_reported)
        dropped_reported = buffer.dropped
        if time.monotonic() - last_report > 60:
            logger.info(
                "camera %s: %s frames sent, %s dropped", camera.id, seq, buffer.dropped, extra={"camera_id": camera.id}
            )
            last_report = time.monotonic()


async def run_live_ingest(config: SiteConfig, bootstrap: str, stop: asyncio.Event, metrics: Metrics) -> None:
    cameras = [c for c in config.cameras if c.source]
    if not cameras:
        logger.warning("no camera has a source; ingest has nothing to do")
        await stop.wait()
        return
    # Create the topics before producing: a broker would otherwise auto-create them with its own partitions.
    topics = await asyncio.to_thread(ensure_topics, bootstrap, config.kafka)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        max_request_size=MAX_RECORD_BYTES,
        linger_ms=5,
        **delivery_options(config.kafka),
        **aiokafka_options(config.kafka),
    )
    await producer.start()
    captures = []
    try:
        tasks = []
        for camera in cameras:
            buffer = DropOldestBuffer(camera.queue_frames)
            capture = LiveCapture(camera.source or "", camera.fps, buffer)
            capture.start()
            captures.append(capture)
            tasks.append(asyncio.create_task(_send_camera(camera, buffer, producer, topics.frames, stop, metrics)))
        await stop.wait()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for capture in captures:
            capture.stop()
        await producer.stop()

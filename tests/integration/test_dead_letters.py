"""Bad records go to the dead-letter topic with a reason, and the worker keeps processing valid ones."""

from __future__ import annotations

import asyncio
import time

import cv2
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from detectors.vision.model import load_detector
from streams.app import WORKER_ROLES
from streams.config import load_config
from streams.ingest import read_frame
from streams.records import DeadLetter, FrameHeader, decode_track_frame, encode_frame
from streams.runtime import WorkerRuntime
from tests.integration.conftest import CLIPS


def _real_jpeg() -> bytes:
    image = read_frame(CLIPS / "residential_street_parked_cars.mp4", 0)
    return cv2.imencode(".jpg", image)[1].tobytes()


def header(camera: str, seq: int, **extra: object) -> FrameHeader:
    return FrameHeader(
        camera_id=camera, stream_id="dlq-test", seq=seq, ts=100.0 + seq, width=640, height=352, fps=5, **extra
    )


async def _scenario(config, bootstrap: str) -> tuple[list[DeadLetter], list[int]]:
    jpeg = _real_jpeg()
    bad_frames = [
        b"garbage that is no frame",
        encode_frame(header("cam-ok", 0), jpeg)[:12],  # truncated in the header
        encode_frame(header("cam-ok", 1), b"\x00\x01 not a jpeg"),
        encode_frame(header("cam-unknown", 2), jpeg),
    ]
    async with WorkerRuntime(config, bootstrap, WORKER_ROLES, detector=load_detector(config.detector.model)) as rt:
        topics = rt.services.topics
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=16 * 1024 * 1024)
        consumer = AIOKafkaConsumer(
            topics.deadletter, topics.tracks, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
        )
        await producer.start()
        await consumer.start()
        try:
            for value in bad_frames:
                await producer.send_and_wait(topics.frames, value=value, key=b"cam-ok")
            await producer.send_and_wait(topics.frames, value=encode_frame(header("cam-ok", 3), jpeg), key=b"cam-ok")
            await producer.send_and_wait(topics.tracks, value=b'{"camera_id": "cam-ok", "seq": "x"}', key=b"cam-ok")
            await producer.send_and_wait(topics.alerts, value=b"\x89PNG not json", key=b"cam-ok")
            letters: list[DeadLetter] = []
            good: list[int] = []
            deadline = time.monotonic() + 90
            while (len(letters) < 6 or not good) and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=500)
                for tp, messages in batches.items():
                    for message in messages:
                        if tp.topic == topics.deadletter:
                            letters.append(DeadLetter.model_validate_json(message.value))
                        else:
                            try:
                                good.append(decode_track_frame(message.value).seq)
                            except ValueError:
                                pass
            return letters, good
        finally:
            await consumer.stop()
            await producer.stop()


def test_bad_records_are_dead_lettered_and_processing_continues(make_site) -> None:
    site = make_site(accept_unknown_cameras=False, cameras=[{"id": "cam-ok"}])
    config = load_config(site.path)
    letters, good = asyncio.run(_scenario(config, site.bootstrap))
    reasons = {(letter.stage, letter.reason.split(":")[0].split(" (")[0]) for letter in letters}
    assert ("detect", "not a frame record") in reasons
    assert ("detect", "truncated or corrupt frame record") in reasons
    assert ("detect", "undecodable JPEG") in reasons
    assert ("detect", "unknown camera id 'cam-unknown'") in reasons
    assert any(
        stage == "rules" and "invalid TrackFrame" in reason
        for stage, reason in ((letter.stage, letter.reason) for letter in letters)
    )
    assert any(letter.stage == "deliver" for letter in letters)
    assert any(letter.value() == b"garbage that is no frame" for letter in letters), "original bytes kept"
    assert 3 in good, "the valid frame after the bad ones was processed"

"""Replay a recording (video or tracks) through the same topics and agents as live, on event time.

The replay sends the records, then an end-of-stream marker, and reads the tracks and alerts topics until
the marker comes back out of the alerts topic, so it knows every alert of the recording has been raised.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaTimeoutError
from tqdm import tqdm

from alerts.models import Alert, AlertEvent, AlertPhase, StreamEnd
from alerts.store import AlertStore
from streams.app import MAX_RECORD_BYTES
from streams.records import RecordError, decode_alert_record, decode_track_frame
from streams.topics import TopicNames

logger = logging.getLogger(__name__)


class ReplayStalled(RuntimeError):
    """No progress for too long: a worker is down or a stage is stuck."""


@dataclass
class ReplayResult:
    stream_id: str
    frames_sent: int = 0
    frames_processed: int = 0
    alerts: list[Alert] = field(default_factory=list)
    wall_s: float = 0.0
    alert_latencies_s: list[float] = field(default_factory=list)
    track_ids: dict[str, set[int]] = field(default_factory=dict)
    frame_latencies_s: list[float] = field(default_factory=list)
    tracks_done: bool = False  # the stream's end-of-stream track record came back
    alerts_done: bool = False  # its end marker came back out of the alerts topic

    @property
    def fps(self) -> float:
        return self.frames_processed / self.wall_s if self.wall_s > 0 else 0.0


def replay_stream_id(camera_id: str, source: Path, *extra: object) -> str:
    """Deterministic: replaying the same input twice yields the same stream and so the same alert ids."""
    stat_size = source.stat().st_size if source.exists() else 0
    basis = "|".join(str(p) for p in (camera_id, source.name, stat_size, *extra))
    return "replay-" + hashlib.sha256(basis.encode()).hexdigest()[:12]


class Replayer:
    """Sends (key, value) records into one topic and follows the stream through to the alerts topic."""

    def __init__(
        self,
        bootstrap: str,
        topics: TopicNames,
        store: AlertStore,
        *,
        window: int = 32,
        stall_timeout_s: float = 180.0,
        progress: bool = True,
        fetch_max_wait_ms: int = 20,
        pace_fps: float | None = None,
        client_options: dict[str, Any] | None = None,
        producer_options: dict[str, Any] | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.topics = topics
        self.store = store
        self.window = window
        self.stall_timeout_s = stall_timeout_s
        self.progress = progress
        self.fetch_max_wait_ms = fetch_max_wait_ms  # the in-flight window waits on this follower's fetches
        self.pace_fps = pace_fps  # None: as fast as the pipeline takes them; else send like a live camera
        self.client_options = client_options or {}  # security settings (streams.kafka_security)
        self.producer_options = producer_options or {"acks": "all"}  # acks / idempotence (streams.kafka.producer)

    async def run(
        self,
        topic: str,
        records: Iterator[tuple[bytes, bytes, int]],
        stream_id: str,
        total: int | None = None,
        has_tracks: bool = True,
    ) -> ReplayResult:
        """`records` yields (key, value, seq); the last one must be the stream's end-of-stream marker.

        Done when the end marker is back from the alerts topic and, for camera streams, from the tracks topic
        too (the two topics' records can arrive in either order).
        """
        result = ReplayResult(stream_id=stream_id, tracks_done=not has_tracks)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            fetch_max_wait_ms=self.fetch_max_wait_ms,
            fetch_max_bytes=MAX_RECORD_BYTES,
            max_partition_fetch_bytes=MAX_RECORD_BYTES,
            **self.client_options,
        )
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            max_request_size=MAX_RECORD_BYTES,
            linger_ms=2,
            **self.producer_options,
            **self.client_options,
        )
        await consumer.start()
        await producer.start()
        shown = self.progress and sys.stderr.isatty()  # a piped log would get hundreds of carriage-return updates
        bar = tqdm(total=total, unit="frame", disable=not shown, desc=stream_id[-12:], dynamic_ncols=True)
        try:
            await self._assign_at_end(consumer, producer)
            started = time.perf_counter()
            sent_at: dict[int, float] = {}
            follower = asyncio.create_task(self._follow(consumer, result, sent_at, bar))
            try:
                await self._send_all(producer, topic, records, result, sent_at, follower)
                await follower
            finally:
                follower.cancel()
                await asyncio.gather(follower, return_exceptions=True)
            await self._wait_delivered(stream_id)
            result.wall_s = time.perf_counter() - started
        finally:
            bar.close()
            await producer.stop()
            await consumer.stop()
        return result

    async def _assign_at_end(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        """Both topics' partitions from the producer's metadata, which waits while a cluster's brokers learn of
        topics created a moment ago (the consumer's `topics()` leaves `partitions_for_topic` empty on Kafka 4)."""
        partitions = []
        for name in (self.topics.tracks, self.topics.alerts):
            try:
                found = await producer.partitions_for(name)
            except KafkaTimeoutError:
                raise RuntimeError(f"topic {name} has no partitions; were the topics created?") from None
            partitions += [TopicPartition(name, partition) for partition in sorted(found)]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:  # resolve the end offsets now, before anything of ours is produced
            await consumer.position(tp)

    async def _send_all(
        self,
        producer: AIOKafkaProducer,
        topic: str,
        records: Iterator[tuple[bytes, bytes, int]],
        result: ReplayResult,
        sent_at: dict[int, float],
        follower: asyncio.Task[None],
    ) -> None:
        loop = asyncio.get_running_loop()
        paced_from = time.perf_counter()
        while True:
            item = await loop.run_in_executor(None, next, records, None)  # decoding/encoding off the loop
            if item is None:
                break
            key, value, seq = item
            while result.frames_sent - result.frames_processed >= self.window:
                if follower.done():
                    follower.result()
                    return
                await asyncio.sleep(0.005)
            if self.pace_fps:
                await asyncio.sleep(max(0.0, paced_from + result.frames_sent / self.pace_fps - time.perf_counter()))
            sent_at[seq] = time.perf_counter()
            await producer.send(topic, value=value, key=key)
            result.frames_sent += 1
        await producer.flush()

    async def _follow(
        self, consumer: AIOKafkaConsumer, result: ReplayResult, sent_at: dict[int, float], bar: tqdm
    ) -> None:
        last_progress = time.monotonic()
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            if not batches and time.monotonic() - last_progress > self.stall_timeout_s:
                raise ReplayStalled(f"no progress for {self.stall_timeout_s:.0f} s; is a worker running?")
            for tp, messages in batches.items():
                for message in messages:
                    if self._handle(tp.topic, message.value, result, sent_at, bar):
                        return
                    last_progress = time.monotonic()

    def _handle(self, topic: str, value: bytes, result: ReplayResult, sent_at: dict[int, float], bar: tqdm) -> bool:
        try:
            if topic == self.topics.tracks:
                frame = decode_track_frame(value)
                if frame.stream_id == result.stream_id:
                    result.frames_processed += 1
                    if frame.seq in sent_at:
                        result.frame_latencies_s.append(time.perf_counter() - sent_at[frame.seq])
                    for obj in frame.objects:
                        result.track_ids.setdefault(obj.cls.value, set()).add(obj.track_id)
                    if not frame.end_of_stream:
                        bar.update(1)
                    else:
                        result.tracks_done = True
                return result.tracks_done and result.alerts_done
            record = decode_alert_record(value)
        except RecordError:
            return False  # foreign or malformed records are the workers' business (dead letters)
        if record.stream_id != result.stream_id:
            return False
        if isinstance(record, StreamEnd):
            result.alerts_done = True
            return result.tracks_done
        result.alerts.append(record)
        if isinstance(record, AlertEvent) and record.phase is not AlertPhase.END and record.frame_seq in sent_at:
            # end events cite an older frame
            result.alert_latencies_s.append(time.perf_counter() - sent_at[record.frame_seq])
        bar.set_postfix(alerts=sum(a.phase is AlertPhase.START for a in result.alerts), refresh=False)
        return False

    async def _wait_delivered(self, stream_id: str, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not await self.store.is_stream_done(stream_id):
            if time.monotonic() > deadline:
                raise ReplayStalled(f"the delivery stage did not finish stream {stream_id} in {timeout_s:.0f} s")
            await asyncio.sleep(0.05)


def write_alerts_jsonl(alerts: list[Alert], out: Path | None) -> None:
    lines = [a.model_dump_json() for a in alerts]
    if out is None:
        for line in lines:
            print(line)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(line + "\n" for line in lines))


async def export_snapshots(store: AlertStore, alerts: list[Alert], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for alert in alerts:
        if alert.phase is not AlertPhase.START:
            continue
        jpeg = await store.get_snapshot(alert.alert_id)
        if jpeg:
            path = directory / f"{alert.alert_id}.jpg"
            path.write_bytes(jpeg)
            written.append(path)
    return written


def summarize(result: ReplayResult) -> str:
    starts = [a for a in result.alerts if a.phase is AlertPhase.START]
    return json.dumps(
        {
            "stream_id": result.stream_id,
            "frames": max(result.frames_processed - 1, 0),  # less the end-of-stream marker
            "tracks": {cls: len(ids) for cls, ids in sorted(result.track_ids.items())},
            "alerts": len(starts),
            "events": len(result.alerts),
            "wall_s": round(result.wall_s, 2),
            "fps": round(result.fps, 1),
        }
    )

"""Trimming the frames topic with DeleteRecords: frames go once the detect workers have read them.

Frames are the large records and are useful only until the detect stage has taken them: the evidence clips and
the live look-in read the frames the detect stage keeps in Redis (`alerts.frame_buffer_s`), not the topic.
Retention (`kafka.frames_retention_s`, an hour by default) bounds the topic by time; trimming brings it down to
what the detect group has not committed yet plus a keep window (`kafka.trim_frames_keep_s`), so a site's disks
hold minutes of frames instead of an hour. A partition the group never committed is left alone: its frames may
still be waiting for a worker. Brokers without DeleteRecords (the embedded Tansu drops the connection on it)
turn trimming off with one log line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.errors import KafkaConnectionError, UnsupportedVersionError

from streams.kafka.config import KafkaConfig
from streams.kafka.security import aiokafka_options

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class PartitionOffsets:
    """What the brokers and the group say of one partition of the frames topic."""

    low: int  # the log start offset: records below it are already gone
    end: int  # the offset the next record will get
    committed: int | None  # the detect group's next record to read; None: the group never committed here
    first_young: int | None  # the first record at or after the keep window's start; None: every record is older


def trim_point(offsets: PartitionOffsets) -> int | None:
    """The offset to delete below: nothing unread by the group, nothing within the keep window; None: no trim."""
    if offsets.committed is None:
        return None
    young = offsets.end if offsets.first_young is None else offsets.first_young
    point = min(offsets.committed, young, offsets.end)
    return point if point > offsets.low else None


class DeleteRecordsUnsupported(RuntimeError):
    """The brokers answered everything else but not DeleteRecords."""


class FrameTrimmer:
    """Every `every_s`, deletes the frames below each partition's trim point."""

    def __init__(self, kafka: KafkaConfig, bootstrap: str, topic: str, group: str) -> None:
        self.kafka = kafka
        self.bootstrap = bootstrap
        self.topic = topic
        self.group = group
        self._confirmed = False  # the brokers answered a DeleteRecords once

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`; a failed round (a broker outage) is retried next round, a broker without DeleteRecords
        ends the task."""
        failing = False
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.kafka.trim_frames_every_s)
                return
            except TimeoutError:
                pass
            try:
                trimmed = await self.trim_once()
            except DeleteRecordsUnsupported as exc:
                logger.info("frames trimming off: the brokers do not support DeleteRecords (%s)", exc)
                return
            except Exception as exc:  # an outage, or anything else: trimming is housekeeping, never fatal
                if not failing:  # once per streak, not every round
                    logger.warning(
                        "frames trimming failed (%r); retrying every %g s", exc, self.kafka.trim_frames_every_s
                    )
                failing = True
                continue
            failing = False
            if trimmed:
                logger.info("frames trimmed: %s", ", ".join(f"partition {p} from {o}" for p, o in trimmed.items()))

    async def trim_once(self) -> dict[int, int]:
        """One round: each trimmed partition's new log start offset. The first round also asks to delete below
        the low watermark where there is nothing to trim (a no-op), so a broker that advertises DeleteRecords
        but cannot do it (Tansu drops the connection) is found at once, not when frames first need trimming."""
        offsets = await self.read_offsets()
        points = {p: point for p, o in offsets.items() if (point := trim_point(o)) is not None}
        if not self._confirmed:
            points = {p: points.get(p, o.low) for p, o in offsets.items()}
        if not points:
            return {}
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap, request_timeout_ms=REQUEST_TIMEOUT_MS, **aiokafka_options(self.kafka)
        )
        await admin.start()
        try:
            request = {TopicPartition(self.topic, p): RecordsToDelete(before_offset=o) for p, o in points.items()}
            try:
                deleted = await admin.delete_records(request, timeout_ms=REQUEST_TIMEOUT_MS)
            except (KafkaConnectionError, UnsupportedVersionError, TimeoutError) as exc:
                if self._confirmed:
                    raise  # it worked before: an outage, retried next round
                raise DeleteRecordsUnsupported(repr(exc)) from exc  # the offsets above were answered
        finally:
            await admin.close()
        self._confirmed = True
        return {tp.partition: int(low) for tp, low in deleted.items() if int(low) > offsets[tp.partition].low}

    async def read_offsets(self) -> dict[int, PartitionOffsets]:
        """Low and end offsets, the group's commits and the keep window's first record, for every partition."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group,  # only to read the group's commits: it never subscribes, so it never joins
            enable_auto_commit=False,
            request_timeout_ms=REQUEST_TIMEOUT_MS,
            **aiokafka_options(self.kafka),
        )
        await consumer.start()
        try:
            partitions = await _partitions(consumer, self.topic)
            tps = [TopicPartition(self.topic, p) for p in partitions]
            low = await consumer.beginning_offsets(tps)
            end = await consumer.end_offsets(tps)
            since_ms = int((time.time() - self.kafka.trim_frames_keep_s) * 1000)
            young = await consumer.offsets_for_times(dict.fromkeys(tps, since_ms))
            result = {}
            for tp in tps:
                found = young.get(tp)
                result[tp.partition] = PartitionOffsets(
                    low=int(low[tp]),
                    end=int(end[tp]),
                    committed=await consumer.committed(tp),
                    first_young=None if found is None else int(found.offset),
                )
            return result
        finally:
            await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[int]:
    """The topic's partitions from full metadata (`consumer.topics()` leaves them empty on Kafka 4)."""
    metadata = await consumer._client.fetch_all_metadata()  # noqa: SLF001
    found = metadata.partitions_for_topic(topic)
    if not found:
        raise KafkaConnectionError(f"no partitions known for {topic}")
    return sorted(found)

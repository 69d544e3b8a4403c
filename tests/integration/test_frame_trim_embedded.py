"""Frames trimming on the embedded broker, which does not implement DeleteRecords: one log line, no crash."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streams.kafka.admin import ensure_topics
from streams.kafka.broker import EmbeddedBroker
from streams.kafka.config import KafkaConfig
from streams.kafka.trim import FrameTrimmer


async def _read_and_commit(bootstrap: str, topic: str, group: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for i in range(3):
            await producer.send_and_wait(topic, b"frame-%d" % i, key=b"cam")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.commit({TopicPartition(topic, 0): 3})  # the group read them: the trimmer wants them gone
    finally:
        await consumer.stop()


async def _run(trimmer: FrameTrimmer) -> None:
    stop = asyncio.Event()
    await asyncio.wait_for(trimmer.run(stop), timeout=60)  # returns by itself: trimming turned off


def test_trimming_turns_itself_off_on_a_broker_without_delete_records(
    broker: EmbeddedBroker, caplog: pytest.LogCaptureFixture
) -> None:
    kafka = KafkaConfig(topic_prefix="trim-embedded", partitions=1, trim_frames_every_s=0.2, trim_frames_keep_s=0)
    topic = ensure_topics(broker.bootstrap, kafka).frames
    asyncio.run(_read_and_commit(broker.bootstrap, topic, "trim-embedded"))
    with caplog.at_level(logging.INFO, logger="streams.kafka.trim"):
        asyncio.run(_run(FrameTrimmer(kafka, broker.bootstrap, topic, "trim-embedded")))
    lines = [r.getMessage() for r in caplog.records if r.name == "streams.kafka.trim"]
    assert len(lines) == 1 and lines[0].startswith("frames trimming off"), lines

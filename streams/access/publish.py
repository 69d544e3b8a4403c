"""Puts received access events (and refused bodies, as dead letters) on the bus with an acknowledged send."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaProducer

from detectors.access.types import AccessEvent
from streams.kafka.config import KafkaConfig
from streams.kafka.producer import delivery_options
from streams.kafka.security import aiokafka_options
from streams.records import DeadLetter, encode_model
from streams.topics import TopicNames

logger = logging.getLogger(__name__)


class AccessPublisher:
    def __init__(self, bootstrap: str, kafka: KafkaConfig, topics: TopicNames) -> None:
        self.topics = topics
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, linger_ms=0, **delivery_options(kafka), **aiokafka_options(kafka)
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, event: AccessEvent) -> None:
        """Returns once the broker has the event, so the receiver answers 200 only for what is stored."""
        await self._producer.send_and_wait(self.topics.access, encode_model(event), key=event.door_id.encode())

    async def dead_letter(self, reason: str, body: bytes) -> None:
        record = DeadLetter.of("access-receiver", reason, self.topics.access, body)
        try:
            await self._producer.send_and_wait(self.topics.deadletter, encode_model(record))
        except Exception as exc:  # the device already has its 4xx; losing the copy must not fail the request
            logger.warning("refused access body not dead-lettered: %s", exc)

"""Replay workers that start in milliseconds: every partition assigned directly instead of joining a group.

A worker joins its consumer group before it consumes anything, and brokers hold a new group's join open
for a while so that the other members can arrive (the embedded Tansu broker holds it for half the session
timeout: 15 s with the defaults). A replay worker that is the only consumer of its topics (the embedded
broker, or a topic prefix of its own) has nobody to wait for, so it takes every partition of its topics
with `assign()` and tells Faust they were assigned, exactly as a rebalance would. Offsets are still
committed under the worker's group id, so a second replay carries on where the first one stopped.

Live workers keep the group protocol: several processes split the cameras and take over from each other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import faust.transport.drivers.aiokafka as faust_aiokafka
from aiokafka import TopicPartition
from faust.tables.manager import TableManager

logger = logging.getLogger(__name__)

STATIC_ASSIGNMENT_ATTR = "sentinel_static_assignment"
METADATA_WAIT_S = 10.0  # topics are created before the worker starts; this only covers a slow broker

_original_subscribe = faust_aiokafka.AIOKafkaConsumerThread.subscribe


async def _subscribe(self: faust_aiokafka.AIOKafkaConsumerThread, topics: Iterable[str]) -> None:
    """Faust subscribes once its agents are up; a static worker assigns itself the partitions instead."""
    if not getattr(self.app, STATIC_ASSIGNMENT_ATTR, False):
        await _original_subscribe(self, topics)
        return
    await self.call_thread(_assign_all, self, frozenset(topics))


async def _assign_all(thread: faust_aiokafka.AIOKafkaConsumerThread, topics: frozenset[str]) -> None:
    consumer = thread._ensure_consumer()  # noqa: SLF001 - Faust's own accessor for its aiokafka consumer
    partitions = await _partitions_of(consumer, topics)
    consumer.assign(partitions)
    logger.info("static assignment of %d partition(s) of %s", len(partitions), sorted(topics))
    # As a rebalance would, but after subscribe() returns: Faust's assignment handler waits for it to finish.
    listener = thread._rebalance_listener  # noqa: SLF001
    task = asyncio.get_running_loop().create_task(listener.on_partitions_assigned(partitions))
    _pending.add(task)
    task.add_done_callback(_assigned)


_pending: set[asyncio.Task[None]] = set()  # a running task needs a reference somewhere


def _assigned(task: asyncio.Task[None]) -> None:
    _pending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("partition assignment failed", exc_info=task.exception())


async def _partitions_of(consumer: Any, topics: frozenset[str]) -> set[TopicPartition]:
    """Every partition of `topics`, waiting (briefly) for metadata of topics created just now."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + METADATA_WAIT_S
    while True:
        await consumer._client.force_metadata_update()  # noqa: SLF001 - fresh metadata, not the cached copy
        found = {topic: consumer.partitions_for_topic(topic) for topic in topics}
        missing = sorted(topic for topic, parts in found.items() if not parts)
        if not missing:
            return {TopicPartition(topic, p) for topic, parts in found.items() for p in parts or ()}
        if loop.time() > deadline:
            raise RuntimeError(f"topics {missing} have no partitions after {METADATA_WAIT_S:.0f} s")
        await asyncio.sleep(0.05)


faust_aiokafka.AIOKafkaConsumerThread.subscribe = _subscribe  # type: ignore[method-assign]


class PromptTableManager(TableManager):
    """Faust's table manager without its fixed 1 s start-up pause (it lets tables register; we have none)."""

    async def on_start(self) -> None:
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()

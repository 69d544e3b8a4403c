"""A partition assigned again is fetched in order from its committed offset (streams/kafka/read_offsets.py).

Faust's own fetch loop (`Consumer._drain_messages`) and rebalance callbacks run here; only the broker is replaced
by a scripted `getmany`. The rebalance lands while the loop hands a record to the agents, as it did on Apache
Kafka when a frozen worker woke: the worker that kept the partition then dropped the records between its committed
offset and that record, and its rules stage missed them for good (issue 14).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any
from unittest import mock

import pytest
from aiokafka import TopicPartition
from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP

from streams.app import Role, create_app
from streams.config import SiteConfig
from streams.kafka import read_offsets

TRACKS = TP("t.tracks", 0)


class _Fetcher:
    """What the fetch loop asks whether to go on."""

    def __init__(self) -> None:
        self._stopped = asyncio.Event()


async def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def _feeder(fetcher: _Fetcher, offsets: range) -> Callable[[float], AsyncIterator[tuple[TP, Any]]]:
    async def getmany(timeout: float) -> AsyncIterator[tuple[TP, Any]]:
        for offset in offsets:
            yield TRACKS, mock.MagicMock(offset=offset, topic=TRACKS.topic, tp=TRACKS)
        fetcher._stopped.set()

    return getmany


async def _delivered_after_rebalance() -> list[int]:
    app = create_app(SiteConfig(), "127.0.0.1:1", frozenset({Role.RULES}))
    app._start_span_from_rebalancing = mock.MagicMock()  # type: ignore[method-assign]
    consumer = app.consumer
    consumer._on_partitions_assigned = _noop  # the app's side of the rebalance is not under test
    consumer._on_partitions_revoked = _noop
    await consumer.on_partitions_assigned({TRACKS})

    delivered: list[int] = []

    async def agents(message: Any) -> None:
        delivered.append(message.offset)
        if message.offset == 545:  # the group rebalances while the loop hands this record over
            await consumer.on_partitions_revoked({TRACKS})

    consumer.callback = agents
    before = _Fetcher()
    consumer.getmany = _feeder(before, range(520, 546))
    await consumer._drain_messages(before)
    # The agents took 520..529 in and committed 530; 530..545 were still queued and the revoke cleared them.
    await consumer.on_partitions_assigned({TRACKS})  # the same partition back to this worker
    delivered.clear()
    after = _Fetcher()
    consumer.getmany = _feeder(after, range(530, 551))  # the fetcher starts at the committed offset
    await consumer._drain_messages(after)
    return delivered


def test_a_partition_assigned_again_is_delivered_from_its_committed_offset() -> None:
    assert asyncio.run(_delivered_after_rebalance()) == list(range(530, 551)), "none dropped, in order"


def test_without_the_fix_faust_drops_the_records_before_the_stale_read_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The race itself, so the test above cannot pass for another reason."""
    monkeypatch.setattr(Consumer, "on_partitions_assigned", read_offsets._original_assigned)
    assert asyncio.run(_delivered_after_rebalance()) == list(range(545, 551)), "530..544 dropped"


class _Aiokafka:
    """The aiokafka consumer as Faust's fetch thread sees it: the committed offsets, and the seeks asked of it."""

    def __init__(self, committed: dict[TopicPartition, int | None]) -> None:
        self.committed = committed
        self.to_beginning: list[TopicPartition] = []

    async def seek_to_committed(self) -> dict[TopicPartition, int | None]:
        return dict(self.committed)  # aiokafka seeks only the partitions with an offset above 0

    async def seek_to_beginning(self, *partitions: TopicPartition) -> bool:
        self.to_beginning += partitions
        return True


def _rewound_by_faust_seek(committed: dict[TopicPartition, int | None]) -> tuple[list[TopicPartition], Any]:
    """Faust's own seek back to the committed offsets (what it does with records fetched while its flow is
    stopped), run against a scripted aiokafka consumer in place of the fetch thread's."""
    app = create_app(SiteConfig(), "127.0.0.1:1", frozenset({Role.RULES}))
    consumer = app.consumer
    fake = _Aiokafka(committed)
    thread = consumer._thread
    thread._ensure_consumer = lambda: fake  # type: ignore[method-assign]

    async def in_place(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await method(*args, **kwargs)  # the consumer thread's own event loop is not under test

    thread.call_thread = in_place  # type: ignore[method-assign]
    asyncio.run(consumer.perform_seek())
    return fake.to_beginning, consumer._read_offset


ALERTS = [TopicPartition("t.alerts", p) for p in range(3)]


def test_partitions_with_no_committed_offset_are_read_again_from_their_beginning() -> None:
    """Records Faust dropped while its flow was stopped are read again where nobody committed yet (the
    Kafka tier: a worker taking over an alerts partition read on from offset 3; those alert steps were never sent)."""
    to_beginning, read = _rewound_by_faust_seek({ALERTS[0]: 17, ALERTS[1]: None, ALERTS[2]: 0})
    assert to_beginning == [ALERTS[1], ALERTS[2]], "only the partitions without a committed offset"
    assert read[TP("t.alerts", 1)] is None, "and nothing is dropped as read already"


def test_without_the_fix_a_partition_with_no_committed_offset_is_left_where_the_fetcher_got_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(AIOKafkaConsumerThread, "seek_to_committed", read_offsets._original_seek_to_committed)
    to_beginning, _ = _rewound_by_faust_seek({ALERTS[0]: 17, ALERTS[1]: None})
    assert to_beginning == []

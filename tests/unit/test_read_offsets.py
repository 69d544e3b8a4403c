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
from faust.transport.consumer import Consumer
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

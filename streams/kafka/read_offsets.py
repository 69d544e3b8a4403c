"""Where Faust reads a partition from after a rebalance: in order, and from the committed offset or the start.

Faust's fetch loop drops a fetched record whose offset is below the partition's "read offset" (the last offset it
handed to the agents), so that records fetched again after a seek are not delivered twice. On a rebalance the
consumer first forgets the read offsets of the revoked partitions and only then stops the fetch loop; a record the
loop was delivering at that moment sets the read offset again afterwards, to an offset whose record the revoke
then clears from the agents' queues unprocessed. When the partition comes back to the same worker, Faust resumes
fetching while it seeks to the committed offset: records fetched in that window below the stale read offset are
dropped and the ones after it are delivered, before the seek takes the partition back to the committed offset and
the dropped ones arrive, late. An agent then sees a partition out of order (offsets 546.., then 530..).

The stage checkpoints (`streams/stages/checkpoints.py`) reload a camera's saved state on any jump in offsets and
skip records at or behind the state's last frame as repeats: fed 546.. before 530..545, the rules stage took the
later frames in and skipped the earlier ones, so its state missed them for good and the camera's alerts differed
from an uninterrupted run (issue 14: after a worker frozen past its session, 1 run in 7 notified 30 of 32 alert
steps, person #46's incident on the camera the survivor kept never raised).

The fix: a partition assigned to this worker starts with no read offset, as on its first assignment. Records
fetched before the seek are then delivered (from the committed offset, where the fetcher starts too) and again
after it: in order each time, and the repeats are skipped by the stages.

A second hole, in the same place: a partition with no committed offset yet. Faust's answer to records fetched
while its flow is stopped (a rebalance under way: "getmany called while flow not active") is to drop them and seek
every partition back to its committed offset; aiokafka seeks only where an offset was committed, so a partition
nobody had committed yet stayed where the dropped records had taken the fetcher. Seen on Apache Kafka (Kafka tier,
a worker cut off from the brokers; 3 runs in 19 with the cut worker starved of CPU): the cut worker had
delivered offset 0 of its alerts partition and committed nothing; the worker that took the partition over had no
committed offset to go back to and read on from offset 3 (another run: 5), and those alert steps were never sent.
The fix: after that seek, partitions with no committed offset are sent back to their beginning (the app's
`consumer_auto_offset_reset` is "earliest": where a new consumer starts anyway); the records read again are
skipped as repeats by the stages and by the alert store.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

logger = logging.getLogger(__name__)

_original_assigned: Callable[..., Awaitable[None]] = Consumer.on_partitions_assigned
_original_seek_to_committed: Callable[..., Awaitable[Mapping[Any, int]]] = AIOKafkaConsumerThread.seek_to_committed


async def _assigned_without_stale_read_offsets(self: Consumer, assigned: set[Any], generation_id: int = 0) -> None:
    """Forget every read offset of the assigned partitions before Faust resumes fetching them."""
    for tp in assigned:
        self._read_offset.pop(tp, None)
    await _original_assigned(self, assigned, generation_id)


async def _seek_to_committed_or_beginning(self: AIOKafkaConsumerThread) -> Mapping[Any, int]:
    """Faust's seek back to the committed offsets; partitions with none go back to their beginning."""
    committed = await _original_seek_to_committed(self)
    if self.app.conf.consumer_auto_offset_reset == "earliest":
        uncommitted = [tp for tp, offset in committed.items() if not offset]  # None, or 0: aiokafka left both
        if uncommitted:
            logger.debug("no committed offset: reading %s from the beginning", uncommitted)
            await self.seek_to_beginning(*uncommitted)
    return committed


def install() -> None:
    """Applied once, when the Faust app module is imported (streams.app)."""
    if Consumer.on_partitions_assigned is not _assigned_without_stale_read_offsets:
        Consumer.on_partitions_assigned = _assigned_without_stale_read_offsets  # type: ignore[method-assign]
    if AIOKafkaConsumerThread.seek_to_committed is not _seek_to_committed_or_beginning:
        AIOKafkaConsumerThread.seek_to_committed = _seek_to_committed_or_beginning  # type: ignore[method-assign]

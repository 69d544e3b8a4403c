"""Faust forgets where it read a partition up to when the partition is assigned again (a reordering fix).

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
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faust.transport.consumer import Consumer

_original_assigned: Callable[..., Awaitable[None]] = Consumer.on_partitions_assigned


async def _assigned_without_stale_read_offsets(self: Consumer, assigned: set[Any], generation_id: int = 0) -> None:
    """Forget every read offset of the assigned partitions before Faust resumes fetching them."""
    for tp in assigned:
        self._read_offset.pop(tp, None)
    await _original_assigned(self, assigned, generation_id)


def install() -> None:
    """Applied once, when the Faust app module is imported (streams.app)."""
    if Consumer.on_partitions_assigned is not _assigned_without_stale_read_offsets:
        Consumer.on_partitions_assigned = _assigned_without_stale_read_offsets  # type: ignore[method-assign]

"""Live ingest hand-over: when the sender falls behind, the oldest frames go and are counted."""

from __future__ import annotations

import numpy as np
import pytest

from streams.ingest import CapturedFrame, DropOldestBuffer

IMAGE = np.zeros((2, 2, 3), np.uint8)


@pytest.mark.parametrize(("capacity", "produced", "kept_from", "dropped"), [(3, 2, 0, 0), (3, 5, 2, 2), (1, 4, 3, 3)])
def test_drop_oldest(capacity: int, produced: int, kept_from: int, dropped: int) -> None:
    buffer = DropOldestBuffer(capacity)
    for ts in range(produced):
        buffer.put(CapturedFrame(ts=float(ts), image=IMAGE))
    assert buffer.dropped == dropped
    got = []
    while (item := buffer.get(timeout=0.01)) is not None:
        got.append(item.ts)
    assert got == [float(t) for t in range(kept_from, produced)], "newest frames kept, in order"


def test_get_returns_none_when_closed_and_empty() -> None:
    buffer = DropOldestBuffer(2)
    buffer.close()
    assert buffer.get(timeout=5) is None

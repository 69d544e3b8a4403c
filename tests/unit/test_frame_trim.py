"""Where frames trimming cuts a partition: below what the detect group read and outside the keep window."""

from __future__ import annotations

import pytest

from streams.kafka.trim import PartitionOffsets, trim_point


@pytest.mark.parametrize(
    ("offsets", "expected"),
    [
        (PartitionOffsets(low=0, end=100, committed=80, first_young=90), 80),  # unread frames stay
        (PartitionOffsets(low=0, end=100, committed=95, first_young=90), 90),  # young frames stay though read
        (PartitionOffsets(low=0, end=100, committed=100, first_young=None), 100),  # all read, all old: all go
        (PartitionOffsets(low=0, end=100, committed=None, first_young=None), None),  # never committed: untouched
        (PartitionOffsets(low=80, end=100, committed=80, first_young=None), None),  # already trimmed there
        (PartitionOffsets(low=80, end=100, committed=95, first_young=70), None),  # the window starts below low
        (PartitionOffsets(low=0, end=0, committed=0, first_young=None), None),  # an empty partition
    ],
)
def test_trim_point(offsets: PartitionOffsets, expected: int | None) -> None:
    assert trim_point(offsets) == expected

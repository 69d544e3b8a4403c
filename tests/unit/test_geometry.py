"""Box overlap measures shared by slicing, continuity and the recall scoring."""

from __future__ import annotations

import pytest

from detectors.geometry import Box


def box(x1: float, y1: float, x2: float, y2: float) -> Box:
    return Box(x1=x1, y1=y1, x2=x2, y2=y2)


@pytest.mark.parametrize(
    ("a", "b", "iou", "overlap"),
    [
        (box(0, 0, 10, 10), box(0, 0, 10, 10), 1.0, 1.0),  # the same box
        (box(0, 0, 10, 10), box(20, 20, 30, 30), 0.0, 0.0),  # apart
        (box(0, 0, 10, 10), box(10, 0, 20, 10), 0.0, 0.0),  # touching edges share no area
        (box(0, 0, 10, 10), box(5, 0, 15, 10), 50 / 150, 0.5),  # half of each
        (box(0, 0, 20, 20), box(5, 5, 10, 10), 25 / 400, 1.0),  # one inside the other
        (box(0, 0, 0, 10), box(0, 0, 10, 10), 0.0, 0.0),  # a degenerate box has no area to share
    ],
)
def test_iou_and_overlap(a: Box, b: Box, iou: float, overlap: float) -> None:
    assert a.iou(b) == pytest.approx(iou)
    assert b.iou(a) == pytest.approx(iou)
    assert a.overlap(b) == pytest.approx(overlap)
    assert b.overlap(a) == pytest.approx(overlap)

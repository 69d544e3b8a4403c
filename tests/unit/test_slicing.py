"""Tiles cover the frame with the overlap asked for; the merge keeps one box per object across tiles."""

from __future__ import annotations

import pytest

from detectors.geometry import Box
from detectors.types import Detection, ObjectClass
from detectors.vision.slicing import SlicingConfig, merge, shifted, tiles


@pytest.mark.parametrize(("rows", "cols", "overlap"), [(2, 2, 0.2), (1, 3, 0.25), (3, 2, 0.0)])
def test_tiles_cover_the_frame_with_overlap(rows: int, cols: int, overlap: float) -> None:
    config = SlicingConfig(rows=rows, cols=cols, overlap=overlap)
    rects = tiles(1920, 1080, config)
    assert len(rects) == rows * cols
    assert min(r[0] for r in rects) == 0 and min(r[1] for r in rects) == 0
    assert max(r[2] for r in rects) == 1920 and max(r[3] for r in rects) == 1080
    row = sorted({r[0] for r in rects})
    if len(row) > 1:
        width = rects[0][2] - rects[0][0]
        assert row[1] == pytest.approx(width * (1 - overlap), abs=1)  # neighbours overlap by that fraction


def person(x1: float, y1: float, x2: float, y2: float, score: float = 0.8) -> Detection:
    return Detection(cls=ObjectClass.PERSON, box=Box(x1=x1, y1=y1, x2=x2, y2=y2), confidence=score)


def test_merge_keeps_one_box_per_object() -> None:
    config = SlicingConfig()
    whole = person(100, 100, 140, 220, 0.9)
    seen_twice = person(101, 99, 141, 221, 0.7)  # the same person from the overlapping tile
    cut_off = person(100, 100, 140, 150, 0.6)  # the half a tile edge cut off
    other = person(400, 100, 440, 220, 0.5)
    car = Detection(cls=ObjectClass.CAR, box=Box(x1=90, y1=90, x2=150, y2=230), confidence=0.6)  # other class: kept
    kept = merge([[whole, other], [seen_twice, cut_off, car]], config)
    assert kept == [whole, car, other]


def test_shifted_moves_tile_boxes_to_frame_pixels() -> None:
    moved = shifted(person(10, 20, 30, 60), 640, 360)
    assert moved.box == Box(x1=650, y1=380, x2=670, y2=420)

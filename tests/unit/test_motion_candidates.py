"""Weak person boxes kept only where something moved (`cameras[].detector.candidates`), on constructed boxes."""

from __future__ import annotations

import pytest

from detectors.geometry import Box
from detectors.types import Detection, ObjectClass
from detectors.vision.motion_candidates import CandidateConfig, motion_agreeing, moving_share

BOX = Box(x1=100, y1=100, x2=120, y2=160)  # a 60 px person, 1200 px^2
BLOB_ON = Box(x1=105, y1=100, x2=125, y2=160)  # covers 15 of its 20 px width: 0.75
BLOB_THIRD = Box(x1=114, y1=100, x2=140, y2=160)  # covers 6 px: 0.3
BLOB_EDGE = Box(x1=118, y1=100, x2=140, y2=160)  # covers 2 px: 0.1, the edge of a neighbour's blob
BLOB_AWAY = Box(x1=400, y1=100, x2=420, y2=160)


@pytest.mark.parametrize(
    ("cls", "score", "moving", "kept"),
    [
        (ObjectClass.PERSON, 0.30, [], True),  # a candidate wherever it is
        (ObjectClass.PERSON, 0.10, [], True),  # min_score itself counts
        (ObjectClass.PERSON, 0.07, [BLOB_ON], True),  # weak but moving
        (ObjectClass.PERSON, 0.07, [BLOB_THIRD], True),  # 30 % covered: motion_overlap itself counts
        (ObjectClass.PERSON, 0.07, [BLOB_EDGE], False),  # 10 %: a neighbour passing by
        (ObjectClass.PERSON, 0.07, [], False),  # weak and still: clutter
        (ObjectClass.PERSON, 0.07, [BLOB_AWAY], False),  # something moved elsewhere
        (ObjectClass.PERSON, 0.04, [BLOB_ON], False),  # under motion_min_score, moving or not
        (ObjectClass.PERSON, 0.05, [BLOB_AWAY, BLOB_ON], True),  # any one blob will do
        (ObjectClass.CAR, 0.07, [], True),  # other classes pass unchanged
    ],
)
def test_weak_person_boxes_count_only_where_something_moved(
    cls: ObjectClass, score: float, moving: list[Box], kept: bool
) -> None:
    found = [Detection(cls=cls, box=BOX, confidence=score)]
    assert motion_agreeing(found, moving, CandidateConfig()) == (found if kept else [])


@pytest.mark.parametrize(
    ("box", "moving", "share"),
    [
        (BOX, [], 0.0),
        (BOX, [BLOB_ON], 0.75),
        (BOX, [BLOB_EDGE], 0.1),
        (BOX, [BLOB_EDGE, BLOB_THIRD], 0.3),  # the best blob, not a sum
        (BOX, [Box(x1=0, y1=0, x2=500, y2=500)], 1.0),
        (Box(x1=10, y1=10, x2=10, y2=40), [BLOB_ON], 0.0),  # an empty box
    ],
)
def test_moving_share_is_the_best_blob_cover_of_the_box(box: Box, moving: list[Box], share: float) -> None:
    assert moving_share(box, moving) == pytest.approx(share)


def test_the_motion_floor_may_not_be_above_the_candidate_score() -> None:
    with pytest.raises(ValueError, match="motion_min_score"):
        CandidateConfig(min_score=0.1, motion_min_score=0.2)

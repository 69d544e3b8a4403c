"""Scoring person detections against hand labels: matching, ignore regions, small people, the labels file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from detectors.geometry import Box
from detectors.types import Detection, ObjectClass
from detectors.vision.person_recall import FrameLabels, Score, load_labels, score_frame

LABELS = Path(__file__).resolve().parents[1] / "data" / "person_labels.json"
TALL = [100, 100, 140, 200]  # 100 px tall
SMALL = [300, 100, 315, 140]  # 40 px tall
SHOP_WINDOW = [500, 0, 700, 200]


def found(
    x1: float, y1: float, x2: float, y2: float, conf: float = 0.8, cls: ObjectClass = ObjectClass.PERSON
) -> Detection:
    return Detection(cls=cls, box=Box(x1=x1, y1=y1, x2=x2, y2=y2), confidence=conf)


def frame(people: list[list[int]], ignore: list[list[int]] | None = None) -> FrameLabels:
    return FrameLabels.model_validate({"clip": "c.mp4", "frame": 0, "people": people, "ignore": ignore or []})


@pytest.mark.parametrize(
    ("detections", "people", "expected"),
    [
        ([found(*TALL)], [TALL, SMALL], dict(found=1, small_found=0, false_people=0, missed=1)),
        ([found(*TALL), found(*SMALL)], [TALL, SMALL], dict(found=2, small_found=1, false_people=0, missed=0)),
        # a box shifted by a third of the person's width still counts (IoU 0.5); shifted by half it does not
        ([found(110, 100, 150, 200)], [TALL], dict(found=1, false_people=0)),
        ([found(120, 100, 160, 200)], [TALL], dict(found=0, false_people=1, missed=1)),
        # two boxes on one person: the stronger one matches, the other is a false person
        ([found(*TALL, conf=0.5), found(101, 101, 141, 199, conf=0.9)], [TALL], dict(found=1, false_people=1)),
        # a car on a person is not a person
        ([found(*TALL, cls=ObjectClass.CAR)], [TALL], dict(found=0, false_people=0, missed=1)),
        # a mannequin in the shop window counts neither way; half outside the window it is a false person
        ([found(550, 50, 600, 150)], [], dict(ignored=1, false_people=0)),
        ([found(660, 50, 760, 150)], [], dict(ignored=0, false_people=1)),
    ],
)
def test_score_frame(detections: list[Detection], people: list[list[int]], expected: dict[str, int]) -> None:
    score = score_frame(detections, frame(people, [SHOP_WINDOW]))
    for key, value in expected.items():
        actual = len(score.missed) if key == "missed" else getattr(score, key)
        assert actual == value, (key, score)


def test_scores_add_up_and_ratios_are_undefined_without_people() -> None:
    empty = Score()
    assert empty.recall is None and empty.precision is None and empty.small_recall is None
    total = score_frame([found(*TALL)], frame([TALL])) + score_frame([found(*SMALL)], frame([]))
    assert (total.people, total.found, total.false_people) == (1, 1, 1)
    assert total.recall == 1.0 and total.precision == 0.5


def test_labels_file_is_valid_and_names_every_clip_it_uses() -> None:
    labels = load_labels(LABELS)
    assert {f.clip for f in labels.frames} == {
        "street_people_1080p.mp4",
        "virat_plaza_people_seated.avi",
        "residential_street_parked_cars.mp4",
    }
    assert sum(len(f.people) for f in labels.frames) >= 30
    with pytest.raises(ValidationError, match="corners out of order"):
        frame([[10, 10, 0, 0]])

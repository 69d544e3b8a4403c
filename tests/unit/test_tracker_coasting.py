"""`tracker.coast_s`: a confirmed track missed for a few frames stays in the output at its predicted box."""

from __future__ import annotations

import pytest

from detectors.config import TrackerConfig
from detectors.geometry import Box
from detectors.types import Detection, ObjectClass, TrackedObject
from detectors.vision.tracking import CameraTracker


def walker(step: int) -> list[Detection]:
    box = Box(x1=100 + 5 * step, y1=100, x2=130 + 5 * step, y2=180)
    return [Detection(cls=ObjectClass.PERSON, box=box, confidence=0.8)]


def run(coast_s: float, seen: int, frames: int) -> list[list[TrackedObject]]:
    tracker = CameraTracker(TrackerConfig(coast_s=coast_s), fps=5.0)
    out = []
    for i in range(frames):
        objects = tracker.update(walker(i) if i < seen else [])
        assert tracker.coasting == ({o.track_id for o in objects} if i >= seen else set())  # crops skip them
        out.append(objects)
    return out


def test_a_lost_walker_coasts_for_coast_s_at_the_predicted_box_with_half_the_score() -> None:
    out = run(0.4, seen=3, frames=6)
    last = out[2][0]
    coasting = [frame[0] for frame in out[3:5]]
    assert [o.track_id for o in coasting] == [last.track_id] * 2
    assert all(o.cls is ObjectClass.PERSON and o.confidence == pytest.approx(0.4) for o in coasting)
    assert last.box.x1 < coasting[0].box.x1 < coasting[1].box.x1  # moving on as it walked
    assert out[5] == []  # 0.4 s at 5 fps: two frames


def test_without_coasting_a_missed_walker_leaves_the_output_at_once() -> None:
    assert run(0.0, seen=3, frames=4)[3] == []

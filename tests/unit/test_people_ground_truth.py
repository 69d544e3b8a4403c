"""Crop planning, candidate confirmation and the ground-truth scoring, on constructed boxes."""

from __future__ import annotations

import numpy as np

from detectors.config import PersonVehicleBikeModelConfig
from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject
from detectors.vision.confirmation import CandidateConfirmation, ConfirmConfig
from detectors.vision.crops import CropConfig, moving_boxes, plan_crops, track_interest
from detectors.vision.ground_truth import score_frame, score_tracks, walks
from detectors.vision.model import BACKENDS
from detectors.vision.omz_openvino import PersonVehicleBikeDetector
from streams.config import DetectorConfig


def person(track_id: int, x: float, y: float = 100.0, h: float = 50.0, score: float = 0.2) -> TrackedObject:
    return TrackedObject(
        track_id=track_id, cls=ObjectClass.PERSON, box=Box(x1=x, y1=y, x2=x + h / 3, y2=y + h), confidence=score
    )


def test_crops_cover_every_small_box_of_interest_within_the_frame() -> None:
    interest = [Box(x1=10, y1=10, x2=30, y2=60), Box(x1=40, y1=20, x2=60, y2=70), Box(x1=1200, y1=650, x2=1220, y2=710)]
    windows = plan_crops(interest, (1280, 720), (432, 240), max_crops=3)
    assert len(windows) == 2  # the two neighbours share a window
    for x1, y1, x2, y2 in windows:
        assert (x2 - x1, y2 - y1) == (432, 240) and 0 <= x1 and x2 <= 1280 and 0 <= y1 and y2 <= 720
    for box in interest:
        cx, cy = box.center()
        assert any(x1 <= cx <= x2 and y1 <= cy <= y2 for x1, y1, x2, y2 in windows), box


def test_crops_stop_at_the_limit_and_leave_large_boxes_to_the_whole_frame() -> None:
    spread = [Box(x1=x, y1=300, x2=x + 20, y2=350) for x in range(0, 1280, 250)]
    assert len(plan_crops(spread, (1280, 720), (432, 240), max_crops=2)) == 2
    assert plan_crops([Box(x1=0, y1=0, x2=500, y2=400)], (1280, 720), (432, 240), max_crops=3) == []


def test_a_walker_is_a_moving_blob_and_noise_is_not() -> None:
    rng = np.random.default_rng(1)
    before = rng.integers(100, 104, (360, 640), dtype=np.uint8)
    after = before.copy()
    after[100:130, 200:210] = 200  # a small figure where there was ground
    boxes = moving_boxes(before, after, 1280, CropConfig())
    assert len(boxes) == 1 and boxes[0].x1 <= 400 <= boxes[0].x2 and boxes[0].y1 <= 200 <= boxes[0].y2
    assert moving_boxes(before, before + 2, 1280, CropConfig()) == []


def test_live_tracks_are_grown_towards_their_next_step() -> None:
    (grown,) = track_interest([Box(x1=100, y1=100, x2=120, y2=160)], 0.5)
    assert (grown.x1, grown.x2, grown.y2) == (70, 150, 160)


def test_a_weak_candidate_counts_once_it_walks_and_clutter_never() -> None:
    confirm = CandidateConfirmation(ConfirmConfig(min_frames=3, strong_score=0.35, min_move_ratio=0.5))
    shown = []
    for step in range(6):
        frame = [person(1, 100 + 12 * step), person(2, 600)]  # 1 walks at a weak score, 2 is a static weak box
        shown.append({o.track_id for o in confirm.filter(frame)})
    assert shown[:2] == [set(), set()]  # nothing before min_frames
    assert 1 in shown[3] and all(2 not in s for s in shown)
    assert 1 in shown[5]  # confirmed stays confirmed


def test_one_strong_detection_confirms_a_standing_person_and_vehicles_pass() -> None:
    confirm = CandidateConfirmation(ConfirmConfig(min_frames=2))
    car = TrackedObject(track_id=9, cls=ObjectClass.CAR, box=Box(x1=0, y1=0, x2=90, y2=40), confidence=0.1)
    assert confirm.filter([person(3, 50, score=0.6), car]) == [car]
    assert {o.track_id for o in confirm.filter([person(3, 50), car])} == {3, 9}


def test_frame_scoring_by_size_bin() -> None:
    truth = [Box(x1=0, y1=0, x2=10, y2=30), Box(x1=100, y1=0, x2=120, y2=60), Box(x1=300, y1=0, x2=340, y2=120)]
    found = [(Box(x1=101, y1=1, x2=121, y2=61), 0.9), (Box(x1=500, y1=0, x2=520, y2=50), 0.5)]
    counts = score_frame(found, truth)
    assert (counts.bins["40-90 px"].people, counts.bins["40-90 px"].found, counts.bins["40-90 px"].false) == (1, 1, 1)
    assert counts.bins["< 40 px"].recall == 0 and counts.bins[">= 90 px"].found == 0
    assert counts.total.recall == 1 / 3 and counts.total.precision == 0.5


def test_track_scoring_counts_coverage_and_switches() -> None:
    walk = {f: Box(x1=10 * f, y1=0, x2=10 * f + 20, y2=60) for f in range(10)}
    truth = {f: {7: walk[f]} for f in range(10)}
    ours = {f: ({1: walk[f]} if f < 4 else {2: walk[f]} if f >= 6 else {}) for f in range(10)}
    score = score_tracks(truth, ours, fps=5.0)
    (p,) = score.people
    assert (p.frames, p.covered, p.main_track, p.switches) == (10, 8, 4, 1)
    assert p.walks and p.coverage == 0.8 and p.switches_per_minute == 1 / (2 / 60)
    assert abs(score.idf1 - 8 / 18) < 1e-9  # 4 frames on the best track: 2 x 4 / (10 people + 8 ours)


def test_standing_still_is_not_walking() -> None:
    assert not walks([Box(x1=100 + i % 2, y1=0, x2=120, y2=60) for i in range(20)])


def test_omz_outputs_become_our_detections_at_the_boundary() -> None:
    from detectors.vision.omz_openvino import convert

    boxes = np.array([[10, 10, 20, 40, 0.9], [0, 0, 86.4, 48, 0.5], [5, 5, 9, 9, 0.8], [30, 30, 30, 50, 0.9]])
    labels = np.array([1, 0, 2, 1])  # person, vehicle, bike (dropped), empty box (dropped)
    found = convert(boxes, labels, 2.0, 1.5, 1728, 720, confidence=0.4)
    assert [(d.cls, d.box.as_list()) for d in found] == [
        (ObjectClass.PERSON, [20.0, 15.0, 40.0, 60.0]),
        (ObjectClass.CAR, [0.0, 0.0, 172.8, 72.0]),
    ]
    assert convert(boxes, labels, 1.0, 1.0, 864, 480, confidence=0.95) == []


def test_the_omz_backend_is_chosen_by_type_in_the_site_config() -> None:
    model = DetectorConfig.model_validate(
        {"model": {"type": "person_vehicle_bike", "imgsz": 1280, "input_height": 720}}
    )
    assert isinstance(model.model, PersonVehicleBikeModelConfig)
    assert BACKENDS[type(model.model)] is PersonVehicleBikeDetector

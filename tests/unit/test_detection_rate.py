"""The adaptive detection rate policy: full rate for people moving or new near cars, a low rate for distant walkers."""

from __future__ import annotations

import pickle

from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject
from detectors.vision.detection_rate import DetectionRate, DetectionRateConfig, RateState

CONFIG = DetectionRateConfig(enabled=True, calm_interval_s=1.0, young_track_s=2.0)
CAR = TrackedObject(track_id=1, cls=ObjectClass.CAR, box=Box(x1=100, y1=300, x2=300, y2=400), confidence=0.9)


def person(track_id: int, x: float, y: float = 300.0, height: float = 100.0) -> TrackedObject:
    box = Box(x1=x, y1=y, x2=x + height / 3, y2=y + height)
    return TrackedObject(track_id=track_id, cls=ObjectClass.PERSON, box=box, confidence=0.9)


def settle(rate: DetectionRate, objects_at: list[tuple[float, list[TrackedObject]]]) -> RateState:
    state = rate.state
    for ts, objects in objects_at:
        state = rate.looked(ts, objects)
    return state


def test_a_new_stream_starts_at_full_rate() -> None:
    rate = DetectionRate(CONFIG)
    assert rate.state is RateState.HOT
    assert rate.wants_look(0.0) and rate.wants_look(0.04)


def test_parked_cars_and_a_still_person_leave_the_motion_gate_in_charge() -> None:
    rate = DetectionRate(CONFIG)
    still = [CAR, person(7, 1000.0)]
    state = settle(rate, [(t / 5, still) for t in range(20)])  # 4 s: the person is no longer young
    assert state is RateState.QUIET
    assert rate.wants_look(4.0), "quiet: any motion wakes the model at once"


def test_a_walker_far_from_cars_is_looked_at_once_a_second() -> None:
    rate = DetectionRate(CONFIG)
    looks = [(t / 5, [CAR, person(7, 1500.0 - 20 * t)]) for t in range(20)]  # 0.8 heights/s, far right of the car
    assert settle(rate, looks) is RateState.FAR
    last = looks[-1][0]
    assert not rate.wants_look(last + 0.2) and not rate.wants_look(last + 0.8)
    assert rate.wants_look(last + 1.0)


def test_a_person_moving_near_a_car_or_newly_seen_brings_full_rate_back() -> None:
    rate = DetectionRate(CONFIG)
    settle(rate, [(t / 5, [CAR, person(7, 1500.0 - 20 * t)]) for t in range(20)])
    assert rate.state is RateState.FAR
    assert rate.looked(4.0, [CAR, person(7, 1420.0), person(8, 2000.0)]) is RateState.FAR, "new, but far from cars"
    assert rate.looked(4.2, [CAR, person(7, 1400.0), person(9, 310.0)]) is RateState.HOT, "new beside a car"
    rate = DetectionRate(CONFIG)
    settle(rate, [(t / 5, [CAR, person(7, 1500.0 - 20 * t)]) for t in range(20)])
    near = [(4.0 + t / 5, [CAR, person(7, 380.0 - 20 * t)]) for t in range(3)]  # within a height of the car
    assert settle(rate, near) is RateState.HOT
    assert rate.wants_look(4.45)


def test_a_still_person_beside_a_car_does_not_keep_the_full_rate() -> None:
    rate = DetectionRate(CONFIG)
    assert settle(rate, [(t / 5, [CAR, person(7, 310.0)]) for t in range(20)]) is RateState.QUIET


def test_the_state_survives_a_checkpoint() -> None:
    rate = DetectionRate(CONFIG)
    settle(rate, [(t / 5, [CAR, person(7, 1500.0 - 20 * t)]) for t in range(20)])
    restored = pickle.loads(pickle.dumps(rate))
    assert restored.state is RateState.FAR and not restored.wants_look(3.9)

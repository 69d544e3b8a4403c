"""The adaptive detection rate policy: full rate for people moving or new near cars, a low rate for distant walkers."""

from __future__ import annotations

import pickle

from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject
from detectors.vision.detection_rate import DECISION_LAG_S, DetectionRate, DetectionRateConfig, RateState

CONFIG = DetectionRateConfig(enabled=True, calm_interval_s=1.0, calm_looks=1, young_track_s=2.0)
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


def test_parked_cars_and_a_still_person_far_from_them_leave_the_motion_gate_in_charge_with_a_longer_interval() -> None:
    rate = DetectionRate(CONFIG)
    still = [CAR, person(7, 1000.0)]
    state = settle(rate, [(t / 5, still) for t in range(20)])  # 4 s: the person is no longer young
    assert state is RateState.IDLE
    last = 19 / 5
    assert rate.wants_look(last + 0.2), "idle: motion wakes the model at once"
    assert rate.gate_interval_s(last + 0.2) == CONFIG.idle_interval_s, "and the whole-frame look comes less often"
    empty = DetectionRate(CONFIG)
    assert settle(empty, [(t / 5, [CAR]) for t in range(3)]) is RateState.IDLE, "parked cars only"


def test_a_still_person_beside_a_car_keeps_the_motion_gates_own_interval() -> None:
    rate = DetectionRate(CONFIG)
    assert settle(rate, [(t / 5, [CAR, person(7, 310.0)]) for t in range(20)]) is RateState.QUIET
    assert rate.gate_interval_s(4.0) is None and rate.wants_look(4.0)


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
    hot = 4.4 + DECISION_LAG_S  # a look steers the frames from DECISION_LAG_S after it
    assert rate.wants_look(hot) and rate.wants_look(hot + 0.2)
    assert rate.gate_interval_s(hot) is None, "hot: the motion gate's own interval"


def test_the_state_survives_a_checkpoint() -> None:
    rate = DetectionRate(CONFIG)
    settle(rate, [(t / 5, [CAR, person(7, 1500.0 - 20 * t)]) for t in range(20)])
    restored = pickle.loads(pickle.dumps(rate))
    assert restored.state is RateState.FAR and not restored.wants_look(3.9)


def test_a_still_scene_woken_by_motion_looks_at_once_but_motion_nobody_explains_waits() -> None:
    rate = DetectionRate(CONFIG)
    settle(rate, [(t / 5, [CAR]) for t in range(10)])  # parked cars only, looked at by the interval
    assert rate.wants_look(2.0), "motion in a scene found empty: the model looks at once"
    rate.looked(2.0, [CAR], moved=True)  # it found nobody: a swaying tree, a person too small to see
    assert not rate.wants_look(2.0 + DECISION_LAG_S) and rate.wants_look(3.0), "then once a second"


def test_decisions_do_not_depend_on_when_the_results_arrive() -> None:
    """As the stage runs it: a pass of frames decided first, then told what the looks found."""
    looks = [(t / 5, [CAR, person(7, 1500.0 - 20 * t)]) for t in range(40)]  # a walker far from the car

    def decided(pass_frames: int) -> list[float]:
        rate, chosen = DetectionRate(CONFIG), []
        for start in range(0, len(looks), pass_frames):
            batch = looks[start : start + pass_frames]
            mine = []
            for ts, objects in batch:
                if rate.wants_look(ts):
                    rate.will_look(ts)
                    mine.append((ts, objects))
            for ts, objects in mine:
                rate.looked(ts, objects, moved=True)
            chosen += [ts for ts, _ in mine]
        return chosen

    assert decided(1) == decided(2) == decided(3), "passes shorter than DECISION_LAG_S (at 5 fps: 3 frames)"
    assert len(decided(1)) < 20, "and the rate is lower"


def test_far_walkers_get_two_looks_in_a_row_each_interval_so_bytetrack_can_confirm_them() -> None:
    rate = DetectionRate(CONFIG.model_copy(update={"calm_looks": 2}))
    chosen = []
    for t in range(30):
        ts = t / 5
        if rate.wants_look(ts):
            rate.will_look(ts)
            rate.looked(ts, [CAR, person(7 + t, 1500.0 - 20 * t)], moved=True)  # a new id each look: far, moving
            chosen.append(t)
    assert chosen[3:] == [7, 8, 13, 14, 19, 20, 25, 26], "hot at first, then 2 looks in a row after each 1 s gap"

"""The casing rule on constructed scenes: stops at several parked cars within the window, and what is not casing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from detectors.behaviour.casing import CasingRule
from detectors.behaviour.incidents import IncidentPhase, LoiterIncidentEvent
from detectors.config import CasingConfig, LoiterConfig
from detectors.geometry import Box
from tests.builders import SceneBuilder, car, person_at

CARS = [car(100 + i, Box(x1=100 + 250 * i, y1=300, x2=300 + 250 * i, y2=400)) for i in range(4)]
FOOT_Y = 420.0  # just below the row of cars, inside their zones
WALK_PX_S = 100.0  # about 1.4 m/s for a person 120 px (1.7 m) tall


def car_x(i: int) -> float:
    return 200 + 250 * i


def scene_of(plan: list[tuple[str, float, float]]) -> list:
    """plan: ("stand", x, seconds) or ("walk", to_x, _); the person starts at the first x after 5 s of parked cars."""
    scene = SceneBuilder()
    scene.frames(5, lambda t: CARS)
    x = plan[0][1]
    for action, target, seconds in plan:
        if action == "stand":
            scene.frames(seconds, lambda t, x=target: [*CARS, person_at(7, x + 3 * (t % 1), FOOT_Y)])
            x = target
        else:
            duration = abs(target - x) / WALK_PX_S
            scene.frames(
                duration, lambda t, a=x, b=target, d=duration: [*CARS, person_at(7, a + (b - a) * t / d, FOOT_Y)]
            )
            x = target
    scene.frames(40, lambda t: CARS)  # the person has gone
    return scene.end()


def run(frames: list, **config: object) -> list[LoiterIncidentEvent]:
    rule = CasingRule(CasingConfig.model_validate(config), LoiterConfig(), "cam-test")
    return [event for frame in frames for event in rule.process(frame)]


def stops_at(cars: list[int], stand_s: float = 4.0) -> list[tuple[str, float, float]]:
    plan: list[tuple[str, float, float]] = []
    for i in cars:
        plan += [("walk", car_x(i), 0), ("stand", car_x(i), stand_s)]
    return plan


def phases(events: list[LoiterIncidentEvent]) -> list[IncidentPhase]:
    return [e.phase for e in events]


Plan = Callable[[], list[tuple[str, float, float]]]


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (lambda: stops_at([0, 1, 2]), [IncidentPhase.START, IncidentPhase.END]),
        (lambda: stops_at([0, 1, 2, 3]), [IncidentPhase.START, IncidentPhase.UPDATE, IncidentPhase.END]),
        (lambda: stops_at([0, 2]), []),  # two cars: not enough
        (lambda: [("walk", car_x(0), 0), ("walk", car_x(3), 0)], []),  # walking along the row, no stop
        (lambda: stops_at([0, 1, 2], stand_s=1.0), []),  # a glance at each car is not a stop
        (lambda: stops_at([1]) + [("stand", car_x(1), 60.0)], []),  # an owner (or a loiterer) at one car
        (lambda: stops_at([0, 1]) + [("stand", car_x(1), 200.0)] + stops_at([2]), []),  # stops 200+ s apart
    ],
)
def test_casing(plan: Plan, expected: list[IncidentPhase]) -> None:
    assert phases(run(scene_of(plan()))) == expected


def test_incident_names_the_cars_and_starts_at_the_first_stop() -> None:
    events = run(scene_of(stops_at([0, 1, 2, 3])))
    start, update, end = events
    assert start.rule == "casing" and start.vehicles_visited == (100, 101, 102)
    assert update.vehicles_visited == (100, 101, 102, 103) and update.started_at == start.started_at
    assert start.vehicle_track_id == 100 and start.started_at < start.ts
    assert end.end_reason is not None and end.end_reason.value == "person_left"


def test_more_cars_can_be_required() -> None:
    assert run(scene_of(stops_at([0, 1, 2])), min_cars=4) == []
    assert phases(run(scene_of(stops_at([0, 1, 2, 3])), min_cars=4))[0] is IncidentPhase.START


def test_disabled() -> None:
    assert run(scene_of(stops_at([0, 1, 2])), enabled=False) == []

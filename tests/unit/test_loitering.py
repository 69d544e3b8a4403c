"""Rule v1 on constructed tracks: event time only, one incident per stay at a parked car."""

from __future__ import annotations

import pytest

from detectors.behaviour.incidents import EndReason, IncidentPhase
from detectors.behaviour.loitering import LoiterRule
from detectors.config import LoiterConfig
from detectors.geometry import Box
from tests.builders import CAR_BOX, SceneBuilder, car, person_at

CONFIG = LoiterConfig()  # defaults: 30 s dwell, 3 s stationary window, 4 s gap tolerance
BESIDE_CAR = (CAR_BOX.x2 + 20, CAR_BOX.y2 - 10)  # feet just right of the car, inside the 0.3 margin
FAR_AWAY = (1200.0, 700.0)


def run(frames, config: LoiterConfig = CONFIG):
    rule = LoiterRule(config, "cam-test")
    events = []
    for frame in frames:
        events.extend(rule.process(frame))
    return events


def starts(events):
    return [e for e in events if e.phase is IncidentPhase.START]


def parked_then(seconds: float, *people):
    """A parked car alone for 5 s (so it is known to be parked), then `people` for `seconds`."""
    scene = SceneBuilder().frames(5, lambda t: [car()])
    return scene.frames(seconds, lambda t: [car(), *[p(t) for p in people]]).end()


def stay(pid: int, where=BESIDE_CAR):
    return lambda t: person_at(pid, *where)


def walk_past(pid: int, speed_px_s: float = 120.0):
    return lambda t: person_at(pid, 100 + speed_px_s * t, CAR_BOX.y2 - 10)


@pytest.mark.parametrize(
    ("name", "frames", "expected_starts"),
    [
        ("stays 31 s at a parked car", parked_then(31, stay(1)), 1),
        ("stays 25 s: under the threshold", parked_then(25, stay(1)), 0),
        ("walks past the car", parked_then(40, walk_past(1)), 0),
        ("stands far from any car", parked_then(60, stay(1, FAR_AWAY)), 0),
        (
            "two people at two cars",
            SceneBuilder()
            .frames(5, lambda t: [car(100), car(101, Box(x1=800, y1=300, x2=1000, y2=400))])
            .frames(
                35,
                lambda t: [
                    car(100),
                    car(101, Box(x1=800, y1=300, x2=1000, y2=400)),
                    person_at(1, *BESIDE_CAR),
                    person_at(2, 1020, 390),
                ],
            )
            .end(),
            2,
        ),
    ],
)
def test_alert_count(name: str, frames, expected_starts: int) -> None:
    events = run(frames)
    assert len(starts(events)) == expected_starts, name
    ends = [e for e in events if e.phase is IncidentPhase.END]
    assert len(ends) == expected_starts, f"{name}: every incident ends exactly once"


def test_moving_car_does_not_count() -> None:
    """A person walking beside a car that is driving never dwells at a parked car."""

    def moving(t: float):
        shift = 40 * t
        box = Box(x1=CAR_BOX.x1 + shift, y1=CAR_BOX.y1, x2=CAR_BOX.x2 + shift, y2=CAR_BOX.y2)
        return [car(box=box), person_at(1, box.x2 + 20, box.y2 - 10)]

    assert starts(run(SceneBuilder().frames(60, moving).end())) == []


def test_car_driving_off_ends_the_incident() -> None:
    def leaving(t: float):
        shift = max(0.0, (t - 35) * 80)
        box = Box(x1=CAR_BOX.x1 + shift, y1=CAR_BOX.y1, x2=CAR_BOX.x2 + shift, y2=CAR_BOX.y2)
        return [car(box=box), person_at(1, *BESIDE_CAR)]

    events = run(SceneBuilder().frames(5, lambda t: [car()]).frames(45, leaving).end())
    assert [e.phase for e in events if e.phase is not IncidentPhase.UPDATE] == [IncidentPhase.START, IncidentPhase.END]
    assert events[-1].end_reason is EndReason.VEHICLE_MOVED


def test_event_time_not_wall_time() -> None:
    """Frames processed instantly still give the dwell of their timestamps."""
    scene = SceneBuilder(start_ts=1_000.0)
    frames = scene.frames(5, lambda t: [car()]).frames(40, lambda t: [car(), person_at(7, *BESIDE_CAR)]).end()
    (start,) = starts(run(frames))
    assert start.started_at == pytest.approx(1_005.0)
    assert start.ts == pytest.approx(1_035.0)
    assert start.dwell_s == pytest.approx(30.0)


def test_same_frames_same_events() -> None:
    frames = parked_then(50, stay(1))
    assert run(frames) == run(frames)


def test_short_occlusion_keeps_the_stay() -> None:
    hidden = lambda t: [] if 10 <= t < 13 else [person_at(1, *BESIDE_CAR)]  # noqa: E731  3 s behind the car
    frames = SceneBuilder().frames(5, lambda t: [car()]).frames(32, lambda t: [car(), *hidden(t)]).end()
    assert len(starts(run(frames))) == 1


def test_long_absence_restarts_the_count() -> None:
    away = lambda t: [] if 15 <= t < 25 else [person_at(1, *BESIDE_CAR)]  # noqa: E731  10 s away
    frames = SceneBuilder().frames(5, lambda t: [car()]).frames(40, lambda t: [car(), *away(t)]).end()
    assert starts(run(frames)) == []


def test_updates_follow_the_growing_dwell() -> None:
    events = run(parked_then(70, stay(1)))
    updates = [e for e in events if e.phase is IncidentPhase.UPDATE]
    assert [round(u.dwell_s) for u in updates] == [45, 60]
    assert events[-1].phase is IncidentPhase.END and events[-1].end_reason is EndReason.STREAM_ENDED


def test_return_within_reopen_window_continues_the_incident() -> None:
    pattern = lambda t: [] if 35 <= t < 45 else [person_at(1, *BESIDE_CAR)]  # noqa: E731
    frames = SceneBuilder().frames(5, lambda t: [car()]).frames(60, lambda t: [car(), *pattern(t)]).end()
    events = run(frames)
    assert len(starts(events)) == 1
    assert {e.started_at for e in events} == {starts(events)[0].started_at}, "one incident, one start time"


def test_new_stream_resets_state() -> None:
    first = (
        SceneBuilder(stream_id="a")
        .frames(5, lambda t: [car()])
        .frames(20, lambda t: [car(), person_at(1, *BESIDE_CAR)])
    )
    second = SceneBuilder(stream_id="b", start_ts=first.now).frames(20, lambda t: [car(), person_at(1, *BESIDE_CAR)])
    assert starts(run(first.frames_out + second.frames_out)) == []


@pytest.mark.parametrize("dwell", [10.0, 30.0, 45.0])
def test_threshold_is_configurable(dwell: float) -> None:
    config = LoiterConfig(dwell_s=dwell)
    (start,) = starts(run(parked_then(dwell + 2, stay(1)), config))
    assert start.dwell_s == pytest.approx(dwell, abs=0.25)


def scored(pid: int, scores: list[float]):
    """A person beside the car whose detection score cycles through `scores`, frame by frame."""
    counter = iter(range(10**9))

    def objects(t: float):
        person = person_at(pid, *BESIDE_CAR)
        return person.model_copy(update={"confidence": scores[next(counter) % len(scores)]})

    return objects


@pytest.mark.parametrize(
    ("name", "scores", "expected_starts"),
    [
        ("a static false detection scored 0.3", [0.3], 0),
        ("a real person with the odd weak frame", [0.8, 0.7, 0.3, 0.75], 1),
        ("mostly weak, sometimes strong", [0.3, 0.3, 0.9], 0),
    ],
)
def test_only_trusted_person_tracks_count(name: str, scores: list[float], expected_starts: int) -> None:
    frames = parked_then(40, scored(1, scores))
    assert len(starts(run(frames))) == expected_starts, name


def test_person_between_two_cars_raises_one_alert() -> None:
    second = Box(x1=CAR_BOX.x2 + 60, y1=CAR_BOX.y1, x2=CAR_BOX.x2 + 260, y2=CAR_BOX.y2)
    between = (CAR_BOX.x2 + 30, CAR_BOX.y2 - 10)  # inside both cars' zones
    frames = (
        SceneBuilder()
        .frames(5, lambda t: [car(100), car(101, second)])
        .frames(40, lambda t: [car(100), car(101, second), person_at(1, *between)])
        .end()
    )
    events = run(frames)
    assert len(starts(events)) == 1
    assert len({(e.person_track_id, e.vehicle_track_id) for e in events}) == 1, "every step of that one incident"

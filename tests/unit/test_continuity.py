"""Person continuity across tracker ID switches: table-driven over constructed track sequences."""

from __future__ import annotations

import pytest

from detectors.behaviour.continuity import PersonContinuity, VehicleContinuity
from detectors.behaviour.incidents import IncidentPhase
from detectors.behaviour.loitering import LoiterRule
from detectors.config import ContinuityConfig, LoiterConfig
from detectors.types import ObjectClass
from tests.builders import CAR_BOX, SceneBuilder, car, person_at

BESIDE = (CAR_BOX.x2 + 20, CAR_BOX.y2 - 10)


def ids_over_time(frames, config: ContinuityConfig | None = None) -> list[list[int]]:
    continuity = PersonContinuity(config or ContinuityConfig())
    out = []
    for frame in frames:
        resolved = continuity.resolve(frame)
        out.append(sorted(o.track_id for o in resolved.objects if o.cls is ObjectClass.PERSON))
    return out


def switch(after_s: float, gap_s: float = 0.0, shift: tuple[float, float] = (0, 0), new_id: int = 9):
    """Person 1 beside the car; after `after_s` (and a gap) the tracker calls them `new_id`."""

    def objects(t: float):
        if t < after_s:
            return [car(), person_at(1, *BESIDE)]
        if t < after_s + gap_s:
            return [car()]
        return [car(), person_at(new_id, BESIDE[0] + shift[0], BESIDE[1] + shift[1])]

    return objects


@pytest.mark.parametrize(
    ("name", "objects", "expected_last"),
    [
        ("id switch without a gap", switch(10), [1]),
        ("id switch after 3 s behind the car", switch(10, gap_s=3), [1]),
        ("new track 6 s later is someone new", switch(10, gap_s=6), [9]),
        ("new track far away is someone new", switch(10, gap_s=1, shift=(400, 0)), [9]),
    ],
)
def test_identity_across_switches(name: str, objects, expected_last: list[int]) -> None:
    frames = SceneBuilder().frames(20, objects).frames_out
    assert ids_over_time(frames)[-1] == expected_last, name


def test_duplicate_track_of_one_person_is_dropped() -> None:
    frames = SceneBuilder().frames(2, lambda t: [person_at(1, 300, 400), person_at(2, 302, 401)]).frames_out
    assert ids_over_time(frames) == [[1]] * len(frames)


def test_two_people_who_overlapped_once_are_split_again() -> None:
    def walk(t: float):
        return [person_at(1, 300, 400), person_at(2, 302 + 200 * t, 401)]

    resolved = ids_over_time(SceneBuilder().frames(3, walk).frames_out)
    assert resolved[0] == [1] and resolved[-1] == [1, 2]


def test_disabled_leaves_ids_alone() -> None:
    frames = SceneBuilder().frames(20, switch(10)).frames_out
    assert ids_over_time(frames, ContinuityConfig(enabled=False))[-1] == [9]


def test_dwell_accumulates_across_an_id_switch() -> None:
    """Two 20 s halves under two IDs are one 40 s stay: one alert, under the first ID."""
    frames = SceneBuilder().frames(5, lambda t: [car()]).frames(40, switch(20, gap_s=2)).end()
    continuity, rule = PersonContinuity(ContinuityConfig()), LoiterRule(LoiterConfig(), "cam-test")
    events = [e for f in frames for e in rule.process(continuity.resolve(f))]
    starts = [e for e in events if e.phase is IncidentPhase.START]
    assert [(s.person_track_id, round(s.dwell_s)) for s in starts] == [(1, 30)]
    without = LoiterRule(LoiterConfig(), "cam-test")
    assert not [e for f in frames for e in without.process(f) if e.phase is IncidentPhase.START]


def test_parked_car_keeps_its_identity_across_missed_detections() -> None:
    """The car drops out for 5 s and comes back as track 200: still the same parked car, one 40 s stay."""

    def objects(t: float):
        person = [person_at(1, *BESIDE)]
        if t < 15:
            return [car(100), *person]
        if t < 20:
            return person
        return [car(200), *person]

    frames = SceneBuilder().frames(5, lambda t: [car(100)]).frames(40, objects).end()
    vehicles, rule = VehicleContinuity(ContinuityConfig()), LoiterRule(LoiterConfig(), "cam-test")
    events = [e for f in frames for e in rule.process(vehicles.resolve(f))]
    starts = [e for e in events if e.phase is IncidentPhase.START]
    assert [(s.vehicle_track_id, round(s.dwell_s)) for s in starts] == [(100, 30)]
    plain = LoiterRule(LoiterConfig(), "cam-test")
    assert not [e for f in frames for e in plain.process(f) if e.phase is IncidentPhase.START]


@pytest.mark.parametrize(
    ("name", "shift_px", "gap_s", "same"),
    [
        ("re-detected in place", 0, 5, True),
        ("a different car parks further along", 150, 5, False),
        ("lost for longer than the gap", 0, 40, False),
    ],
)
def test_vehicle_identity_by_position(name: str, shift_px: float, gap_s: float, same: bool) -> None:
    moved = CAR_BOX.model_copy(update={"x1": CAR_BOX.x1 + shift_px, "x2": CAR_BOX.x2 + shift_px})
    frames = (
        SceneBuilder()
        .frames(3, lambda t: [car(100)])
        .frames(gap_s, lambda t: [])
        .frames(3, lambda t: [car(200, box=moved)])
        .frames_out
    )
    vehicles = VehicleContinuity(ContinuityConfig())
    last = [vehicles.resolve(f) for f in frames][-1]
    assert [o.track_id for o in last.objects] == ([100] if same else [200]), name

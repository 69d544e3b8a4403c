"""One alert per incident: people at one parked car at overlapping times are one group alert, not one each.

Table-driven on constructed tracks through the rules stage (loitering, owner evidence, assembly together)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alerts.models import AlertEvent, AlertPhase, Severity
from detectors.behaviour.incidents import IncidentPhase
from detectors.behaviour.loitering import LoiterRule
from detectors.config import LoiterConfig
from detectors.geometry import Box
from detectors.types import TrackedObject
from streams.config import CameraConfig, SiteConfig
from streams.stages.rules import RuleStage
from tests.builders import CAR_BOX, SceneBuilder, car, person_at

OTHER_CAR = Box(x1=800, y1=300, x2=1000, y2=400)
RIGHT = (CAR_BOX.x2 + 20, CAR_BOX.y2 - 10)
LEFT = (CAR_BOX.x1 - 20, CAR_BOX.y2 - 10)
AT_OTHER = (OTHER_CAR.x2 + 20, OTHER_CAR.y2 - 10)


def arriving_car(t: float) -> TrackedObject:
    """Drives in for 5 s, then parks at CAR_BOX."""
    shift = max(0.0, 5.0 - t) * 60
    return car(100, Box(x1=CAR_BOX.x1 - shift, y1=CAR_BOX.y1, x2=CAR_BOX.x2 - shift, y2=CAR_BOX.y2))


def cars(t: float = 99.0, arriving: bool = False) -> list[TrackedObject]:
    return [arriving_car(t) if arriving else car(100), car(200, OTHER_CAR)]


def strangers_together(scene: SceneBuilder) -> None:
    """Two people walk up on foot, 8 s apart, and stand at car #100 for a minute: one incident."""
    scene.frames(5, lambda t: cars())
    scene.frames(70, lambda t: [*cars(), person_at(1, *RIGHT), *([person_at(2, *LEFT)] if t >= 8 else [])])


def thief_and_lookout(scene: SceneBuilder) -> None:
    """A thief at car #100 and a lookout beside him who came 20 s later: one alert, pushed, naming both."""
    scene.frames(5, lambda t: cars())
    scene.frames(70, lambda t: [*cars(), person_at(1, *RIGHT), *([person_at(2, *LEFT)] if t >= 20 else [])])


def lead_leaves_first(scene: SceneBuilder) -> None:
    """The first person leaves after 40 s; the second stays on: still the same incident until they go too."""
    scene.frames(5, lambda t: cars())
    scene.frames(
        80,
        lambda t: [*cars(), *([person_at(1, *RIGHT)] if t < 40 else []), *([person_at(2, *LEFT)] if t >= 5 else [])],
    )
    scene.frames(15, lambda t: cars())


def member_steps_away_and_back(scene: SceneBuilder) -> None:
    """Both at the car; both step away for 10 s, only the second comes back: the same incident goes on."""
    scene.frames(5, lambda t: cars())
    scene.frames(50, lambda t: [*cars(), person_at(1, *RIGHT), *([person_at(2, *LEFT)] if t >= 5 else [])])
    scene.frames(10, lambda t: cars())
    scene.frames(20, lambda t: [*cars(), person_at(2, *LEFT)])
    scene.frames(15, lambda t: cars())


def one_after_the_other(scene: SceneBuilder) -> None:
    """Two people at the same car a long time apart: two incidents."""
    scene.frames(5, lambda t: cars())
    scene.frames(35, lambda t: [*cars(), person_at(1, *RIGHT)])
    scene.frames(60, lambda t: cars())
    scene.frames(35, lambda t: [*cars(), person_at(2, *LEFT)])


def two_cars(scene: SceneBuilder) -> None:
    """Two people at two different cars at the same time: two incidents."""
    scene.frames(5, lambda t: cars())
    scene.frames(40, lambda t: [*cars(), person_at(1, *RIGHT), person_at(2, *AT_OTHER)])


def driver_and_passenger(scene: SceneBuilder) -> None:
    """Both get out of car #100 as it parks and stay at it unloading: their own car, one green group."""
    scene.frames(15, lambda t: cars(t, arriving=True))
    scene.frames(60, lambda t: [*cars(arriving=True), person_at(1, *RIGHT), person_at(2, *LEFT)])


def owner_and_stranger(scene: SceneBuilder) -> None:
    """The driver stays at his car; someone on foot comes to the same car over a minute later: not his party."""
    scene.frames(15, lambda t: cars(t, arriving=True))
    scene.frames(
        110, lambda t: [*cars(arriving=True), person_at(1, *RIGHT), *([person_at(2, *LEFT)] if t >= 60 else [])]
    )


def driver_works_another_car(scene: SceneBuilder) -> None:
    """A thief and his mate get out of car #100, then stand together at car #200: not theirs, one pushed alert."""
    scene.frames(15, lambda t: cars(t, arriving=True))
    scene.frames(5, lambda t: [*cars(arriving=True), person_at(1, *RIGHT), person_at(2, RIGHT[0] + 30, RIGHT[1])])
    scene.frames(
        50,
        lambda t: [*cars(arriving=True), person_at(1, *AT_OTHER), person_at(2, AT_OTHER[0] + 30, AT_OTHER[1])],
    )


def run_stage(build: Callable[[SceneBuilder], None]) -> list[AlertEvent]:
    scene = SceneBuilder()
    build(scene)
    stage = RuleStage(SiteConfig().with_camera(CameraConfig(id=scene.camera_id)))
    return [a for f in scene.end() for a in stage.process(f) if isinstance(a, AlertEvent) and a.rule == "loitering"]


def pushed(steps: list[AlertEvent]) -> set[str]:
    return {a.alert_id for a in steps if a.severity is not Severity.GREEN}


@pytest.mark.parametrize(
    ("name", "build", "alerts", "pushed_alerts", "groups"),
    [
        ("two strangers at one car", strangers_together, 1, 1, [(1, 2)]),
        ("a thief with a lookout is still alerted", thief_and_lookout, 1, 1, [(1, 2)]),
        ("the group lasts while any member stays", lead_leaves_first, 1, 1, [(1, 2)]),
        ("a member back within the reopen window", member_steps_away_and_back, 1, 1, [(1, 2)]),
        ("the same car a long time apart", one_after_the_other, 2, 2, []),
        ("two people at two cars", two_cars, 2, 2, []),
        ("driver and passenger at their own car", driver_and_passenger, 1, 0, [(1, 2)]),
        ("a stranger beside the owner is his own alert", owner_and_stranger, 2, 1, []),
        ("a party at someone else's car", driver_works_another_car, 1, 1, [(1, 2)]),
    ],
)
def test_one_alert_per_incident(
    name: str, build: Callable[[SceneBuilder], None], alerts: int, pushed_alerts: int, groups: list[tuple[int, ...]]
) -> None:
    steps = run_stage(build)
    starts = [a for a in steps if a.phase is AlertPhase.START]
    ends = [a for a in steps if a.phase is AlertPhase.END]
    assert len(starts) == alerts, name
    assert {a.alert_id for a in ends} == {a.alert_id for a in starts}, f"{name}: each ends"
    last = {a.alert_id: a.phase for a in steps}
    assert set(last.values()) == {AlertPhase.END}, f"{name}: an end is each alert's last step (reopened: again)"
    assert len(pushed(steps)) == pushed_alerts, name
    assert sorted({tuple(sorted(a.group_track_ids)) for a in steps if a.group_track_ids}) == groups, name


def test_a_group_update_names_everyone_and_ends_with_the_last() -> None:
    steps = run_stage(lead_leaves_first)
    joined = next(a for a in steps if a.group_track_ids)
    assert joined.phase is AlertPhase.UPDATE and joined.person_track_id == 1
    assert joined.message.startswith("Group of 2 (#1, #2) at parked vehicle #100")
    (end,) = [a for a in steps if a.phase is AlertPhase.END]
    assert end.group_track_ids == (1, 2) and end.message.startswith("Ended (person_left): group of 2 (#1, #2)")
    assert end.ts > joined.started_at + 40, "ended when the second person left, not the first"


def test_owner_evidence_of_a_party_covers_the_group_only_at_their_car() -> None:
    own = run_stage(driver_and_passenger)
    assert all(a.owner_evidence and a.severity is Severity.GREEN for a in own)
    elsewhere = run_stage(driver_works_another_car)
    assert not any(a.owner_evidence for a in elsewhere), "evidence for car #100 says nothing about car #200"


def test_rule_without_owner_evidence_groups_everyone_at_a_car() -> None:
    scene = SceneBuilder()
    owner_and_stranger(scene)
    rule = LoiterRule(LoiterConfig(), scene.camera_id)
    events = [e for f in scene.end() for e in rule.process(f)]
    assert len([e for e in events if e.phase is IncidentPhase.START]) == 1
    assert any(e.group_track_ids == (1, 2) for e in events)

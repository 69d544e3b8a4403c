"""Owner evidence and casing stop attribution on constructed tracks (builders, not literals)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from detectors.behaviour.casing import CasingRule
from detectors.behaviour.incidents import IncidentPhase
from detectors.behaviour.owners import OwnerEvidence
from detectors.config import CasingConfig, LoiterConfig, OwnerConfig
from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject
from streams.evaluation.virat import ViratFormatError, read_virat_objects
from tests.builders import CAR_BOX, SceneBuilder, car, person_at

OTHER_CAR = Box(x1=800, y1=300, x2=1000, y2=400)


def bag_at(person: TrackedObject, track_id: int = 500) -> TrackedObject:
    """A carried object held against the person's legs."""
    b = person.box
    box = Box(x1=b.x2 - 10, y1=b.y2 - 40, x2=b.x2 + 10, y2=b.y2 - 10)
    return TrackedObject(track_id=track_id, cls=ObjectClass.BAG, box=box, confidence=0.9)


def arriving_car(t: float) -> TrackedObject:
    """Drives in for 5 s, then parks at CAR_BOX."""
    shift = max(0.0, 5.0 - t) * 60
    return car(100, Box(x1=CAR_BOX.x1 - shift, y1=CAR_BOX.y1, x2=CAR_BOX.x2 - shift, y2=CAR_BOX.y2))


def _run(build: Callable[[SceneBuilder], None]) -> OwnerEvidence:
    scene = SceneBuilder()
    build(scene)
    owners = OwnerEvidence(OwnerConfig())
    for frame in scene.frames_out:
        owners.update(frame)
    return owners


def driver(scene: SceneBuilder) -> None:
    scene.frames(15, lambda t: [arriving_car(t), car(200, OTHER_CAR)])
    scene.frames(40, lambda t: [arriving_car(99), car(200, OTHER_CAR), person_at(7, 610, 380)])


def stranger(scene: SceneBuilder) -> None:
    scene.frames(15, lambda t: [car(100), car(200, OTHER_CAR)])
    scene.frames(40, lambda t: [car(100), car(200, OTHER_CAR), person_at(7, 610, 380)])


def late_arrival(scene: SceneBuilder) -> None:
    scene.frames(90, lambda t: [arriving_car(t), car(200, OTHER_CAR)])
    scene.frames(40, lambda t: [arriving_car(99), car(200, OTHER_CAR), person_at(7, 610, 380)])


def loader(scene: SceneBuilder) -> None:
    scene.frames(10, lambda t: [car(100), car(200, OTHER_CAR)])
    scene.frames(40, lambda t: [car(100), car(200, OTHER_CAR), person_at(7, 610, 380), bag_at(person_at(7, 610, 380))])


def bystander_of_loader(scene: SceneBuilder) -> None:
    def objects(t: float) -> list[TrackedObject]:
        carrier = person_at(7, 610, 380)
        late = [person_at(8, 665, 380)] if t >= 15 else []  # came later on foot: not the carrier's party
        return [car(100), car(200, OTHER_CAR), carrier, *late, bag_at(carrier)]

    scene.frames(10, lambda t: [car(100), car(200, OTHER_CAR)])
    scene.frames(40, objects)


def passengers(scene: SceneBuilder) -> None:
    scene.frames(15, lambda t: [arriving_car(t), car(200, OTHER_CAR)])
    scene.frames(40, lambda t: [arriving_car(99), car(200, OTHER_CAR), person_at(7, 610, 380), person_at(9, 610, 560)])


@pytest.mark.parametrize(
    ("name", "build", "person", "car_id", "owns", "why"),
    [
        ("driver gets out of a car that just parked", driver, 7, 100, True, "got out of car #100"),
        ("the driver's car only, not the neighbour's", driver, 7, 200, False, ""),
        ("a stranger at a car parked all along", stranger, 7, 100, False, ""),
        ("appearing long after the car parked is not arriving with it", late_arrival, 7, 100, False, ""),
        ("carrying an object at a parked car", loader, 7, 100, True, "carried an object at car #100"),
        ("standing beside the carrier is not carrying", bystander_of_loader, 8, 100, False, ""),
        ("who arrived together with the driver is their party", passengers, 9, 100, True, "arrived together with #7"),
        ("the party owns the driver's car only", passengers, 9, 200, False, ""),
    ],
)
def test_owner_evidence(
    name: str, build: Callable[[SceneBuilder], None], person: int, car_id: int, owns: bool, why: str
) -> None:
    owners = _run(build)
    evidence = owners.evidence(person, car_id)
    assert owners.owns(person, car_id) is owns, name
    assert (why in evidence[0]) if owns else evidence == (), evidence


def test_owner_evidence_turns_a_long_stay_green() -> None:
    from streams.config import CameraConfig, SiteConfig
    from streams.stages.rules import RuleStage

    scene = SceneBuilder()
    driver(scene)
    scene.frames(200, lambda t: [arriving_car(99), car(200, OTHER_CAR), person_at(7, 610, 380)])
    stage = RuleStage(SiteConfig().with_camera(CameraConfig(id=scene.camera_id)))
    alerts = [a for f in scene.end() for a in stage.process(f) if getattr(a, "rule", None) == "loitering"]
    assert alerts, "the stay is still recorded"
    assert {a.severity.value for a in alerts} == {"green"}, [a.risk_reasons for a in alerts]
    assert any("owner: got out of car #100" in r for r in alerts[0].risk_reasons)


def _casing(frames_at: Callable[[SceneBuilder], None], **config: float) -> list[IncidentPhase]:
    scene = SceneBuilder()
    frames_at(scene)
    rule = CasingRule(CasingConfig(**config), LoiterConfig(), scene.camera_id)  # type: ignore[arg-type]
    return [e.phase for f in scene.end() for e in rule.process(f)]


ROW = [Box(x1=100 + 260 * i, y1=300, x2=300 + 260 * i, y2=400) for i in range(4)]
TOUCHING = [
    Box(x1=400, y1=300, x2=600, y2=400),
    Box(x1=560, y1=300, x2=760, y2=400),
    Box(x1=720, y1=300, x2=920, y2=400),
]


def _cars(boxes: list[Box]) -> list[TrackedObject]:
    return [car(100 + i, b) for i, b in enumerate(boxes)]


def walks_the_row(scene: SceneBuilder) -> None:
    """Stops 5 s at the door of three cars a bay apart, walking between them."""
    scene.frames(5, lambda t: _cars(ROW))
    for i in range(3):
        x = 200 + 260 * i
        scene.frames(5, lambda t, x=x: [*_cars(ROW), person_at(7, x, 420)])
        scene.frames(3, lambda t, x=x: [*_cars(ROW), person_at(7, x + 260 * t / 3, 420)])


def sways_between_touching_cars(scene: SceneBuilder) -> None:
    """Stands among three overlapping car boxes, shifting a step or two (the nearest box flips): not casing."""
    scene.frames(5, lambda t: _cars(TOUCHING))
    for x in (500, 660, 820, 660, 500, 660):
        scene.frames(4, lambda t, x=x: [*_cars(TOUCHING), person_at(7, x, 410)])


def walks_the_row_carrying(scene: SceneBuilder) -> None:
    scene.frames(5, lambda t: _cars(ROW))
    for i in range(3):
        x = 200 + 260 * i
        scene.frames(5, lambda t, x=x: [*_cars(ROW), *_carrying(x)])
        scene.frames(3, lambda t, x=x: [*_cars(ROW), *_carrying(x + 260 * t / 3)])


def _carrying(x: float) -> list[TrackedObject]:
    someone = person_at(7, x, 420)
    return [someone, bag_at(someone)]


@pytest.mark.parametrize(
    ("name", "build", "expected"),
    [
        ("stops at three cars with walks between: casing", walks_the_row, [IncidentPhase.START, IncidentPhase.END]),
        ("standing among touching car boxes is one stop", sways_between_touching_cars, []),
        ("carrying things along the row is not casing", walks_the_row_carrying, []),
    ],
)
def test_casing_stop_attribution(
    name: str, build: Callable[[SceneBuilder], None], expected: list[IncidentPhase]
) -> None:
    assert _casing(build) == expected, name


def test_casing_without_the_walk_condition_counts_the_touching_cars() -> None:
    """The walk condition is what stops the flip between touching boxes from counting (the test can fail)."""
    assert IncidentPhase.START in _casing(sways_between_touching_cars, min_walk_ratio=0.0)


MALFORMED = (
    "1 3 10 100 200 20 50 1\n" + " ".join(["21 9076 4563"] * 50) + "\n5 2 10 0 0 1900 1000 0\n5 2 11 0 0 1900 1000 0\n"
)


def test_importer_skips_and_counts_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.viratdata.objects.txt"
    path.write_text(MALFORMED + "2 1 10 300 300 30 30 4\n")
    objects = read_virat_objects(path)
    assert objects.skipped == {"malformed": 1, "unknown type 0": 2}
    assert sorted(kind for _, kind, _ in objects.frames[10]) == [1, 4], "type 4 objects are kept (bags)"
    with pytest.raises(ViratFormatError, match=r"x.viratdata.objects.txt:2: expected 8 fields"):
        read_virat_objects(path, strict=True)

"""Parking-area polygons: geometry, config validation, and the rule ignoring cars outside the area."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.behaviour.incidents import IncidentPhase
from detectors.behaviour.loitering import LoiterRule
from detectors.behaviour.zones import contains
from detectors.config import LoiterConfig
from streams.config import ConfigError, load_config
from tests.builders import CAR_BOX, SceneBuilder, car, person_at

SQUARE = ((0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75))
L_SHAPE = ((0.0, 0.0), (1.0, 0.0), (1.0, 0.5), (0.5, 0.5), (0.5, 1.0), (0.0, 1.0))


@pytest.mark.parametrize(
    ("polygon", "point", "inside"),
    [
        (SQUARE, (0.5, 0.5), True),
        (SQUARE, (0.1, 0.5), False),
        (SQUARE, (0.5, 0.9), False),
        (L_SHAPE, (0.25, 0.75), True),
        (L_SHAPE, (0.75, 0.75), False),
        (L_SHAPE, (0.75, 0.25), True),
    ],
)
def test_point_in_polygon(polygon, point, inside: bool) -> None:
    assert contains(polygon, point) is inside


def stay_at_car(config: LoiterConfig) -> int:
    """Starts raised for a person 40 s beside the standard car (its foot point at 500/1280, 400/720)."""
    frames = (
        SceneBuilder()
        .frames(5, lambda t: [car()])
        .frames(40, lambda t: [car(), person_at(1, CAR_BOX.x2 + 20, CAR_BOX.y2 - 10)])
        .end()
    )
    rule = LoiterRule(config, "cam-test")
    return sum(e.phase is IncidentPhase.START for f in frames for e in rule.process(f))


def test_cars_outside_the_parking_area_do_not_count() -> None:
    lane_only_top = ((0.0, 0.0), (1.0, 0.0), (1.0, 0.3), (0.0, 0.3))  # the car's foot is at y = 0.56
    around_car = ((0.3, 0.4), (0.5, 0.4), (0.5, 0.7), (0.3, 0.7))
    assert stay_at_car(LoiterConfig(parking_area=lane_only_top)) == 0
    assert stay_at_car(LoiterConfig(parking_area=around_car)) == 1
    assert stay_at_car(LoiterConfig()) == 1


@pytest.mark.parametrize(
    ("area", "message"),
    [
        ("[[0, 0], [1, 1]]", "at least 3 points"),
        ("[[0, 0], [1.5, 0], [1, 1]]", "outside the image"),
    ],
)
def test_bad_parking_area_is_a_config_error(tmp_path: Path, area: str, message: str) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(f"cameras:\n  - id: row-b\n    loitering:\n      parking_area: {area}\n")
    with pytest.raises(ConfigError, match=message):
        load_config(path)

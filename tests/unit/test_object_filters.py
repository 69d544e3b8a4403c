"""Object filters (`cameras[].filters`): which detections a camera drops before tracking, and config errors."""

from __future__ import annotations

import pytest

from detectors.geometry import Box
from detectors.types import Detection, ObjectClass
from detectors.vision.object_filters import ObjectFilter, filter_detections
from streams.config import ConfigError, config_from_text

WIDTH, HEIGHT = 1000.0, 500.0
LAMP_POST = ((0.0, 0.5), (0.2, 0.5), (0.2, 1.0), (0.0, 1.0))  # the lower left corner of the frame
MASKED = ObjectFilter(mask=(LAMP_POST,))
CAR_MASK = ObjectFilter(classes=(ObjectClass.CAR,), mask=(LAMP_POST,))


def detection(x: float, foot_y: float, height: float = 50.0, score: float = 0.5, cls: str = "person") -> Detection:
    """A box `height` px tall standing at (x, foot_y) in frame pixels."""
    box = Box(x1=x - 10, y1=foot_y - height, x2=x + 10, y2=foot_y)
    return Detection(cls=ObjectClass(cls), box=box, confidence=score)


@pytest.mark.parametrize(
    ("case", "found", "rule", "kept"),
    [
        ("foot in the mask", detection(100, 400), MASKED, False),
        ("only the head in the mask: foot outside", detection(100, 240, height=60), MASKED, True),
        ("beside the mask", detection(300, 400), MASKED, True),
        ("another class in a person mask", detection(100, 400, cls="car"), MASKED, True),
        ("a car mask", detection(100, 400, cls="car"), CAR_MASK, False),
        ("under min_score", detection(500, 400, score=0.2), ObjectFilter(min_score=0.3), False),
        ("at min_score", detection(500, 400, score=0.3), ObjectFilter(min_score=0.3), True),
        ("shorter than min_height", detection(500, 400, height=40), ObjectFilter(min_height=0.1), False),
        ("taller than max_height", detection(500, 400, height=260), ObjectFilter(max_height=0.5), False),
        ("within the heights", detection(500, 400, height=100), ObjectFilter(min_height=0.1, max_height=0.5), True),
        ("no rule set", detection(100, 400), ObjectFilter(), True),
        ("clipped to the bottom edge, in a mask drawn to it", detection(100, HEIGHT), MASKED, False),
        ("clipped to the left edge, in a mask drawn to it", detection(0, 400), MASKED, False),
    ],
)
def test_a_detection_is_dropped_only_by_a_rule_for_its_class(
    case: str, found: Detection, rule: ObjectFilter, kept: bool
) -> None:
    assert (filter_detections([found], [rule], WIDTH, HEIGHT) == [found]) is kept, case


def test_every_filter_applies_and_order_is_kept() -> None:
    found = [detection(500, 400), detection(100, 400), detection(700, 400, score=0.1), detection(800, 300)]
    rules = [ObjectFilter(mask=(LAMP_POST,)), ObjectFilter(min_score=0.2)]
    assert filter_detections(found, rules, WIDTH, HEIGHT) == [found[0], found[3]]
    assert filter_detections(found, [], WIDTH, HEIGHT) == found


def test_masks_are_fractions_of_the_frame_so_they_survive_another_detect_width() -> None:
    rule = ObjectFilter(mask=(LAMP_POST,))
    half = detection(50, 200, height=25)  # the same place in a frame half the size
    assert filter_detections([half], [rule], WIDTH / 2, HEIGHT / 2) == []


@pytest.mark.parametrize(
    ("section", "error"),
    [
        ("{mask: [[[0.1, 0.1], [0.2, 0.2]]]}", "at least 3 points"),
        ("{mask: [[[0.1, 0.1], [1.2, 0.2], [0.1, 0.3]]]}", "outside the image"),
        ("{min_height: 0.5, max_height: 0.2}", "must be less than max_height"),
        ("{classes: [lamp_post]}", "cameras.0.filters.0.classes.0"),
        ("{classes: []}", "at least 1 item"),
        ("{maks: [[[0, 0], [1, 0], [1, 1]]]}", "cameras.0.filters.0.maks"),
    ],
)
def test_mistakes_in_a_filter_are_start_up_errors_naming_the_key(section: str, error: str) -> None:
    with pytest.raises(ConfigError, match="site.yaml") as raised:
        config_from_text(f"cameras:\n  - id: west\n    filters: [{section}]\n", "site.yaml")
    assert error in str(raised.value)


def test_a_site_config_with_filters_loads_them_per_camera() -> None:
    config = config_from_text(
        "cameras:\n  - id: west\n    filters:\n      - mask: [[[0, 0.5], [0.2, 0.5], [0.2, 1], [0, 1]]]\n"
        "  - id: east\n",
        "site.yaml",
    )
    west, east = config.cameras
    assert west.filters == (ObjectFilter(mask=(LAMP_POST,)),) and east.filters == ()

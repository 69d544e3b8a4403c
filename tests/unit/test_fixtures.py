"""Fixture suggestions: person tracks that stand in one place for long, grouped across broken track ids."""

from __future__ import annotations

from detectors.behaviour.zones import contains
from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject
from detectors.vision.fixtures import FixtureFinder

WIDTH, HEIGHT = 1280, 720


def person(
    track_id: int, foot_x: float, foot_y: float = 400.0, height: float = 60.0, score: float = 0.3
) -> TrackedObject:
    box = Box(x1=foot_x - height / 6, y1=foot_y - height, x2=foot_x + height / 6, y2=foot_y)
    return TrackedObject(track_id=track_id, cls=ObjectClass.PERSON, box=box, confidence=score)


def run(frames: list[list[TrackedObject]], min_seconds: float = 100.0) -> FixtureFinder:
    finder = FixtureFinder(fps=1.0, min_seconds=min_seconds)
    for second, objects in enumerate(frames):
        finder.add(float(second), objects, WIDTH, HEIGHT)
    return finder


def test_a_post_boxed_as_a_person_for_minutes_is_suggested_with_a_mask_around_its_foot() -> None:
    jitter = [0.0, 4.0, -3.0, 2.0, -5.0]  # px of box jitter, under a quarter of its 60 px height
    finder = run([[person(1, 100 + jitter[s % 5])] for s in range(150)])
    (fixture,) = finder.fixtures()
    assert fixture.track_ids == (1,) and fixture.seconds == 150 and fixture.share == 1.0
    assert abs(fixture.foot[0] - 100 / WIDTH) < 0.005 and abs(fixture.foot[1] - 400 / HEIGHT) < 0.001
    mask = fixture.mask()
    assert contains(mask, fixture.foot)
    assert not contains(mask, ((100 + 60) / WIDTH, 400 / HEIGHT))  # a body height beside it is not masked


def test_walkers_and_short_stays_are_not_fixtures() -> None:
    walker = [[person(2, 100 + 10 * s)] for s in range(150)]  # crosses the view
    assert run(walker).fixtures() == []
    assert run([[person(3, 500)] for _ in range(60)]).fixtures() == []  # a minute: under min_seconds


def test_a_fixture_whose_track_breaks_is_one_suggestion_with_every_id() -> None:
    broken = [[person(4 if s < 70 else 9, 600)] if s % 10 else [] for s in range(160)]  # missed every 10th look
    (fixture,) = run(broken).fixtures()
    assert fixture.track_ids == (4, 9) and fixture.seconds == 144 and fixture.share == 0.9


def test_the_strongest_look_is_kept_for_the_snapshot_and_masks_stay_inside_the_frame() -> None:
    frames = [[person(5, 10, foot_y=715, score=0.2 + (0.5 if s == 42 else 0.0))] for s in range(130)]
    (fixture,) = run(frames).fixtures()
    assert fixture.best_ts == 42.0 and fixture.best.y2 == 715
    assert all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for x, y in fixture.mask())


def test_seconds_come_from_the_looks_capture_times_and_short_pieces_join_their_place() -> None:
    """A recording with fewer frames than the camera's fps (here 2 a second for an fps of 5) still counts its
    seconds right; a fixture the model keeps losing leaves 2-look pieces, which join the still track there."""
    finder = FixtureFinder(fps=5.0, min_seconds=100.0)
    for look in range(300):  # 150 s at 2 looks a second
        piece = 1 if look < 200 else 100 + look // 2  # then a new id every 2 looks
        finder.add(look / 2, [person(piece, 640), person(50, 100 + 3 * look)], WIDTH, HEIGHT)
    (fixture,) = finder.fixtures()
    assert fixture.seconds == 150.0 and fixture.share == 1.0
    assert fixture.track_ids[0] == 1 and len(fixture.track_ids) == 51  # the long track and its 50 pieces

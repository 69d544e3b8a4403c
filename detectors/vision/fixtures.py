"""Fixtures a camera tracks as people: person tracks that stand in one place for a long time, as mask suggestions.

Why: object filters (`cameras[].filters`, `object_filters.py`) drop what a site masks, but an operator does not
know which lamp post or bush the far-field people model boxes as a person until an officer is sent to it. A
fixture gives itself away by never moving: its foot point stays put look after look, for minutes, under one
track id or several (its track breaks when the model misses it). A person standing that long is rare and is
shown to the operator the same way, with a snapshot, to decide. Pure: tracked objects in, suggestions out.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from detectors.behaviour.zones import Point
from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Look:
    ts: float
    foot: Point  # fractions of the frame
    height: float  # fraction of the frame height
    score: float
    box: Box  # frame pixels


@dataclass(frozen=True)
class Fixture:
    """A place where "people" stood still for `seconds` of looks, under `track_ids`."""

    track_ids: tuple[int, ...]
    seconds: float
    share: float  # of the recording's looks
    foot: Point  # median foot point, fractions of the frame
    height: float  # median box height, fraction of the frame height
    score: float  # median confidence
    best: Box  # the box of its strongest look, frame pixels (for the snapshot)
    best_ts: float
    aspect: float  # of the frame, width / height

    def mask(self) -> tuple[Point, ...]:
        """A polygon around the foot point (a height wide, half a height tall), inside the frame: a mask that
        drops this fixture and leaves the ground a step away to the people who walk past it."""
        x, y = self.foot
        half_w, half_h = self.height / 2 / self.aspect, self.height / 4  # heights to fractions of the width
        x1, x2 = max(0.0, x - half_w), min(1.0, x + half_w)
        y1, y2 = max(0.0, y - half_h), min(1.0, y + half_h)
        return tuple((round(px, 3), round(py, 3)) for px, py in ((x1, y1), (x2, y1), (x2, y2), (x1, y2)))


@dataclass
class FixtureFinder:
    """One camera's person tracks, look by look; `fixtures()` says which stood still for `min_seconds`."""

    fps: float  # the camera's: the time a look stands for until the looks' own timestamps say
    min_seconds: float = 120.0
    max_shift: float = 0.25  # of the box height: farther than this from its median foot point, a track moved
    looks: int = 0
    aspect: float = 16 / 9  # of the frames, width / height (the latest look's)
    _tracks: dict[int, list[_Look]] = field(default_factory=lambda: defaultdict(list))
    _span: tuple[float, float] | None = None  # first and last look's capture time

    def add(self, ts: float, objects: list[TrackedObject], width: int, height: int) -> None:
        self.looks += 1
        self.aspect = width / height
        self._span = (ts, ts) if self._span is None else (self._span[0], ts)
        for obj in objects:
            if obj.cls is ObjectClass.PERSON:
                x, y = obj.box.foot_point()
                look = _Look(ts, (x / width, y / height), obj.box.height / height, obj.confidence, obj.box)
                self._tracks[obj.track_id].append(look)

    def fixtures(self) -> list[Fixture]:
        """Still places seen for at least `min_seconds`, longest first."""
        groups: list[list[int]] = []  # still track ids standing at one place
        centres: list[tuple[Point, float]] = []
        still = sorted((t for t in self._tracks if self._still(t)), key=lambda t: -len(self._tracks[t]))
        short = [t for t in self._tracks if len(self._tracks[t]) < 3]  # pieces of a fixture the model keeps losing
        for track_id in still + short:
            foot, height = _place(self._tracks[track_id])
            number = self._nearest(foot, height, centres)
            if number is not None:
                groups[number].append(track_id)
            elif len(self._tracks[track_id]) >= 3:  # a short piece only joins a place a still track marks
                groups.append([track_id])
                centres.append((foot, height))
        found = [self._fixture(ids) for ids in groups]
        return sorted((f for f in found if f.seconds >= self.min_seconds), key=lambda f: -f.seconds)

    def _nearest(self, foot: Point, height: float, centres: list[tuple[Point, float]]) -> int | None:
        """The first place within `max_shift` (of the taller box) of this foot point, or None."""
        return next(
            (
                n
                for n, (at, tall) in enumerate(centres)
                if self._distance(foot, at) <= self.max_shift * max(height, tall)
            ),
            None,
        )

    def _still(self, track_id: int) -> bool:
        looks = self._tracks[track_id]
        if len(looks) < 3:
            return False
        foot, height = _place(looks)
        shifts = sorted(self._distance(look.foot, foot) for look in looks)
        return shifts[int(0.9 * (len(shifts) - 1))] <= self.max_shift * height  # box jitter: the 90th percentile

    def _fixture(self, track_ids: list[int]) -> Fixture:
        looks = [look for t in track_ids for look in self._tracks[t]]
        seen = len({look.ts for look in looks})
        strongest = max(looks, key=lambda k: k.score)
        foot, height = _place(looks)
        return Fixture(
            track_ids=tuple(sorted(track_ids)),
            seconds=seen * self._interval(),
            share=seen / self.looks if self.looks else 0.0,
            foot=foot,
            height=height,
            score=statistics.median(k.score for k in looks),
            best=strongest.box,
            best_ts=strongest.ts,
            aspect=self.aspect,
        )

    def _interval(self) -> float:
        """Seconds between looks, from their capture times (a recording may hold fewer frames than the camera's
        fps asks for)."""
        if self._span is None or self.looks < 2:
            return 1.0 / self.fps
        return (self._span[1] - self._span[0]) / (self.looks - 1)

    def _distance(self, a: Point, b: Point) -> float:
        """Between two foot points in fractions of the frame, measured in frame heights (as box heights are)."""
        return math.hypot((a[0] - b[0]) * self.aspect, a[1] - b[1])


def _place(looks: list[_Look]) -> tuple[Point, float]:
    """The median foot point and box height of some looks: where they stand, and how tall they are."""
    foot = (statistics.median(k.foot[0] for k in looks), statistics.median(k.foot[1] for k in looks))
    return foot, statistics.median(k.height for k in looks)

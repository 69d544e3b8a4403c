"""Ground-truth stays at parked cars, labelled from VIRAT's own boxes with code that shares nothing with the rules.

A stay is a person whose foot point (bottom centre of the box) is within `reach` person heights of a parked car's
box for `min_s` or more (in VIRAT's person-vehicle events the foot is within 0.21 person heights of the car box
95 % of the time; 0.25 keeps those). Parked here: the car's box centre moved less than a tenth of the box width
over the previous `still_s`. Crowd-annotated scenes cut one person into 10-20 s pieces with new ids that overlap
by about 21 frames: a piece starting while or just after another ends, where that one's foot is, is joined to it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from detectors.geometry import Box

PERSON, CAR, OTHER_VEHICLE = 1, 2, 3


@dataclass
class Person:
    """One joined person: the annotation ids of its pieces and its boxes by frame."""

    ids: set[int]
    boxes: dict[int, Box] = field(default_factory=dict)


@dataclass(frozen=True)
class Stay:
    person: int  # the first piece's id
    start_frame: int
    end_frame: int
    cars: tuple[int, ...]


def join_pieces(
    frames: dict[int, list[tuple[int, int, Box]]], fps: float, overlap_s: float = 1.5, reach: float = 0.5
) -> list[Person]:
    """Person pieces joined into people: a piece whose first box is near the last boxes of a piece that ends within
    `overlap_s` of its start (before or after) continues that person."""
    pieces: dict[int, dict[int, Box]] = defaultdict(dict)
    for frame, objects in frames.items():
        for oid, kind, box in objects:
            if kind == PERSON:
                pieces[oid][frame] = box
    order = sorted(pieces, key=lambda oid: min(pieces[oid]))
    people: list[Person] = []
    window = round(overlap_s * fps)
    for oid in order:
        boxes = pieces[oid]
        first = min(boxes)
        start_box = boxes[first]
        best: tuple[float, Person] | None = None
        for person in people:
            last = max(person.boxes)
            if not first - window <= last <= first + window:
                continue
            at = person.boxes.get(first) or person.boxes[last]
            gap = math.dist(at.foot_point(), start_box.foot_point()) / max(1.0, at.height, start_box.height)
            if gap <= reach and (best is None or gap < best[0]):
                best = (gap, person)
        if best is None:
            person = Person({oid})
            people.append(person)
        else:
            person = best[1]
            person.ids.add(oid)
        for frame, box in boxes.items():
            person.boxes.setdefault(frame, box)
    return people


def _parked_cars(frames: dict[int, list[tuple[int, int, Box]]], still_frames: int) -> dict[int, dict[int, Box]]:
    """frame -> {car id: box} of the cars that have not moved over the previous still_frames."""
    tracks: dict[int, dict[int, Box]] = defaultdict(dict)
    for frame, objects in frames.items():
        for oid, kind, box in objects:
            if kind in (CAR, OTHER_VEHICLE):
                tracks[oid][frame] = box
    parked: dict[int, dict[int, Box]] = defaultdict(dict)
    for oid, boxes in tracks.items():
        first = min(boxes)
        for frame, box in boxes.items():
            before = boxes.get(max(first, frame - still_frames))
            if before is None:
                continue
            (x, y), (bx, by) = box.center(), before.center()
            if math.hypot(x - bx, y - by) < 0.1 * max(box.width, 1.0):
                parked[frame][oid] = box
    return parked


def label_stays(
    frames: dict[int, list[tuple[int, int, Box]]],
    fps: float,
    reach: float = 0.25,
    min_s: float = 30.0,
    gap_s: float = 2.0,
    still_s: float = 5.0,
    step: int = 3,
) -> tuple[list[Person], list[Stay]]:
    """Every person, and every run of min_s or more with the foot within `reach` heights of a parked car's box
    (absences up to gap_s bridged), looked at every `step` frames."""
    people = join_pieces(frames, fps)
    parked = _parked_cars(frames, round(still_s * fps))
    stays: list[Stay] = []
    for person in people:
        near: list[tuple[int, tuple[int, ...]]] = []
        for frame in sorted(person.boxes)[::step]:
            cars = parked.get(frame)
            if not cars:
                continue
            box = person.boxes[frame]
            fx, fy = box.foot_point()
            ids = list(cars)
            arr = np.array([[b.x1, b.y1, b.x2, b.y2] for b in cars.values()])
            dx = np.maximum.reduce([arr[:, 0] - fx, np.zeros(len(ids)), fx - arr[:, 2]])
            dy = np.maximum.reduce([arr[:, 1] - fy, np.zeros(len(ids)), fy - arr[:, 3]])
            close = np.hypot(dx, dy) <= reach * box.height
            if close.any():
                near.append((frame, tuple(ids[i] for i in np.flatnonzero(close))))
        stays += _runs(min(person.ids), near, fps, min_s, gap_s)
    return people, stays


def _runs(pid: int, near: list[tuple[int, tuple[int, ...]]], fps: float, min_s: float, gap_s: float) -> list[Stay]:
    runs: list[Stay] = []
    start = last = -1
    cars: set[int] = set()
    for frame, ids in [*near, (10**12, ())]:
        if start >= 0 and frame - last <= gap_s * fps:
            last, cars = frame, cars | set(ids)
            continue
        if start >= 0 and (last - start) / fps >= min_s:
            runs.append(Stay(pid, start, last, tuple(sorted(cars))))
        start, last, cars = frame, frame, set(ids)
    return runs

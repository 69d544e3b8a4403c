"""Labelled scenarios: synthetic people acting among the real parked cars of a real recorded scene.

The scene's own tracks (e.g. the VIRAT car-park ground truth) are kept as they are: its cars, its passers-by.
Into them go one synthetic person per scenario, whose size follows the scene's perspective (fitted on the
scene's real people) and whose walk, stops, occlusions and tracker ID switches are drawn at random within
ranges that describe the behaviour, not the rules' thresholds. Beside each `NAME.tracks.jsonl` goes
`NAME.labels.json` (format in the README, "Evaluation"). Kinds: casing (stops at 3-5 cars), dwell (one car,
40-120 s, sometimes hidden for a moment and re-found under a new track ID), pass_by (walks along the cars),
glance (stops at two cars), owner (walks to a car, gets in, the car drives off).
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject, TrackFrame
from streams.records import encode_model

logger = logging.getLogger(__name__)

KINDS = ("casing", "dwell", "pass_by", "glance", "owner")
EXPECT = {"casing": ["casing"], "dwell": ["loitering"], "pass_by": [], "glance": [], "owner": []}
PERSON_HEIGHT_M = 1.7
SYNTHETIC_IDS = 900_000  # synthetic track ids start here, far from any real tracker's


class _NoSpot(Exception):
    """No spot beside this car is nearer to it than to another car."""


@dataclass
class ScenarioLabel:
    scenario: str
    kind: str
    expect: list[str]  # rules that should raise an alert for this person; empty: none should
    persons: list[int]  # every track id the synthetic person had (ID switches included)
    start: float  # event time the behaviour begins (arrival at the first car)
    end: float  # event time the person leaves
    camera_id: str
    scene: str
    cars: list[int] = field(default_factory=list)  # the parked cars involved
    synthetic: bool = True


@dataclass
class Scene:
    frames: list[TrackFrame]
    name: str

    @property
    def duration(self) -> float:
        return self.frames[-1].ts - self.frames[0].ts

    def parked_cars(self, start: float, end: float) -> dict[int, Box]:
        """Vehicles seen in most frames of [start, end] whose centre hardly moves: the scene's parked cars."""
        boxes: dict[int, list[Box]] = defaultdict(list)
        span = [f for f in self.frames if start <= f.ts <= end]
        for frame in span:
            for obj in frame.objects:
                if obj.is_vehicle:
                    boxes[obj.track_id].append(obj.box)
        parked = {}
        for vid, seen in boxes.items():
            if len(seen) < 0.9 * len(span):
                continue
            xs, ys = [b.center()[0] for b in seen], [b.center()[1] for b in seen]
            if max(max(xs) - min(xs), max(ys) - min(ys)) <= 0.1 * seen[0].diagonal:
                parked[vid] = seen[-1]
        return parked

    def height_at(self) -> Callable[[float], float]:
        """Person height in pixels as a function of the foot's y, fitted on the scene's real people."""
        points = [(o.box.y2, o.box.height) for f in self.frames for o in f.objects if o.cls is ObjectClass.PERSON]
        if len(points) < 10:
            return lambda y: 0.12 * self.frames[0].height
        n = len(points)
        mean_y, mean_h = sum(p[0] for p in points) / n, sum(p[1] for p in points) / n
        var = sum((p[0] - mean_y) ** 2 for p in points) or 1.0
        slope = sum((p[0] - mean_y) * (p[1] - mean_h) for p in points) / var
        return lambda y: max(8.0, mean_h + slope * (y - mean_y))


@dataclass
class _Path:
    """A synthetic person's foot positions over event time, with the track id shown at each time."""

    points: list[tuple[float, float, float, int]] = field(default_factory=list)  # ts, x, y, track id (-1: hidden)

    def at(self, ts: float) -> tuple[float, float, int] | None:
        if not self.points or ts < self.points[0][0] or ts > self.points[-1][0]:
            return None
        for (t0, x0, y0, i0), (t1, x1, y1, _) in zip(self.points, self.points[1:], strict=False):
            if t0 <= ts <= t1:
                a = 0.0 if t1 == t0 else (ts - t0) / (t1 - t0)
                return x0 + (x1 - x0) * a, y0 + (y1 - y0) * a, i0
        last = self.points[-1]
        return last[1], last[2], last[3]


class ScenarioMaker:
    def __init__(self, scene: Scene, seed: int) -> None:
        self.scene = scene
        self.rng = random.Random(seed)
        self.height = scene.height_at()
        first = scene.frames[0]
        self.size = (first.width, first.height)

    def make(self, kind: str, index: int) -> tuple[list[TrackFrame], ScenarioLabel]:
        t0 = self.scene.frames[0].ts
        parked = self.scene.parked_cars(t0, self.scene.frames[-1].ts)
        if len(parked) < 5:
            raise ValueError(f"scene {self.scene.name} has {len(parked)} parked cars; scenarios need 5")
        track = SYNTHETIC_IDS + 10 * index
        reachable = [c for c in sorted(parked) if self._reachable(parked[c], parked)]
        if len(reachable) < 5:
            raise ValueError(f"scene {self.scene.name}: only {len(reachable)} parked cars can be stood at apart")
        path, cars = _Path(), self.rng.sample(reachable, 5)
        x, y = self._edge_point()
        ts = t0 + self.rng.uniform(2.0, 8.0)
        path.points.append((ts, x, y, track))
        start = None
        mover: tuple[int, float] | None = None
        if kind in ("casing", "glance"):
            for car in cars[: self.rng.randint(3, 5) if kind == "casing" else 2]:
                ts, x, y = self._walk(path, ts, (x, y), self._beside(parked[car], parked), track)
                start = ts if start is None else start
                ts = self._stand(path, ts, x, y, self.rng.uniform(3.0, 12.0), track)
        elif kind == "dwell":
            ts, x, y = self._walk(path, ts, (x, y), self._beside(parked[cars[0]], parked), track)
            start = ts
            stay = self.rng.uniform(40.0, 120.0)
            if self.rng.random() < 0.5:  # hidden behind the car for a moment, found again under a new id
                ts = self._stand(path, ts, x, y, stay * 0.4, track)
                path.points.append((ts, x, y, -1))
                ts += self.rng.uniform(1.0, 3.0)
                track += 1
                path.points.append((ts, x, y, track))
                ts = self._stand(path, ts, x, y, stay * 0.6, track)
            else:
                ts = self._stand(path, ts, x, y, stay, track)
        elif kind == "pass_by":
            start = ts
            for car in sorted(cars[:3], key=lambda c: parked[c].center()[0]):
                ts, x, y = self._walk(path, ts, (x, y), self._beside(parked[car], parked), track)
        elif kind == "owner":
            ts, x, y = self._walk(path, ts, (x, y), self._beside(parked[cars[0]], parked), track)
            start = ts
            ts = self._stand(path, ts, x, y, self.rng.uniform(3.0, 8.0), track)
            mover = (cars[0], ts + self.rng.uniform(5.0, 10.0))  # gets in; the car drives off
        else:
            raise ValueError(f"unknown scenario kind {kind!r}")
        if kind != "owner":
            ts, x, y = self._walk(path, ts, (x, y), self._edge_point(), track)
        end = ts
        persons = sorted({p[3] for p in path.points if p[3] >= 0})
        name = f"{index:04d}-{kind}"
        label = ScenarioLabel(
            name,
            kind,
            EXPECT[kind],
            persons,
            start or end,
            end,
            self.scene.frames[0].camera_id,
            self.scene.name,
            cars=[] if kind in ("pass_by",) else cars[:5],
        )
        return self._frames(path, mover, name), label

    def _frames(self, path: _Path, mover: tuple[int, float] | None, name: str) -> list[TrackFrame]:
        out = []
        for frame in self._timeline(path.points[-1][0] + 5.0):
            objects = list(frame.objects)
            if mover is not None and frame.ts >= mover[1]:
                objects = [self._driving(o, frame.ts - mover[1]) if o.track_id == mover[0] else o for o in objects]
            spot = path.at(frame.ts)
            if spot is not None and spot[2] >= 0:
                x, y, track = spot
                x += self.rng.gauss(0, 0.01 * self.height(y))  # detector jitter
                objects.append(self._person(track, x, y))
            out.append(frame.model_copy(update={"objects": objects, "stream_id": f"scenario-{name}"}))
        return out

    def _timeline(self, until: float) -> list[TrackFrame]:
        """The scene's frames, continued past its end with its parked cars only when a scenario runs longer."""
        frames = list(self.scene.frames)
        last = frames[-1]
        step = (last.ts - frames[0].ts) / max(1, len(frames) - 1) or 0.1
        cars = [o for o in last.objects if o.is_vehicle]
        seq, ts = last.seq, last.ts
        while ts + step <= until:
            seq, ts = seq + 1, ts + step
            frames.append(last.model_copy(update={"seq": seq, "ts": ts, "objects": cars}))
        return frames

    def _driving(self, car: TrackedObject, moving_s: float) -> TrackedObject:
        shift = 0.5 * car.box.width * moving_s  # pulls out at about half a car length per second
        box = Box(x1=car.box.x1 + shift, y1=car.box.y1, x2=car.box.x2 + shift, y2=car.box.y2)
        return car.model_copy(update={"box": box})

    def _person(self, track: int, x: float, y: float) -> TrackedObject:
        h = self.height(y)
        box = Box(x1=x - 0.2 * h, y1=y - h, x2=x + 0.2 * h, y2=y)
        return TrackedObject(track_id=track, cls=ObjectClass.PERSON, box=box, confidence=self.rng.uniform(0.55, 0.9))

    def _edge_point(self) -> tuple[float, float]:
        w, h = self.size
        return (self.rng.choice([0.02, 0.98]) * w, self.rng.uniform(0.55, 0.95) * h)

    def _beside(self, car: Box, parked: dict[int, Box]) -> tuple[float, float]:  # raises _NoSpot
        """A spot at the car's side (where its doors are) that is nearer to this car than to any other one:
        standing there is being at this car, in the image as for an officer looking at it."""
        spot = car.center()
        for _ in range(30):
            side = self.rng.choice(["left", "right", "below"])
            if side == "below":
                spot = (
                    car.x1 + self.rng.uniform(0.2, 0.8) * car.width,
                    car.y2 + self.rng.uniform(0.0, 0.15) * car.height,
                )
            else:
                x = car.x1 - 0.1 * car.width if side == "left" else car.x2 + 0.1 * car.width
                spot = (x, car.y1 + self.rng.uniform(0.6, 1.0) * car.height)
            clear = 0.25 * self.height(spot[1])  # nearer by a clear margin: detection jitter must not flip it
            if all(car.gap_to(spot) + clear < other.gap_to(spot) for other in parked.values() if other is not car):
                return spot
        raise _NoSpot

    def _reachable(self, car: Box, parked: dict[int, Box]) -> bool:
        """Whether someone can stand at this car without being nearer another (cars hidden behind others cannot)."""
        probe = random.Random(0)
        saved, self.rng = self.rng, probe
        try:
            self._beside(car, parked)
            return True
        except _NoSpot:
            return False
        finally:
            self.rng = saved

    def _walk(
        self, path: _Path, ts: float, start: tuple[float, float], goal: tuple[float, float], track: int
    ) -> tuple[float, float, float]:
        speed_m_s = self.rng.uniform(1.0, 1.6)
        px_per_m = self.height((start[1] + goal[1]) / 2) / PERSON_HEIGHT_M
        seconds = math.dist(start, goal) / (speed_m_s * px_per_m)
        ts += max(seconds, 0.5)
        path.points.append((ts, goal[0], goal[1], track))
        return ts, goal[0], goal[1]

    def _stand(self, path: _Path, ts: float, x: float, y: float, seconds: float, track: int) -> float:
        """Standing at a car: small steps around the spot (leaning, trying a handle)."""
        step = 0.05 * self.height(y)
        end = ts + seconds
        while ts < end:
            ts = min(end, ts + 1.0)
            path.points.append((ts, x + self.rng.uniform(-step, step), y + self.rng.uniform(-step, step) * 0.3, track))
        return ts


def write_scenarios(scene: Scene, out: Path, count: int, seed: int, kinds: tuple[str, ...] = KINDS) -> list[Path]:
    """`count` scenarios cycling through `kinds`, plus the scene alone as `normal` activity."""
    out.mkdir(parents=True, exist_ok=True)
    maker = ScenarioMaker(scene, seed)
    written = []
    for index in range(count):
        frames, label = maker.make(kinds[index % len(kinds)], index)
        written.append(_write(out, label.scenario, frames, asdict(label)))
    normal = [f.model_copy(update={"stream_id": "scenario-normal"}) for f in scene.frames]
    span = scene.duration
    written.append(
        _write(
            out,
            "normal",
            normal,
            {
                "scenario": "normal",
                "kind": "normal",
                "expect": [],
                "persons": [],
                "start": 0.0,
                "end": span,
                "scene": scene.name,
                "camera_id": scene.frames[0].camera_id,
                "synthetic": False,
            },
        )
    )
    return written


def _write(out: Path, name: str, frames: list[TrackFrame], label: dict[str, object]) -> Path:
    path = out / f"{name}.tracks.jsonl"
    last = frames[-1]
    end = last.model_copy(update={"seq": last.seq + 1, "objects": [], "end_of_stream": True})
    path.write_text("".join(encode_model(f).decode() + "\n" for f in [*frames, end]))
    (out / f"{name}.labels.json").write_text(json.dumps(label, indent=1))
    return path

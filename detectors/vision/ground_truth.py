"""Scoring detection and tracking against a dataset's own ground-truth tracks (pure: boxes in, figures out).

Hand labels on a few frames hid that the model misses the far-field people a car-park camera shows. A dataset
with every person boxed in every frame (VIRAT's objects files) answers what the rules need: per frame, how many
people of each size we find and how many we invent; per person, how much of their time in view one of our
tracks covers, and how often their track id changes (IDF1 and switches from `motmetrics`, the MOTChallenge
reference implementation).
"""

from __future__ import annotations

import logging
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from detectors.geometry import Box

logger = logging.getLogger(__name__)

MIN_IOU = 0.5
# Person height bins in frame pixels: the target band is 40-90 px (a 720p car-park camera's far half).
SIZE_BINS: tuple[tuple[str, float, float], ...] = (
    ("< 40 px", 0.0, 40.0),
    ("40-90 px", 40.0, 90.0),
    (">= 90 px", 90.0, math.inf),
)

People = Mapping[int, Box]  # one frame: person id -> box


def size_bin(height: float) -> str:
    return next(name for name, low, high in SIZE_BINS if low <= height < high)


@dataclass
class Counts:
    """Per-frame detection counts of one size bin; `+` adds frames up."""

    people: int = 0
    found: int = 0
    false: int = 0  # found boxes matching nobody, binned by their own height

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.people + other.people, self.found + other.found, self.false + other.false)

    @property
    def recall(self) -> float | None:
        return self.found / self.people if self.people else None

    @property
    def precision(self) -> float | None:
        claimed = self.found + self.false
        return self.found / claimed if claimed else None


@dataclass
class FrameCounts:
    """Counts by size bin over one frame or many."""

    bins: dict[str, Counts] = field(default_factory=lambda: {name: Counts() for name, _, _ in SIZE_BINS})
    frames: int = 0

    def __add__(self, other: FrameCounts) -> FrameCounts:
        return FrameCounts({k: self.bins[k] + other.bins[k] for k in self.bins}, self.frames + other.frames)

    @property
    def total(self) -> Counts:
        return sum(self.bins.values(), Counts())


def score_frame(found: Sequence[tuple[Box, float]], truth: Sequence[Box], min_iou: float = MIN_IOU) -> FrameCounts:
    """Greedy, strongest first (as COCO's evaluation): each found box takes the unmatched person it overlaps
    most, if by `min_iou`; a person counts in the bin of their true height, a false box in the bin of its own."""
    counts = FrameCounts(frames=1)
    for person in truth:
        counts.bins[size_bin(person.height)].people += 1
    unmatched = list(truth)
    for box, _score in sorted(found, key=lambda item: -item[1]):
        best = max(unmatched, key=box.iou, default=None)
        if best is not None and box.iou(best) >= min_iou:
            unmatched.remove(best)
            counts.bins[size_bin(best.height)].found += 1
        else:
            counts.bins[size_bin(box.height)].false += 1
    return counts


def walks(boxes: Sequence[Box]) -> bool:
    """Whether a person's foot point gets at least one (median) body height from where it was first seen: the
    people the rules follow; someone seated behind a planter the whole time does not."""
    if not boxes:
        return False
    height = statistics.median(b.height for b in boxes)
    x0, y0 = (boxes[0].x1 + boxes[0].x2) / 2, boxes[0].y2
    return any(math.hypot((b.x1 + b.x2) / 2 - x0, b.y2 - y0) >= height for b in boxes)


@dataclass(frozen=True)
class PersonTrack:
    """How one ground-truth person was tracked over the frames scored."""

    person_id: int
    frames: int  # frames the person is in view (of those scored)
    covered: int  # of them, frames one of our tracks matches the person (IoU >= MIN_IOU unless told)
    main_track: int  # frames the person's most frequent track matches them
    switches: int  # times the matching track id changed (motmetrics' SWITCH events)
    seconds: float
    walks: bool
    median_height: float

    @property
    def coverage(self) -> float:
        return self.covered / self.frames if self.frames else 0.0

    @property
    def switches_per_minute(self) -> float:
        return self.switches / (self.seconds / 60) if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class TrackScore:
    people: tuple[PersonTrack, ...]
    idf1: float
    idp: float
    idr: float
    mota: float
    switches: int

    def walkers(self) -> list[PersonTrack]:
        return [p for p in self.people if p.walks]


def score_tracks(
    truth: Mapping[int, People], ours: Mapping[int, People], fps: float, min_iou: float = MIN_IOU
) -> TrackScore:
    """Frame by frame (the frames of `truth`, in order) ground truth against our tracks: IoU >= `min_iou` pairs
    matched as MOTChallenge does (`motmetrics`), then per person coverage and switches, and IDF1 overall."""
    import motmetrics as mm  # pandas-heavy import kept out of module import time

    accumulator = mm.MOTAccumulator(auto_id=False)
    history: dict[int, list[Box]] = defaultdict(list)
    frames_seen: Counter[int] = Counter()
    for frame in sorted(truth):
        people, tracks = truth[frame], ours.get(frame, {})
        for person_id, box in people.items():
            history[person_id].append(box)
            frames_seen[person_id] += 1
        accumulator.update(list(people), list(tracks), iou_distances(people, tracks, min_iou), frame)
    events = accumulator.mot_events
    matched = events[events["Type"].isin(["MATCH", "SWITCH"])]
    per_person: dict[int, Counter[int]] = defaultdict(Counter)
    for person_id, track_id in zip(matched["OId"].tolist(), matched["HId"].tolist(), strict=True):
        per_person[int(person_id)][int(track_id)] += 1
    switches = Counter(int(p) for p in events[events["Type"] == "SWITCH"]["OId"].tolist())
    scored = tuple(
        PersonTrack(
            person_id=person_id,
            frames=frames_seen[person_id],
            covered=sum(per_person[person_id].values()),
            main_track=max(per_person[person_id].values(), default=0),
            switches=switches[person_id],
            seconds=frames_seen[person_id] / fps,
            walks=walks(history[person_id]),
            median_height=statistics.median(b.height for b in history[person_id]),
        )
        for person_id in sorted(history)
    )
    summary = mm.metrics.create().compute(
        accumulator, metrics=["idf1", "idp", "idr", "mota", "num_switches"], name="all"
    )
    row = summary.loc["all"]
    return TrackScore(
        scored,
        _finite(row["idf1"]),
        _finite(row["idp"]),
        _finite(row["idr"]),
        _finite(row["mota"]),
        int(row["num_switches"]),
    )


def iou_distances(people: People, tracks: People, min_iou: float) -> np.ndarray:
    """1 - IoU, NaN (never paired) below `min_iou`: motmetrics' `iou_matrix`, which numpy 2 broke (asfarray)."""
    out = np.full((len(people), len(tracks)), np.nan)
    for row, person in enumerate(people.values()):
        for col, track in enumerate(tracks.values()):
            iou = person.iou(track)
            if iou >= min_iou:
                out[row, col] = 1 - iou
    return out


def _finite(value: object) -> float:
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else 0.0

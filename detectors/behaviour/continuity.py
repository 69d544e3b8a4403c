"""Person continuity: one identity across tracker ID switches, so a stay is not split into short ones.

Trackers hand a person a new ID after an occlusion (behind a car, the normal case here) or briefly follow
them with two IDs. Either would reset a dwell timer. A new person track inherits an identity when
  - a duplicate: another track of this frame covers most of it (intersection over the smaller box at least
    duplicate_overlap), or
  - a hand-over: an identity lost no more than max_gap_s ago was last seen within max_shift_ratio times the
    person's height of where the new track appears.
Vehicles keep their identity by position: a new vehicle track whose box matches (IoU) where a vehicle was lost
up to vehicle_max_gap_s ago continues it, so a parked car stays parked across missed detections.
Identities are the first track ID they were seen with, so alert ids stay stable. Pure and deterministic.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from detectors.config import ContinuityConfig
from detectors.geometry import Box, distance
from detectors.types import ObjectClass, TrackedObject, TrackFrame

logger = logging.getLogger(__name__)


@dataclass
class _Seen:
    ts: float
    box: Box


class _Identities:
    """The bookkeeping both kinds of continuity share: track -> identity, and where each identity was last seen."""

    def __init__(self, max_gap_s: float) -> None:
        self.max_gap_s = max_gap_s
        self.stream_id: str | None = None
        self.of_track: dict[int, int] = {}  # track id -> identity
        self.last: dict[int, _Seen] = {}  # identity -> where and when last seen

    def follow(self, stream_id: str) -> None:
        """A new stream restarts track ids, so everything known about the old one is dropped."""
        if stream_id != self.stream_id:
            self.stream_id, self.of_track, self.last = stream_id, {}, {}

    def seen(self, present: dict[int, TrackedObject], ts: float) -> None:
        """Record this frame's identities, then forget those unseen for longer than the gap."""
        for identity, obj in present.items():
            self.last[identity] = _Seen(ts, obj.box)
        stale = {i for i, seen in self.last.items() if ts - seen.ts > self.max_gap_s}
        for identity in stale:
            del self.last[identity]
        if stale:
            self.of_track = {t: i for t, i in self.of_track.items() if i not in stale}


class PersonContinuity:
    """Maps a camera stream's person track IDs to stable identities, frame by frame."""

    def __init__(self, config: ContinuityConfig) -> None:
        self.config = config
        self._ids = _Identities(config.max_gap_s)

    def reconfigure(self, config: ContinuityConfig) -> None:
        """Other settings, the same identities (a rules state restored under a changed config)."""
        self.config = config
        self._ids.max_gap_s = config.max_gap_s

    def resolve(self, frame: TrackFrame) -> TrackFrame:
        """The frame with person track IDs replaced by identities; a duplicate box of a person is dropped."""
        if not self.config.enabled or frame.end_of_stream:
            return frame
        self._ids.follow(frame.stream_id)
        of_track = self._ids.of_track
        people = sorted((o for o in frame.objects if o.cls is ObjectClass.PERSON), key=lambda o: o.track_id)
        present: dict[int, TrackedObject] = {}
        for person in (p for p in people if p.track_id in of_track):
            identity = of_track[person.track_id]
            other = present.get(identity)
            if other is not None and other.box.overlap(person.box) < self.config.duplicate_overlap / 3:
                identity = of_track[person.track_id] = person.track_id  # two people after all: split
            self._keep(present, identity, person)
        for person in (p for p in people if p.track_id not in of_track):
            found = self._duplicate_of(person, present) or self._handed_over(person, frame.ts, present)
            identity = person.track_id if found is None else found
            if identity != person.track_id:
                logger.debug("camera %s: track %s continues person %s", frame.camera_id, person.track_id, identity)
            of_track[person.track_id] = identity
            self._keep(present, identity, person)
        self._ids.seen(present, frame.ts)
        others = [o for o in frame.objects if o.cls is not ObjectClass.PERSON]
        resolved = [p.model_copy(update={"track_id": i}) for i, p in sorted(present.items())]
        return frame.model_copy(update={"objects": others + resolved})

    @staticmethod
    def _keep(present: dict[int, TrackedObject], identity: int, person: TrackedObject) -> None:
        current = present.get(identity)
        if current is None or person.confidence > current.confidence:
            present[identity] = person

    def _duplicate_of(self, person: TrackedObject, present: dict[int, TrackedObject]) -> int | None:
        scored = [(person.box.overlap(other.box), identity) for identity, other in present.items()]
        best = max(scored, default=(0.0, None))
        return best[1] if best[0] >= self.config.duplicate_overlap else None

    def _handed_over(self, person: TrackedObject, ts: float, present: dict[int, TrackedObject]) -> int | None:
        foot = person.box.foot_point()
        candidates = []
        for identity, seen in self._ids.last.items():
            if identity in present or ts - seen.ts > self.config.max_gap_s:
                continue
            reach = self.config.max_shift_ratio * max(seen.box.height, person.box.height)
            gap = distance(seen.box.foot_point(), foot)
            if gap <= reach:
                candidates.append((gap, identity))
        return min(candidates)[1] if candidates else None


class VehicleContinuity:
    """Maps a camera stream's vehicle track IDs to identities that survive missed detections of parked cars."""

    def __init__(self, config: ContinuityConfig) -> None:
        self.config = config
        self._ids = _Identities(config.vehicle_max_gap_s)

    def reconfigure(self, config: ContinuityConfig) -> None:
        """Other settings, the same identities (a rules state restored under a changed config)."""
        self.config = config
        self._ids.max_gap_s = config.vehicle_max_gap_s

    def resolve(self, frame: TrackFrame) -> TrackFrame:
        if not self.config.enabled or frame.end_of_stream:
            return frame
        self._ids.follow(frame.stream_id)
        of_track = self._ids.of_track
        vehicles = sorted((o for o in frame.objects if o.is_vehicle), key=lambda o: o.track_id)
        present: dict[int, TrackedObject] = {}
        for vehicle in (v for v in vehicles if v.track_id in of_track):
            present.setdefault(of_track[vehicle.track_id], vehicle)
        for vehicle in (v for v in vehicles if v.track_id not in of_track):
            found = self._lost_at(vehicle, frame.ts, present)
            identity = vehicle.track_id if found is None else found
            of_track[vehicle.track_id] = identity
            present.setdefault(identity, vehicle)
        self._ids.seen(present, frame.ts)
        others = [o for o in frame.objects if not o.is_vehicle]
        resolved = [v.model_copy(update={"track_id": i}) for i, v in sorted(present.items())]
        return frame.model_copy(update={"objects": resolved + others})

    def _lost_at(self, vehicle: TrackedObject, ts: float, present: dict[int, TrackedObject]) -> int | None:
        candidates = [
            (seen.box.iou(vehicle.box), identity)
            for identity, seen in self._ids.last.items()
            if identity not in present and ts - seen.ts <= self.config.vehicle_max_gap_s
        ]
        best = max(candidates, default=(0.0, None))
        return best[1] if best[0] >= self.config.vehicle_min_iou else None

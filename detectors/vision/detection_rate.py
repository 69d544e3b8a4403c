"""Adaptive detection rate: the model at the camera's rate only while the scene can lead to an alert.

The rules need a person's stay at a parked car; a 30 s dwell and 2 s stops are measured fine at 1-2 model
looks a second. What needs every frame is what the tracker cannot follow at a low rate, where it matters: a
person near a vehicle who is new (ByteTrack confirms a track over consecutive looks) or moving (a fast change
of position next to cars is where identities would swap). Far from vehicles no rule reads a track, so a walker
there can be looked at once a second even if ByteTrack gives it a new id at that rate. After each look the
camera is in one of three states:

- hot: a person near a vehicle who is moving or whose track is young: every frame the motion gate passes is
  looked at;
- quiet: nobody is moving (parked cars, still people): the motion gate alone decides, so motion wakes the
  model at once;
- far: people move, but none of them near a vehicle: at most one look per `calm_interval_s`; a person
  walking towards a car is seen near it within that interval, and the camera is hot again.

Pure policy, per camera, picklable (part of the detect stage's checkpointed state); no model, no Kafka.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from pydantic import Field

from detectors.base import StrictModel
from detectors.geometry import Box
from detectors.types import VEHICLE_CLASSES, ObjectClass, TrackedObject

logger = logging.getLogger(__name__)

FORGET_AFTER_S = 30.0  # longer than ByteTrack keeps a lost track, so a returning track is not new again


class DetectionRateConfig(StrictModel):
    """When a camera's model may run below the camera's frame rate."""

    enabled: bool = Field(
        default=False,
        description="Look less often while people move far from vehicles (see detectors/vision/detection_rate.py)",
    )
    calm_interval_s: float = Field(
        default=1.0, gt=0.0, le=10.0, description="Longest gap between looks while the camera is not hot (event time)"
    )
    young_track_s: float = Field(
        default=2.0,
        ge=0.0,
        le=60.0,
        description="A person track this new near a vehicle keeps the camera's rate, so ByteTrack confirms it",
    )
    near_ratio: float = Field(
        default=1.0, ge=0.0, le=10.0, description="A person within this many of their heights of a vehicle is near it"
    )
    moving_ratio_per_s: float = Field(
        default=0.15,
        gt=0.0,
        le=10.0,
        description="Centre shift, in person heights per second, that counts as moving (walking is about 0.8)",
    )


class RateState(StrEnum):
    HOT = "hot"
    QUIET = "quiet"
    FAR = "far"


class DetectionRate:
    """Per camera: told of every look (`looked`), asked about every frame with motion (`wants_look`)."""

    def __init__(self, config: DetectionRateConfig) -> None:
        self.config = config
        self.state = RateState.HOT  # a new stream starts at full rate: every track is young
        self._first_seen: dict[int, float] = {}
        self._last_seen: dict[int, tuple[float, Box]] = {}  # person track -> (ts, box) at the previous look
        self._last_look_ts = float("-inf")

    def wants_look(self, ts: float) -> bool:
        """Whether a frame the motion gate found moving is worth a model run now."""
        if self.state is not RateState.FAR:
            return True
        return ts - self._last_look_ts >= self.config.calm_interval_s

    def looked(self, ts: float, objects: list[TrackedObject]) -> RateState:
        """After a model run: the camera's state for the frames until the next one."""
        previous, self._last_look_ts = self.state, ts
        people = [o for o in objects if o.cls is ObjectClass.PERSON]
        vehicles = [o.box for o in objects if o.cls in VEHICLE_CLASSES]
        for p in people:
            self._first_seen.setdefault(p.track_id, ts)
        moving = {p.track_id for p in people if self._moving(p, ts)}
        lively = [
            p for p in people if p.track_id in moving or ts - self._first_seen[p.track_id] < self.config.young_track_s
        ]
        self._last_seen.update({p.track_id: (ts, p.box) for p in people})
        # a track missing from a look or two (a flicker) is the same person: forget it only once long gone
        gone = [tid for tid, (then, _) in self._last_seen.items() if ts - then > FORGET_AFTER_S]
        for tid in gone:
            del self._last_seen[tid]
            self._first_seen.pop(tid, None)
        if any(self._near(p.box, vehicles) for p in lively):
            self.state = RateState.HOT
        else:
            self.state = RateState.FAR if moving else RateState.QUIET
        if self.state is not previous:
            logger.debug("detection rate %s -> %s at %.2f", previous.value, self.state.value, ts)
        return self.state

    def _moving(self, person: TrackedObject, ts: float) -> bool:
        seen = self._last_seen.get(person.track_id)
        if seen is None:
            return True  # no earlier position: assume it moves until a second look says otherwise
        then, box = seen
        dt = ts - then
        if dt <= 0:
            return False
        cx0, cy0 = (box.x1 + box.x2) / 2, (box.y1 + box.y2) / 2
        cx1, cy1 = (person.box.x1 + person.box.x2) / 2, (person.box.y1 + person.box.y2) / 2
        height = max(1.0, person.box.y2 - person.box.y1)
        shift = ((cx1 - cx0) ** 2 + (cy1 - cy0) ** 2) ** 0.5 / height
        return shift / dt >= self.config.moving_ratio_per_s

    def _near(self, person: Box, vehicles: list[Box]) -> bool:
        margin = self.config.near_ratio * (person.y2 - person.y1)
        return any(
            person.x1 - margin <= v.x2
            and v.x1 <= person.x2 + margin
            and person.y1 - margin <= v.y2
            and v.y1 <= person.y2 + margin
            for v in vehicles
        )

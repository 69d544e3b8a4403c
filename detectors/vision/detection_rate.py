"""Adaptive detection rate: the model at the camera's rate only while the scene can lead to an alert.

The rules need a person's stay at a parked car; a 30 s dwell and 2 s stops are measured fine at 1-2 model
looks a second. What needs every frame is what the tracker cannot follow at a low rate, where it matters: a
person near a vehicle who is new (ByteTrack confirms a track over consecutive looks) or moving (a fast change
of position next to cars is where identities would swap). Far from vehicles no rule reads a track, so a walker
there can be looked at less often even if ByteTrack gives it a new id after each gap. After each look the
camera is in one of four states:

- hot: a person near a vehicle who is moving or whose track is young: every frame the motion gate passes is
  looked at;
- quiet: nobody is moving, but someone stands near a vehicle: the motion gate alone decides (its interval
  included), so motion wakes the model at once;
- idle: nobody is moving and nobody is near a vehicle (parked cars only, people sitting far from them): the
  motion gate decides, its whole-frame look without motion stretched to `idle_interval_s` (what the gate
  cannot see, a low-contrast walker at night, is still looked for); motion wakes the model at once, but once
  motion woke it and it found nobody moving (swaying trees, people too small to find), looks are limited as
  when far;
- far: people move, but none of them near a vehicle: `calm_looks` (2) frames in a row, then a
  gap of `calm_interval_s` (ByteTrack confirms a track on its second sighting, so walkers stay in view, under a new
  id after each gap); a person walking towards a car is seen near it within that interval, and the camera is
  hot again.

A look's result steers the frames from `DECISION_LAG_S` of event time after it, not the very next frame: the
detect stage runs a micro-batch's frames through the model together, so "the next frame" would depend on how
records were batched (a replay at another speed would look at other frames and could raise other alerts).
The stage splits its batches so that no camera's frames in one model pass span that long, which makes every
decision a function of the frames alone.

Pure policy, per camera, picklable (part of the detect stage's checkpointed state); no model, no Kafka.
"""

from __future__ import annotations

import logging
from collections import deque
from enum import StrEnum

from pydantic import Field

from detectors.base import StrictModel
from detectors.geometry import Box
from detectors.types import VEHICLE_CLASSES, ObjectClass, TrackedObject

logger = logging.getLogger(__name__)

DECISION_LAG_S = 0.5  # a look steers the frames from this much event time after it (see the module doc)
FORGET_AFTER_S = 30.0  # longer than ByteTrack keeps a lost track, so a returning track is not new again


class DetectionRateConfig(StrictModel):
    """When a camera's model may run below the camera's frame rate."""

    enabled: bool = Field(
        default=True,
        description="Look less often while people move far from vehicles (see detectors/vision/detection_rate.py)",
    )
    calm_interval_s: float = Field(
        default=1.0,
        gt=0.0,
        le=10.0,
        description="Gap between runs of calm_looks looks while people move far from vehicles, or while motion the "
        "model cannot explain keeps a scene with nobody near a vehicle moving (event time)",
    )
    calm_looks: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Frames looked at in a row at each calm interval: ByteTrack confirms a new track on its second "
        "sighting, so with 2 a walker far from vehicles is still tracked (under a new id after each gap)",
    )
    young_track_s: float = Field(
        default=2.0,
        ge=0.0,
        le=60.0,
        description="A person track this new near a vehicle keeps the camera's rate, so ByteTrack confirms it",
    )
    idle_interval_s: float = Field(
        default=3.0,
        gt=0.0,
        le=60.0,
        description="Longest gap between looks while nobody moves and nobody is near a vehicle (motion wakes the model "
        "at once; the motion gate's own max_interval_s applies in every other state)",
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
    IDLE = "idle"


class DetectionRate:
    """Per camera, in frame order: asked about every frame (`wants_look`), told which ones are looked at
    (`will_look`) and what each look found (`looked`)."""

    def __init__(self, config: DetectionRateConfig) -> None:
        self.config = config
        self.state = RateState.HOT  # after the latest look; a new stream starts at full rate: every track is young
        self._first_seen: dict[int, float] = {}
        self._last_seen: dict[int, tuple[float, Box]] = {}  # person track -> (ts, box) at the previous look
        self._last_look_ts = float("-inf")
        self._burst_looks = 0  # looks in a row since the last gap of calm_interval_s
        # looks not yet in force: (ts, state, whether motion woke the model and it found nobody to explain it)
        self._pending: deque[tuple[float, RateState, bool]] = deque()
        self._in_force: tuple[RateState, bool] = (RateState.HOT, False)

    def __setstate__(self, saved: dict[str, object]) -> None:
        """A checkpoint from before the burst and lag fields existed restores with them fresh."""
        fresh = DetectionRate(saved["config"])  # type: ignore[arg-type]
        self.__dict__.update({**fresh.__dict__, **saved})

    def wants_look(self, ts: float) -> bool:
        """Whether a frame is worth a model run now, if the motion gate agrees."""
        state, unexplained = self._state_at(ts)
        if state is RateState.FAR or (state is RateState.IDLE and unexplained):
            return self._after_gap(ts) or self._burst_looks < self.config.calm_looks
        return True

    def gate_interval_s(self, ts: float) -> float | None:
        """The motion gate's longest gap between whole looks for this frame; None: the gate's own."""
        return self.config.idle_interval_s if self.idle_at(ts) else None

    def idle_at(self, ts: float) -> bool:
        """Whether the look in force for the frame at `ts` found the camera idle (nobody moving, nobody near a
        vehicle): the gate alone then decides, and almost always finds the frame still."""
        return self._state_at(ts)[0] is RateState.IDLE

    def will_look(self, ts: float) -> None:
        """The frame at `ts` goes to the model (told in frame order, before the look's result is known)."""
        if ts <= self._last_look_ts:
            return
        self._burst_looks = 1 if self._after_gap(ts) else self._burst_looks + 1
        self._last_look_ts = ts

    def _after_gap(self, ts: float) -> bool:
        return ts - self._last_look_ts >= self.config.calm_interval_s - 1e-6  # 1.7 - 0.7 < 1.0 in floats

    def _state_at(self, ts: float) -> tuple[RateState, bool]:
        """The state of the latest look at least `DECISION_LAG_S` before `ts` (frames of one model pass are
        asked out of order with the pass's other cameras, so nothing is dropped here)."""
        found = self._in_force
        for look_ts, state, unexplained in self._pending:
            if look_ts > ts - DECISION_LAG_S:
                break
            found = (state, unexplained)
        return found

    def looked(self, ts: float, objects: list[TrackedObject], moved: bool = False) -> RateState:
        """After a model run (`moved`: motion woke the model, not the gate's interval): the camera's state for
        the frames from `DECISION_LAG_S` on."""
        previous = self.state
        self.will_look(ts)
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
        elif moving:
            self.state = RateState.FAR
        else:
            near = any(self._near(p.box, vehicles) for p in people)
            self.state = RateState.QUIET if near else RateState.IDLE
        self._pending.append((ts, self.state, moved and self.state is RateState.IDLE))
        while self._pending and self._pending[0][0] <= ts - DECISION_LAG_S:  # in force for every later frame
            _, state, unexplained = self._pending.popleft()
            self._in_force = (state, unexplained)
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

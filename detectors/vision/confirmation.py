"""Low-confidence person candidates that count only once confirmed over several frames.

Why: far-field people 40-90 px tall mostly score 0.1-0.3, where one frame cannot tell them from a bollard or a
shadow (at 0.1 the OMZ model finds 0.41 of the VIRAT 0100 people with 0.24 precision). Over frames they
differ: clutter stays put at a low score, a person walks or, once, scores high. ByteTrack already follows
low-score boxes of a live track; this holds back a person track until it has been seen in `min_frames`
frames and either scored `strong_score` once or moved `min_move_ratio` of its height, and from then on
reports it for as long as the tracker keeps it. Pure, per camera stream; other classes pass unchanged.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from detectors.types import ObjectClass, TrackedObject

logger = logging.getLogger(__name__)


class ConfirmConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_frames: int = Field(default=3, ge=1, le=100, description="Frames a person track is seen before it counts")
    strong_score: float = Field(
        default=0.35, ge=0.0, le=1.0, description="One detection this strong confirms a track (with min_frames)"
    )
    min_move_ratio: float = Field(
        default=0.5, ge=0.0, le=10.0, description="Or: its foot point moved this share of its height (a walker)"
    )
    forget_after: int = Field(default=100, ge=1, description="Frames after which an unseen candidate is forgotten")


@dataclass
class _Candidate:
    frames: int
    best: float
    start: tuple[float, float]
    moved: float  # farthest foot-point distance from start, in heights
    last_frame: int
    confirmed: bool = False


class CandidateConfirmation:
    """Filters one camera stream's tracked objects frame by frame."""

    def __init__(self, config: ConfirmConfig) -> None:
        self.config = config
        self._candidates: dict[int, _Candidate] = {}
        self._frame = 0

    def filter(self, objects: list[TrackedObject]) -> list[TrackedObject]:
        self._frame += 1
        kept = []
        for obj in objects:
            if obj.cls is not ObjectClass.PERSON:
                kept.append(obj)
                continue
            if self._update(obj).confirmed:
                kept.append(obj)
        stale = [k for k, c in self._candidates.items() if self._frame - c.last_frame > self.config.forget_after]
        for track_id in stale:
            del self._candidates[track_id]
        return kept

    def _update(self, obj: TrackedObject) -> _Candidate:
        foot = obj.box.foot_point()
        candidate = self._candidates.get(obj.track_id)
        if candidate is None:
            candidate = self._candidates[obj.track_id] = _Candidate(0, 0.0, foot, 0.0, self._frame)
        candidate.frames += 1
        candidate.last_frame = self._frame
        candidate.best = max(candidate.best, obj.confidence)
        height = max(obj.box.height, 1.0)
        shift = math.hypot(foot[0] - candidate.start[0], foot[1] - candidate.start[1]) / height
        candidate.moved = max(candidate.moved, shift)
        if not candidate.confirmed and candidate.frames >= self.config.min_frames:
            candidate.confirmed = (
                candidate.best >= self.config.strong_score or candidate.moved >= self.config.min_move_ratio
            )
            if candidate.confirmed:
                logger.debug("person track %s confirmed after %d frames", obj.track_id, candidate.frames)
        return candidate

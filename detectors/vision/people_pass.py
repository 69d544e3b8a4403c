"""A camera's own way of finding far-field people: its detector backend, tracker thresholds, zoomed crops and
low-score candidate confirmation (`cameras[].detector` in the site config; docs/people-detection.md).

Why per camera: a close street view finds its people with the site's YOLO at default thresholds; a wide car-park
view whose people are 40-90 px tall needs another model, crops and confirmation, at about three times the cost.
`PeoplePass` is the per-stream state the detect stage keeps for such a camera: it adds the crops to each look,
drops weak person boxes where nothing moved (`candidates`) and filters the tracks through confirmation. Pure
(no Kafka, no stage), so eval-tracks and tests drive the same.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

import numpy as np
from pydantic import Field, field_validator, model_validator

from detectors.base import StrictModel
from detectors.behaviour.zones import Polygons
from detectors.config import ModelConfig, MotionConfig, TrackerConfig
from detectors.geometry import Box
from detectors.types import Detection, ObjectClass, TrackedObject
from detectors.vision.confirmation import CandidateConfirmation, ConfirmConfig
from detectors.vision.crops import CropConfig, grey, moving_boxes, plan_crops, track_interest
from detectors.vision.detection_rate import DetectionRateConfig
from detectors.vision.motion_candidates import CandidateConfig, motion_agreeing
from detectors.vision.slicing import Offset, SlicingConfig, merge_parts

logger = logging.getLogger(__name__)


class CameraDetectorConfig(StrictModel):
    """Per-camera detection settings; every one left unset takes the site's `detector` section (no crops, no
    confirmation)."""

    model: ModelConfig | None = Field(
        default=None, description="This camera's detector backend (by `type`); unset: the site's detector.model"
    )
    tracker: TrackerConfig | None = Field(
        default=None, description="This camera's ByteTrack thresholds; unset: the site's detector.tracker"
    )
    motion: MotionConfig | None = Field(
        default=None,
        description="This camera's motion gate; unset: the site's. The default gate compares at 320 px wide, where "
        "a 50 px person in a 720p view is 22 px and a step of theirs often counts as still",
    )
    crops: CropConfig | None = Field(
        default=None, description="Zoomed crops around motion and live person tracks (one model run each)"
    )
    confirm: ConfirmConfig | None = Field(
        default=None, description="A person track counts only once confirmed (for low-score candidates)"
    )
    candidates: CandidateConfig | None = Field(
        default=None,
        description="Weak person boxes (under min_score) kept only where something moved since the last look; "
        "needs crops (their moving blobs) and a model confidence at most motion_min_score",
    )
    rate: DetectionRateConfig | None = Field(
        default=None,
        description="This camera's adaptive detection rate; unset: the site's detector.rate. A camera that must "
        "track small people far from vehicles turns it off: at one look a second nobody under 100 px is confirmed",
    )

    @field_validator("model", mode="before")
    @classmethod
    def _openvino_unless_typed(cls, value: Any) -> Any:
        """As the site's detector.model: `type` may be left out for the OpenVINO YOLO backend."""
        if isinstance(value, dict) and "type" not in value:
            return {**value, "type": "openvino"}
        return value

    @model_validator(mode="after")
    def _candidates_need_crops(self) -> CameraDetectorConfig:
        if self.candidates is not None and self.crops is None:
            raise ValueError("candidates needs crops: the moving blobs come from the crop planning")
        return self

    @property
    def has_pass(self) -> bool:
        return self.crops is not None or self.confirm is not None


class PeoplePass:
    """One camera stream's crops and confirmation. `input_size` is the model's (height, width): a crop is that
    divided by the zoom, so the model enlarges it by the zoom."""

    def __init__(self, config: CameraDetectorConfig, input_size: tuple[int, int], motion_mask: Polygons = ()) -> None:
        self.crop_config = config.crops
        self.motion_mask = motion_mask  # `cameras[].motion_mask`: no crops or weak candidates from changes there
        self.candidate_config = config.candidates
        self.confirmation = CandidateConfirmation(config.confirm) if config.confirm is not None else None
        self.input_size = input_size
        self._previous: np.ndarray | None = None
        self._live: list[Box] = []  # the last reported person tracks, frame pixels
        self._moving: list[Box] = []  # blobs that changed between the last two looks, frame pixels

    def reconfigure(self, config: CameraDetectorConfig, input_size: tuple[int, int], motion_mask: Polygons) -> None:
        """Take the camera's settings of now and keep what was learnt (live tracks, candidates being confirmed):
        a worker restored from a checkpoint saved under other settings."""
        self.crop_config, self.candidate_config, self.input_size = config.crops, config.candidates, input_size
        self.motion_mask = motion_mask
        if config.confirm is None:
            self.confirmation = None
        elif self.confirmation is None:
            self.confirmation = CandidateConfirmation(config.confirm)
        else:
            self.confirmation.config = config.confirm

    def crops(self, image: np.ndarray) -> list[tuple[Offset, np.ndarray]]:
        """The zoomed windows of this look (views into `image`, with their offsets); none without crops."""
        config = self.crop_config
        if config is None:
            return []
        now = grey(image)
        interest = track_interest(self._live, config.track_margin)
        self._moving = []
        if self._previous is not None and self._previous.shape == now.shape:
            self._moving = moving_boxes(self._previous, now, image.shape[1], config, self.motion_mask)
            interest += self._moving
        self._previous = now
        size = (round(self.input_size[1] / config.zoom), round(self.input_size[0] / config.zoom))
        rects = plan_crops(interest, (image.shape[1], image.shape[0]), size, config.max_crops)
        return [((x1, y1), image[y1:y2, x1:x2]) for x1, y1, x2, y2 in rects]

    def candidates(self, found: list[Detection]) -> list[Detection]:
        """This look's detections (frame and crops merged) with weak person boxes kept only where they moved."""
        if self.candidate_config is None:
            return found
        return motion_agreeing(found, self._moving, self.candidate_config)

    def confirm(self, objects: list[TrackedObject], coasting: Collection[int] = ()) -> list[TrackedObject]:
        """Tracked objects of this look with unconfirmed person candidates held back. The next crops go around
        the people tracks, not those `coasting` at a predicted box (`tracker.coast_s`): following those cut the
        far-field camera's recall on the VIRAT plaza from 0.32 to 0.25 (`bench.far_field_ways --set motion`)."""
        kept = self.confirmation.filter(objects) if self.confirmation is not None else objects
        self._live = [o.box for o in kept if o.cls is ObjectClass.PERSON and o.track_id not in coasting]
        return kept

    def __getstate__(self) -> dict[str, Any]:
        """Checkpoints leave out the grey frame (230 kB) and its blobs: after a restart the first look has no
        motion crops and keeps no weak box."""
        return {**self.__dict__, "_previous": None, "_moving": []}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Checkpoints written before `candidates` or the motion mask existed restore without them."""
        self.__dict__.update({"candidate_config": None, "motion_mask": (), "_moving": [], **state})


def merge_looks(offsets: list[Offset], found: list[list[Detection]], slicing: SlicingConfig | None) -> list[Detection]:
    """A frame's parts and crops merged into one detection per object (as slicing merges its tiles)."""
    if slicing is None and len(offsets) > 1:
        slicing = SlicingConfig()
    return merge_parts(offsets, found, slicing)

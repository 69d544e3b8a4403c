"""Weak person boxes kept only where something moved: the people model's boxes below the usual candidate score
count when a blob that changed since the last look covers part of them.

Why: far-field walkers the models barely see score 0.05-0.1, below the 0.1 that separates candidates from the
clutter (planters, umbrellas, parked bicycles); that clutter is static and a walker is not. The moving blobs
are the ones the crops are planned on (`crops.moving_boxes`, grey difference since the last look), so this
costs no extra image work. Pure: detections and blob boxes in, detections out; other classes pass unchanged.
"""

from __future__ import annotations

import logging

from pydantic import Field, model_validator

from detectors.base import StrictModel
from detectors.geometry import Box
from detectors.types import Detection, ObjectClass

logger = logging.getLogger(__name__)


class CandidateConfig(StrictModel):
    """`cameras[].detector.candidates`: the model's `confidence` must be at most `motion_min_score` for the weak
    boxes to reach this filter at all."""

    min_score: float = Field(
        default=0.1, ge=0.0, le=1.0, description="Person boxes from this score are candidates wherever they are"
    )
    motion_min_score: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        description="Person boxes from this score up to min_score count only where something moved",
    )
    motion_overlap: float = Field(
        default=0.3,
        gt=0.0,
        le=1.0,
        description="Share of a weak box's area one moving blob's box must cover for it to count as moving: a "
        "third of the body, not the edge of a neighbour's blob (at 0.1 weak boxes beside walkers start tracks "
        "that take the walkers' matches)",
    )

    @model_validator(mode="after")
    def _ordered(self) -> CandidateConfig:
        if self.motion_min_score > self.min_score:
            raise ValueError("motion_min_score must be at most min_score")
        return self


def moving_share(box: Box, moving: list[Box]) -> float:
    """The largest share of `box`'s area one moving blob's box covers (0 for an empty box or no blobs)."""
    if box.area <= 0:
        return 0.0
    return max((box.intersection(blob) / box.area for blob in moving), default=0.0)


def motion_agreeing(found: list[Detection], moving: list[Box], config: CandidateConfig) -> list[Detection]:
    """`found` without the person boxes under `motion_min_score`, and without those under `min_score` that no
    moving blob covers by `motion_overlap`."""
    kept = []
    for detection in found:
        score = detection.confidence
        if detection.cls is not ObjectClass.PERSON or score >= config.min_score:
            kept.append(detection)
        elif score >= config.motion_min_score and moving_share(detection.box, moving) >= config.motion_overlap:
            kept.append(detection)
    if len(kept) < len(found):
        logger.debug("%d weak person boxes without motion dropped", len(found) - len(kept))
    return kept

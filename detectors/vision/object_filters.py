"""A camera's object filters: detections the site knows are not what the model says, dropped before tracking.

Why: a fixed camera shows the same lamp post, bush or umbrella all day, and a model run at low thresholds to
find far-field people boxes some of them as people; confirmed once, such a track stands beside the cars for
hours and the loitering rule takes it for someone waiting there (on the VIRAT plaza the far-field camera tracks a
lamp post as a person in 81 of 99 looks; docs/people-detection.md). The site knows where its fixtures are, as in
Frigate's object masks: a detection of a filtered class whose foot point (bottom centre: where a person stands)
lies in a mask polygon is dropped, as is one under the filter's score or outside its height range. Polygons and
heights are fractions of the frame (0..1), like zones, so they survive a change of detect resolution. Pure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import Field, model_validator

from detectors.base import StrictModel
from detectors.behaviour.zones import Masks, contains
from detectors.types import Detection, ObjectClass

logger = logging.getLogger(__name__)

EDGE = 1.0 - 1e-6  # the last fraction inside the frame (and 1 - EDGE the first)


class ObjectFilter(StrictModel):
    """What a detection of `classes` must be to reach the tracker on this camera."""

    classes: tuple[ObjectClass, ...] = Field(
        default=(ObjectClass.PERSON,), min_length=1, description="The classes this filter applies to"
    )
    mask: Masks = Field(
        default=(),
        description="Polygons (corners as fractions of frame width, height) where nothing of these classes "
        "stands: a detection whose foot point is inside one is dropped (a lamp post, a bush, a poster)",
    )
    min_score: float = Field(default=0.0, ge=0.0, le=1.0, description="Detections scoring less are dropped")
    min_height: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Shortest box, as a fraction of the frame height"
    )
    max_height: float = Field(default=1.0, gt=0.0, le=1.0, description="Tallest box, as a fraction of the frame height")

    @model_validator(mode="after")
    def _height_range(self) -> ObjectFilter:
        if self.min_height >= self.max_height:
            raise ValueError(f"min_height {self.min_height} must be less than max_height {self.max_height}")
        return self

    def rejects(self, detection: Detection, width: float, height: float) -> str | None:
        """Why this filter drops the detection (in a frame of `width` x `height` pixels), or None."""
        if detection.cls not in self.classes:
            return None
        if detection.confidence < self.min_score:
            return "score"
        share = detection.box.height / height
        if not self.min_height <= share <= self.max_height:
            return "height"
        x, y = detection.box.foot_point()
        # a box the model clipped to the frame stands on its edge (y == height): just inside, so a mask drawn to
        # the edge (as `find-fixtures` draws them) catches it
        foot = (min(max(x / width, 1 - EDGE), EDGE), min(max(y / height, 1 - EDGE), EDGE))
        if any(contains(polygon, foot) for polygon in self.mask):
            return "mask"
        return None


def filter_detections(
    found: list[Detection], filters: Sequence[ObjectFilter], width: float, height: float
) -> list[Detection]:
    """The detections no filter rejects, in their order."""
    if not filters or not found:
        return found
    kept = []
    for detection in found:
        reason = next((r for f in filters if (r := f.rejects(detection, width, height)) is not None), None)
        if reason is None:
            kept.append(detection)
        else:
            logger.debug("%s at %s dropped by an object filter (%s)", detection.cls.value, detection.box, reason)
    return kept

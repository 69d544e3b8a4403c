"""Axis-aligned boxes in pixel coordinates and the few operations the rules need."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, model_validator


class Box(BaseModel):
    """A box as (x1, y1, x2, y2) in pixels of the original frame, top-left origin."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    x1: float
    y1: float
    x2: float
    y2: float

    @model_validator(mode="after")
    def _check_order(self) -> Box:
        if not all(math.isfinite(v) for v in (self.x1, self.y1, self.x2, self.y2)):
            raise ValueError("box coordinates must be finite numbers")
        if self.x2 < self.x1 or self.y2 < self.y1:
            raise ValueError(f"box corners out of order: {self.as_list()}")
        return self

    @classmethod
    def from_xywh(cls, x: float, y: float, w: float, h: float) -> Box:
        """Build from top-left corner plus size (the VIRAT and COCO convention)."""
        return cls(x1=x, y1=y, x2=x + w, y2=y + h)

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def diagonal(self) -> float:
        return math.hypot(self.width, self.height)

    def center(self) -> tuple[float, float]:
        return ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)

    def foot_point(self) -> tuple[float, float]:
        """Bottom centre: where a standing person touches the ground, so it is comparable to a car's footprint."""
        return ((self.x1 + self.x2) / 2.0, self.y2)

    def expanded(self, ratio: float) -> Box:
        """Grow each side by ratio times the box's own size, so the margin scales with distance to the camera."""
        dx, dy = self.width * ratio, self.height * ratio
        return Box(x1=self.x1 - dx, y1=self.y1 - dy, x2=self.x2 + dx, y2=self.y2 + dy)

    def contains(self, point: tuple[float, float]) -> bool:
        x, y = point
        return self.x1 <= x <= self.x2 and self.y1 <= y <= self.y2

    def gap_to(self, point: tuple[float, float]) -> float:
        """Distance from the point to the box's edge; 0 inside it."""
        dx = max(self.x1 - point[0], 0.0, point[0] - self.x2)
        dy = max(self.y1 - point[1], 0.0, point[1] - self.y2)
        return math.hypot(dx, dy)

    def scaled(self, factor: float) -> Box:
        """The same box in an image `factor` times the size (decoded at a fraction, or back to full size)."""
        return Box(x1=self.x1 * factor, y1=self.y1 * factor, x2=self.x2 * factor, y2=self.y2 * factor)

    @property
    def area(self) -> float:
        return self.width * self.height

    def intersection(self, other: Box) -> float:
        """Area shared with the other box."""
        ix = max(0.0, min(self.x2, other.x2) - max(self.x1, other.x1))
        iy = max(0.0, min(self.y2, other.y2) - max(self.y1, other.y1))
        return ix * iy

    def iou(self, other: Box) -> float:
        """Intersection over union: how far two boxes are the same box."""
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def overlap(self, other: Box) -> float:
        """Intersection over the smaller box: 1.0 when one box lies inside the other (a part cut off a whole)."""
        smaller = min(self.area, other.area)
        return self.intersection(other) / smaller if smaller > 0 else 0.0

    def corners(self) -> tuple[float, float, float, float]:
        return (self.x1, self.y1, self.x2, self.y2)

    def as_list(self) -> list[float]:
        return [self.x1, self.y1, self.x2, self.y2]


def distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])

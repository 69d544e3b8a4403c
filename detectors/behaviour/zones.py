"""Polygon zones in normalised image coordinates (0..1), so a zone survives a change of camera resolution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator

Point = tuple[float, float]
Polygons = tuple[tuple[Point, ...], ...]  # several polygons (masks)


def validate_polygon(points: Sequence[Point]) -> tuple[Point, ...]:
    """At least three corners, each inside the image (0..1 on both axes)."""
    if len(points) < 3:
        raise ValueError(f"a polygon needs at least 3 points, got {len(points)}")
    for x, y in points:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError(f"point ({x}, {y}) is outside the image: use fractions of width and height (0..1)")
    return tuple((float(x), float(y)) for x, y in points)


def validate_polygons(polygons: Polygons) -> Polygons:
    """Each polygon of a mask checked as `validate_polygon` checks one."""
    return tuple(validate_polygon(points) for points in polygons)


Masks = Annotated[Polygons, AfterValidator(validate_polygons)]  # a config field of polygons, each checked


def contains(polygon: Sequence[Point], point: Point) -> bool:
    """Even-odd ray casting; points on an edge count as inside often enough for zone use."""
    x, y = point
    inside = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            crossing = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x <= crossing:
                inside = not inside
    return inside

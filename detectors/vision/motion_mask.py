"""Motion masks: parts of a camera's view where change is not motion (Frigate's motion masks).

Why: a camera's own timestamp overlay ticks every second, trees and flags sway in the wind, a road beyond the
fence carries traffic nobody here cares about. Without a mask each of them wakes the motion gate (the model
then runs on frames with nobody in them) and, on a far-field camera, takes one of its few zoomed crops and
lends "motion" to weak person boxes there (`candidates`). The masked pixels are left out of the grey
difference before anything counts it. Polygons are fractions of the frame (0..1), like zones, so one mask
serves the gate's 320 px and the crops' 640 px comparisons alike. Pure.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import cv2
import numpy as np

from detectors.behaviour.zones import Polygons

logger = logging.getLogger(__name__)


@lru_cache(maxsize=64)
def _counting(polygons: Polygons, height: int, width: int) -> np.ndarray:
    """True where a change counts as motion: everywhere outside the polygons (one raster per size, cached)."""
    ignored = np.zeros((height, width), np.uint8)
    for polygon in polygons:
        corners = np.array([[round(x * width), round(y * height)] for x, y in polygon], np.int32)
        cv2.fillPoly(ignored, [corners], 1)
    counting = ignored == 0
    counting.setflags(write=False)
    return counting


def unmasked(changed: np.ndarray, polygons: Polygons) -> np.ndarray:
    """`changed` (a boolean or 0/1 image of changed pixels) with the masked pixels cleared."""
    if not polygons:
        return changed
    frozen = tuple(tuple((float(x), float(y)) for x, y in polygon) for polygon in polygons)  # lists too: cache key
    keep = _counting(frozen, changed.shape[0], changed.shape[1])
    return changed & keep if changed.dtype == bool else changed * keep  # 0/1 x bool keeps the dtype

"""The camera's picture in a few numbers: intensity spread, edge density, a coarse edge map and grey image.

Frames are reduced to a small grey image first (160 px wide): tamper checks need the scene's structure, not its
detail, and at that size one check costs well under a millisecond. Edges are Canny edges on a blurred image, so
sensor noise in a dark or covered picture does not read as structure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

logger = logging.getLogger(__name__)

WIDTH = 160
_CANNY_LOW, _CANNY_HIGH = 40, 120


@dataclass(frozen=True)
class PictureStats:
    spread: float  # standard deviation of the grey levels
    edge_density: float  # share of pixels on an edge
    edges: np.ndarray  # bool edge map, WIDTH wide
    grey: np.ndarray  # float32 grey image, WIDTH wide


def small_grey(image: np.ndarray) -> np.ndarray:
    """A frame (BGR or grey, any size) as a WIDTH-wide grey image."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    height = max(1, round(grey.shape[0] * WIDTH / grey.shape[1]))
    return cv2.resize(grey, (WIDTH, height), interpolation=cv2.INTER_AREA)


def picture_stats(image: np.ndarray) -> PictureStats:
    grey = small_grey(image)
    edges = cv2.Canny(cv2.GaussianBlur(grey, (3, 3), 0), _CANNY_LOW, _CANNY_HIGH) > 0
    return PictureStats(float(grey.std()), float(edges.mean()), edges, grey.astype(np.float32))


def static_edges(samples: list[np.ndarray], keep: float = 0.6) -> np.ndarray:
    """Edges present in at least `keep` of the samples: the fixed background (kerbs, walls, parked cars), not
    people or traffic passing through."""
    stack = np.stack([s.astype(np.float32) for s in samples])
    return stack.mean(axis=0) >= keep


def view_shift(reference: np.ndarray, grey: np.ndarray) -> float:
    """How far the picture slid against the reference, as a share of its width (phase correlation: a camera
    turned or knocked moves the whole background; people and traffic do not)."""
    if reference.shape != grey.shape:
        return 1.0
    window = cv2.createHanningWindow((reference.shape[1], reference.shape[0]), cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(reference, grey, window)
    return float(np.hypot(dx, dy)) / reference.shape[1]


def edge_match(reference: np.ndarray, edges: np.ndarray, tolerance_px: int = 1) -> float:
    """Share of the reference's static edges that still have an edge within `tolerance_px`."""
    total = int(reference.sum())
    if total == 0 or reference.shape != edges.shape:
        return 1.0 if total == 0 else 0.0
    size = 2 * tolerance_px + 1
    near = cv2.dilate(edges.astype(np.uint8), np.ones((size, size), np.uint8)) > 0
    return float((near & reference).sum()) / total

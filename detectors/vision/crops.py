"""Zoomed crops where people are likely: around what moved since the last look and around live person tracks.

Why: a person 50 px tall in a 720p frame is 33 px at a 864x480 model input, at the edge of what the models
here find; the same person in a crop half the input's size, enlarged 2x, is 100 px. Zooming the whole frame
2x costs four times the model work; people who matter move (or moved to get where they stand), so only the
moving parts and the live tracks are zoomed. Pure: blobs from two grey frames, and the crop plan.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.behaviour.zones import Polygons
from detectors.geometry import Box
from detectors.vision.motion_mask import unmasked

logger = logging.getLogger(__name__)

Rect = tuple[int, int, int, int]  # x1, y1, x2, y2 in frame pixels


class CropConfig(BaseModel):
    """How many zoomed crops a frame gets, and how they are found."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zoom: float = Field(default=2.0, ge=1.0, le=4.0, description="Enlargement of a crop to the model input")
    max_crops: int = Field(default=3, ge=1, le=16, description="Crops per frame at most (cost: one model run each)")
    pixel_threshold: int = Field(default=20, ge=1, le=255, description="Grey-level change that counts as motion")
    min_blob_px: int = Field(default=12, ge=1, le=10_000, description="Smallest moving blob (area, frame pixels)")
    track_margin: float = Field(
        default=0.5, ge=0.0, le=5.0, description="A live track's box grown by this share of its height (next step)"
    )


def grey(image: np.ndarray, width: int = 640) -> np.ndarray:
    """The frame shrunk and blurred for differencing (noise and compression blocks do not count as motion)."""
    height = round(image.shape[0] * width / image.shape[1])
    small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0)


def moving_boxes(
    before: np.ndarray, after: np.ndarray, frame_width: int, config: CropConfig, mask: Polygons = ()
) -> list[Box]:
    """Boxes (frame pixels) of the blobs that changed between two `grey` frames, outside the motion `mask`."""
    changed = unmasked((cv2.absdiff(before, after) > config.pixel_threshold).astype(np.uint8), mask)
    changed = cv2.dilate(changed, np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(changed, connectivity=8)
    scale = frame_width / before.shape[1]
    boxes = []
    for x, y, w, h, area in stats[1:count].tolist():
        if area * scale * scale >= config.min_blob_px:
            boxes.append(Box(x1=x * scale, y1=y * scale, x2=(x + w) * scale, y2=(y + h) * scale))
    return boxes


def plan_crops(interest: list[Box], frame: tuple[int, int], crop: tuple[int, int], max_crops: int) -> list[Rect]:
    """At most `max_crops` windows of `crop` (width, height) inside the frame covering the boxes of interest.

    Greedy: the largest box first gets a window centred on it; boxes whose centre that window holds are done;
    repeat. Boxes larger than a window are left to the whole-frame look (they are big enough already).
    """
    width, height = frame
    crop_w, crop_h = min(crop[0], width), min(crop[1], height)
    todo = sorted((b for b in interest if b.width <= crop_w and b.height <= crop_h), key=lambda b: -b.area)
    windows: list[Rect] = []
    while todo and len(windows) < max_crops:
        cx, cy = todo[0].center()
        x1 = int(min(max(cx - crop_w / 2, 0), width - crop_w))
        y1 = int(min(max(cy - crop_h / 2, 0), height - crop_h))
        window = (x1, y1, x1 + crop_w, y1 + crop_h)
        windows.append(window)
        todo = [b for b in todo if not _inside(b.center(), window)]
    if todo:
        logger.debug("%d boxes of interest left without a crop (max_crops %d)", len(todo), max_crops)
    return windows


def track_interest(tracks: list[Box], margin: float) -> list[Box]:
    """Live person tracks grown by `margin` of their height: where they will be at the next look."""
    return [
        Box(x1=b.x1 - margin * b.height, y1=b.y1 - margin * b.height, x2=b.x2 + margin * b.height, y2=b.y2)
        for b in tracks
    ]


def _inside(point: tuple[float, float], rect: Rect) -> bool:
    return rect[0] <= point[0] <= rect[2] and rect[1] <= point[1] <= rect[3]

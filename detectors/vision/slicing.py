"""Sliced inference for small people in wide views: the frame cut into overlapping tiles, each run through the
model at full input size, detections merged back (as SAHI does). Pure: tiles and the merge; the stage runs them.

A person 40 px tall in a 1920 px frame is 13 px after the model's resize to 640: below what it finds. In a 2x2
tiling with the full frame kept, the same person is 27 px in its tile, at five times the inference cost.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detectors.geometry import Box
from detectors.types import Detection


class SlicingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int = Field(default=2, ge=1, le=8, description="Tiles down the frame")
    cols: int = Field(default=2, ge=1, le=8, description="Tiles across the frame")
    overlap: float = Field(default=0.2, ge=0.0, lt=0.9, description="Overlap between neighbouring tiles (fraction)")
    include_full_frame: bool = Field(default=True, description="Also run the whole frame (large, near objects)")
    merge_iou: float = Field(default=0.5, gt=0.0, le=1.0, description="Boxes of one class overlapping this much merge")
    merge_ios: float = Field(
        default=0.8, gt=0.0, le=1.0, description="A box lying this much inside a stronger one (a cut-off part) merges"
    )


def tiles(width: int, height: int, config: SlicingConfig) -> list[tuple[int, int, int, int]]:
    """Tile rectangles (x1, y1, x2, y2) covering the frame, neighbours overlapping by `overlap` of a tile."""
    tile_w = width / (config.cols - (config.cols - 1) * config.overlap)
    tile_h = height / (config.rows - (config.rows - 1) * config.overlap)
    out = []
    for row in range(config.rows):
        for col in range(config.cols):
            x1 = round(col * tile_w * (1 - config.overlap))
            y1 = round(row * tile_h * (1 - config.overlap))
            out.append((x1, y1, min(width, round(x1 + tile_w)), min(height, round(y1 + tile_h))))
    return out


def shifted(detection: Detection, dx: float, dy: float) -> Detection:
    box = detection.box
    return detection.model_copy(update={"box": Box(x1=box.x1 + dx, y1=box.y1 + dy, x2=box.x2 + dx, y2=box.y2 + dy)})


def merge(groups: list[list[Detection]], config: SlicingConfig) -> list[Detection]:
    """Greedy, strongest first: a detection is dropped when a kept one of its class overlaps it by `merge_iou`
    or contains most of it (`merge_ios`: the half of a person a tile edge cut off)."""
    kept: list[Detection] = []
    for candidate in sorted((d for group in groups for d in group), key=lambda d: -d.confidence):
        if all(
            other.cls != candidate.cls
            or (other.box.iou(candidate.box) < config.merge_iou and other.box.overlap(candidate.box) < config.merge_ios)
            for other in kept
        ):
            kept.append(candidate)
    return kept


Offset = tuple[int, int]


def parts(image: np.ndarray, config: SlicingConfig | None) -> list[tuple[Offset, np.ndarray]]:
    """What the model sees of one frame, each part with its offset in the frame: the frame itself, or its tiles
    (and the frame, with `include_full_frame`). Tiles are views, not copies."""
    if config is None:
        return [((0, 0), image)]
    rects = tiles(image.shape[1], image.shape[0], config)
    whole = [((0, 0), image)] if config.include_full_frame else []
    return whole + [((x1, y1), image[y1:y2, x1:x2]) for x1, y1, x2, y2 in rects]


def merge_parts(offsets: list[Offset], found: list[list[Detection]], config: SlicingConfig | None) -> list[Detection]:
    """The detections of a frame's parts (as `parts` cut it) in frame pixels, one per object."""
    if config is None:
        return found[0]
    groups = [[shifted(d, dx, dy) for d in group] for (dx, dy), group in zip(offsets, found, strict=True)]
    return merge(groups, config)

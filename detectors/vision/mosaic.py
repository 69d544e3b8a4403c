"""Region-of-motion mosaics: the moving parts of up to four frames share one model run.

The model's input is a fixed square (640 px for the shared export, which cannot be reshaped), so cropping one
frame to its moving part saves nothing by itself. Four such crops packed as the quarters of one input do: a
car park where one person walks costs a quarter of a model run per frame. Each crop is placed at the scale a
whole-frame run would give it (the frame's long side fitted to the input), so an object is seen at the same
size either way. Detections map back to their frame by the tile their centre lies in; the rest of the frame,
where nothing moved since the model last looked, keeps its last detections (`with_carried`); a window never
cuts a known object (`fit_window`). Pure: windows, packing, unpacking, carrying; the detect stage decides which
frames go in.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from detectors.geometry import Box
from detectors.types import Detection
from detectors.vision.backend import LETTERBOX_GREY
from detectors.vision.motion import Region

TILES = 4  # frames per mosaic: the quarters of the input
GUTTER = 8  # canvas pixels left grey around each tile, so objects of neighbouring tiles never touch
STRIDE = 32  # YOLO's largest stride: a crop on the same stride grid as in a whole-frame run is seen alike


def window_side(width: int, height: int, input_size: int) -> int:
    """Side, in frame pixels, of the window that fills a tile at whole-frame scale."""
    return int(_room(input_size) * max(width, height) / input_size)


def _room(input_size: int) -> int:
    """Canvas side a crop may take: its quarter, less the gutter and the slack to shift it onto the stride grid."""
    return input_size // 2 - GUTTER - STRIDE


def crop_window(region: Region, width: int, height: int, side: int) -> Region | None:
    """A window of `side` (clipped to the frame) around the region, centred on it; None when it does not fit."""
    x1, y1, x2, y2 = region
    w, h = min(side, width), min(side, height)
    if x2 - x1 > w or y2 - y1 > h:
        return None
    left = int(min(max((x1 + x2 - w) / 2, 0), width - w))
    top = int(min(max((y1 + y2 - h) / 2, 0), height - h))
    return (left, top, left + w, top + h)


def fit_window(region: Region, known: list[Box], width: int, height: int, side: int) -> Region | None:
    """A window holding the region that cuts none of the known objects: one it would cut joins the region (a
    parked car half in the window must keep its whole box, or it would seem to move). None when nothing fits."""
    for _ in range(4):
        window = crop_window(region, width, height, side)
        if window is None:
            return None
        area = _box(window)
        cut = [b for b in known if 0 < b.intersection(area) < b.area]
        if not cut:
            return window
        region = (
            min([region[0]] + [int(b.x1) for b in cut]),
            min([region[1]] + [int(b.y1) for b in cut]),
            max([region[2]] + [int(b.x2 + 0.999) for b in cut]),
            max([region[3]] + [int(b.y2 + 0.999) for b in cut]),
        )
    return None


@dataclass(frozen=True)
class Placement:
    """Where one frame's window went on the canvas."""

    window: Region  # in the frame's pixels
    scale: float  # frame pixels -> canvas pixels
    origin: tuple[int, int]  # the placed crop's top-left on the canvas
    size: tuple[int, int]  # the placed crop's width and height on the canvas


def pack(crops: list[tuple[np.ndarray, Region]], input_size: int) -> tuple[np.ndarray, list[Placement]]:
    """One square canvas of `input_size` with each (frame, window) in its own quarter."""
    if not 1 <= len(crops) <= TILES:
        raise ValueError(f"a mosaic holds 1 to {TILES} crops, not {len(crops)}")
    canvas = np.full((input_size, input_size, 3), LETTERBOX_GREY, np.uint8)
    half = input_size // 2
    placements = []
    for index, (image, window) in enumerate(crops):
        x1, y1, x2, y2 = window
        height, width = image.shape[:2]
        scale = input_size / max(width, height)
        crop = image[y1:y2, x1:x2]
        room = _room(input_size)
        size = (min(room, round((x2 - x1) * scale)), min(room, round((y2 - y1) * scale)))
        if size != (x2 - x1, y2 - y1):
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        # where the crop's corner would sit in a whole-frame run (the frame letterboxed, centred), on the grid
        pad_x = round((input_size - round(width * scale)) / 2 - 0.1)
        pad_y = round((input_size - round(height * scale)) / 2 - 0.1)
        tile_x, tile_y = (index % 2) * half + GUTTER // 2, (index // 2) * half + GUTTER // 2
        ox = tile_x + (round(pad_x + x1 * scale) - tile_x) % STRIDE
        oy = tile_y + (round(pad_y + y1 * scale) - tile_y) % STRIDE
        canvas[oy : oy + size[1], ox : ox + size[0]] = crop
        placements.append(Placement(window, scale, (ox, oy), size))
    return canvas, placements


def unpack(detections: list[Detection], placements: list[Placement]) -> list[list[Detection]]:
    """Each placement's detections in its frame's pixels: a detection belongs to the tile its centre is in,
    clipped to it; one centred in the grey between tiles belongs to none."""
    out: list[list[Detection]] = [[] for _ in placements]
    for detection in detections:
        cx, cy = detection.box.center()
        for index, placed in enumerate(placements):
            ox, oy = placed.origin
            w, h = placed.size
            if ox <= cx < ox + w and oy <= cy < oy + h:
                box = detection.box
                x1, y1 = max(box.x1, ox), max(box.y1, oy)
                x2, y2 = min(box.x2, ox + w), min(box.y2, oy + h)
                wx, wy = placed.window[0], placed.window[1]
                mapped = Box(
                    x1=wx + (x1 - ox) / placed.scale,
                    y1=wy + (y1 - oy) / placed.scale,
                    x2=wx + (x2 - ox) / placed.scale,
                    y2=wy + (y2 - oy) / placed.scale,
                )
                out[index].append(detection.model_copy(update={"box": mapped}))
                break
    return out


def with_carried(previous: list[Detection], window: Region, fresh: list[Detection]) -> list[Detection]:
    """A frame's detections when the model saw only `window` (one that cut no previous object): what it found
    there, plus the previous detections clear of the window, where nothing moved since they were found."""
    area = _box(window)
    return fresh + [d for d in previous if d.box.intersection(area) == 0]


def _box(region: Region) -> Box:
    return Box(x1=region[0], y1=region[1], x2=region[2], y2=region[3])

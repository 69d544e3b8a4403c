"""Frame decoding for the detect stage: JPEG decoded at a reduced scale where the model input allows (or in grey
at about the motion gate's width: `frame_decoder.py` chooses which), and boxes brought back to the frame's own
pixels."""

from __future__ import annotations

import cv2
import numpy as np

from detectors.types import Detection
from streams.config import DetectorConfig


def jpeg_reduction(config: DetectorConfig, width: int, height: int) -> int:
    """Largest JPEG decode scale (1, 2, 4) that still leaves the frame at least the model's input size."""
    if not config.reduced_decode or width % 4 or height % 4:
        return 1  # only exact divisions, so boxes scale back to the original pixels
    side = max(width, height)  # YOLO letterboxes the long side to imgsz
    return next((f for f in (4, 2) if side // f >= config.model.imgsz), 1)


def grey_reduction(width: int, gate_width: int) -> int:
    """Largest JPEG decode scale (1, 2, 4, 8) that still leaves the frame at least the motion gate's width."""
    return next((f for f in (8, 4, 2) if width // f >= gate_width), 1)


def decoded_size(width: int, height: int, reduction: int) -> tuple[int, int]:
    """The (width, height) libjpeg decodes a width x height JPEG to at 1/`reduction`: rounded up."""
    return -(-width // reduction), -(-height // reduction)


def decode_jpeg(jpeg: bytes, reduction: int, grey: bool = False) -> np.ndarray | None:
    """libjpeg scales while decoding (1/2, 1/4, 1/8): several times cheaper than decoding full size and
    resizing. `grey` gives the luma plane alone (2-D), sparing the chroma's inverse DCT, upsampling and colour
    conversion: what the motion gate needs of a frame it will most likely find still.

    None for anything that is not a decodable image, so the caller dead-letters it with its own reason."""
    if not jpeg:
        return None
    try:
        return cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), (_GREY_FLAGS if grey else _DECODE_FLAGS)[reduction])
    except cv2.error:
        return None


_DECODE_FLAGS = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4}
_GREY_FLAGS = {
    1: cv2.IMREAD_GRAYSCALE,
    2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
    4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
    8: cv2.IMREAD_REDUCED_GRAYSCALE_8,
}


def scale_detection(detection: Detection, factor: float) -> Detection:
    return detection.model_copy(update={"box": detection.box.scaled(factor)})


def full_size(detections: list[Detection], reduction: int) -> list[Detection]:
    """Boxes found on a frame decoded at 1/`reduction` size, in the frame's own pixels."""
    return detections if reduction == 1 else [scale_detection(d, reduction) for d in detections]

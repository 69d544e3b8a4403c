"""OpenVINO backend for Intel Open Model Zoo's pedestrian-detection-adas-0002 (SSD on MobileNet v1, Apache-2.0).

Why another model: the person-vehicle-bike model misses some of the 40-90 px walkers of a car-park view at any
zoom (docs/people-detection.md); this one was trained on pedestrians only and is cheap (1.2 GFLOPs at its native
672x384), so it can look at the frame and its zoomed crops, or beside a vehicle model (`type: combined`). Its one
output `detection_out` [1, 1, N, 7] holds rows of image_id, label (1 pedestrian), confidence and x_min, y_min,
x_max, y_max normalised to the input; a row with image_id -1 ends the list. They are converted here, at the
boundary, into our `Detection` in the image's pixels. It finds no vehicles.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from detectors.config import PedestrianAdasModelConfig
from detectors.types import Detection, ObjectClass
from detectors.vision.omz_openvino import OmzDetector, clipped_box

logger = logging.getLogger(__name__)

PEDESTRIAN_LABEL = 1
MODEL_DIR = Path("models") / "pedestrian-detection-adas-0002" / "FP16-INT8"


def convert_ssd(rows: np.ndarray, width: int, height: int, confidence: float) -> list[Detection]:
    """SSD DetectionOutput rows [N, 7] -> people in image pixels (other labels, weak or empty boxes dropped;
    the rows end at the first image_id of -1)."""
    out = []
    for image_id, label, score, x1, y1, x2, y2 in rows.tolist():
        if image_id < 0:
            break
        if int(label) != PEDESTRIAN_LABEL or score < confidence:
            continue
        box = clipped_box(x1 * width, y1 * height, x2 * width, y2 * height, width, height)
        if box is not None:
            out.append(Detection(cls=ObjectClass.PERSON, box=box, confidence=min(float(score), 1.0)))
    return out


class PedestrianAdasDetector(OmzDetector):
    """pedestrian-detection-adas-0002 on OpenVINO; the input is reshaped to `imgsz` x `input_height` (its
    prior boxes follow the shape)."""

    kind = "pedestrian_adas"
    env_var = "SENTINEL_PEDESTRIAN_MODEL_PATH"
    model_dir = MODEL_DIR
    config: PedestrianAdasModelConfig

    def _bind_outputs(self, names: list[str]) -> None:
        self._rows = names.index("detection_out")

    def _read(self, request: Any) -> tuple[np.ndarray, ...]:
        return (request.get_output_tensor(self._rows).data.reshape(-1, 7).copy(),)

    def _convert(self, outputs: tuple[np.ndarray, ...], width: int, height: int) -> list[Detection]:
        return convert_ssd(outputs[0], width, height, self.config.confidence)

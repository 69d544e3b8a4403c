"""Wrists of people near vehicles, from the pose model run on their crops only (a car park is mostly empty).

Evidence for the "hand at a door" rule: someone at a car whose wrist is at door-handle height. The pose model
(YOLOv8n-pose, COCO keypoints: 9 left wrist, 10 right wrist) runs through ultralytics on the person crops of a
frame in one call, at most every `interval_s` per person.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

logger = logging.getLogger(__name__)

WRISTS = (9, 10)
SHARED_POSE_MODEL = Path(__file__).resolve().parents[3] / "shared" / "models" / "yolov8n-pose_int8_openvino_model"


class PoseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=False, description="Look for hands at car doors (costs a pose run per person near a car)"
    )
    path: Path = Field(default=SHARED_POSE_MODEL, description="Pose weights (YOLO pose, any format ultralytics loads)")
    interval_s: float = Field(
        default=0.5, gt=0.0, le=60.0, description="Each person near a car is looked at this often"
    )
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0, description="Wrist keypoints below this are ignored")
    near_margin_ratio: float = Field(
        default=0.3,
        ge=0.0,
        le=3.0,
        description="A person is near a vehicle when the foot is in its box grown this much",
    )


class WristFinder:
    """Loads the pose model on first use; `wrists` takes BGR crops and gives wrist points in crop pixels."""

    def __init__(self, config: PoseConfig) -> None:
        self.config = config
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            if not self.config.path.exists():
                raise FileNotFoundError(f"pose model not found at {self.config.path} (detector.pose.path)")
            from ultralytics import YOLO

            self._model = YOLO(str(self.config.path), task="pose")
        return self._model

    def wrists(self, crops: list[np.ndarray]) -> list[tuple[tuple[float, float], ...]]:
        if not crops:
            return []
        results = self._load().predict(crops, verbose=False)
        out: list[tuple[tuple[float, float], ...]] = []
        for result in results:
            keypoints = result.keypoints
            if keypoints is None or keypoints.xy.shape[0] == 0 or result.boxes is None:
                out.append(())
                continue
            areas = (result.boxes.xyxy[:, 2] - result.boxes.xyxy[:, 0]) * (
                result.boxes.xyxy[:, 3] - result.boxes.xyxy[:, 1]
            )
            main = int(areas.argmax())  # the crop's own person: the largest body in it
            xy, conf = (
                keypoints.xy[main].tolist(),
                (keypoints.conf[main].tolist() if keypoints.conf is not None else None),
            )
            out.append(
                tuple(
                    (float(xy[i][0]), float(xy[i][1]))
                    for i in WRISTS
                    if conf is None or conf[i] >= self.config.min_confidence
                )
            )
        return out

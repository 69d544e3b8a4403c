"""YOLO adapter: loads ultralytics weights from a path and converts its `Results` into our `Detection` type."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from detectors.config import ModelConfig
from detectors.geometry import Box
from detectors.types import Detection, ObjectClass

logger = logging.getLogger(__name__)

# COCO class indices of the model's 80-class head.
COCO_IDS: dict[ObjectClass, int] = {
    ObjectClass.PERSON: 0,
    ObjectClass.CAR: 2,
    ObjectClass.MOTORCYCLE: 3,
    ObjectClass.BUS: 5,
    ObjectClass.TRUCK: 7,
}
CLASS_BY_COCO_ID = {v: k for k, v in COCO_IDS.items()}

SHARED_MODEL = Path(__file__).resolve().parent.parent.parent / "shared" / "models" / "yolo11n_int8_openvino_model"


def default_model_path() -> Path:
    """The shared INT8 OpenVINO export beside the checkout when present, else the stock ultralytics name."""
    env = os.environ.get("SENTINEL_MODEL_PATH")
    if env:
        return Path(env)
    for candidate in (Path.cwd().parent / "shared" / "models" / "yolo11n_int8_openvino_model", SHARED_MODEL):
        if candidate.exists():
            return candidate
    return Path("yolo11n.pt")


class ModelLoadError(RuntimeError):
    """The configured weights could not be loaded; the message says which path and why."""


class YoloDetector:
    """Runs one YOLO model on BGR images; not thread-safe, so give each worker thread its own instance."""

    def __init__(self, config: ModelConfig) -> None:
        os.environ.setdefault("YOLO_OFFLINE", "1")  # never try to download weights or pip-install extras
        from ultralytics import YOLO  # heavy import kept out of module import time

        self.config = config
        self.path = config.path or default_model_path()
        if not self.path.exists():
            raise ModelLoadError(
                f"model weights not found at {self.path}; set detector.model.path in the config or SENTINEL_MODEL_PATH"
            )
        try:
            self._model = YOLO(str(self.path), task="detect")
        except Exception as exc:  # ultralytics raises many types; report them as one clear error
            raise ModelLoadError(f"cannot load model {self.path}: {exc}") from exc
        self._class_ids = sorted(COCO_IDS[c] for c in config.classes)
        logger.info("model %s loaded for classes %s", self.path, [c.value for c in config.classes])

    def detect(self, image: np.ndarray) -> list[Detection]:
        results: Any = self._model.predict(
            image,
            imgsz=self.config.imgsz,
            conf=self.config.confidence,
            iou=self.config.iou,
            classes=self._class_ids,
            device=self.config.device,
            verbose=False,
        )
        return detections_from_arrays(
            results[0].boxes.xyxy.cpu().numpy(), results[0].boxes.conf.cpu().numpy(), results[0].boxes.cls.cpu().numpy()
        )


def detections_from_arrays(xyxy: np.ndarray, conf: np.ndarray, cls: np.ndarray) -> list[Detection]:
    """Boundary conversion: arrays in COCO ids to validated detections; unknown classes are dropped."""
    detections = []
    for (x1, y1, x2, y2), score, class_id in zip(xyxy.tolist(), conf.tolist(), cls.tolist(), strict=True):
        object_class = CLASS_BY_COCO_ID.get(int(class_id))
        if object_class is None or x2 <= x1 or y2 <= y1:
            continue
        detections.append(
            Detection(cls=object_class, box=Box(x1=x1, y1=y1, x2=x2, y2=y2), confidence=min(max(score, 0.0), 1.0))
        )
    return detections

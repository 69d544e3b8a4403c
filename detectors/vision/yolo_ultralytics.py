"""ultralytics backend: any weights its predictor loads (.pt, .onnx, exports), one frame at a time."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from detectors.config import UltralyticsModelConfig
from detectors.types import Detection
from detectors.vision.backend import ModelLoadError, coco_ids_of, detections_from_arrays, resolve_model_path

logger = logging.getLogger(__name__)


class UltralyticsDetector:
    """Runs one YOLO model on BGR images; not thread-safe, so give each worker thread its own instance."""

    def __init__(self, config: UltralyticsModelConfig) -> None:
        os.environ.setdefault("YOLO_OFFLINE", "1")  # never try to download weights or pip-install extras
        from ultralytics import YOLO  # heavy import kept out of module import time

        self.config = config
        self.path = resolve_model_path(config)
        self.input_side = config.imgsz
        try:
            self._model = YOLO(str(self.path), task="detect")
        except Exception as exc:  # ultralytics raises many types; report them as one clear error
            raise ModelLoadError(f"cannot load model {self.path}: {exc}") from exc
        self._class_ids = coco_ids_of(config.classes)
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

    def detect_many(self, images: Iterable[np.ndarray]) -> list[list[Detection]]:
        return [self.detect(image) for image in images]

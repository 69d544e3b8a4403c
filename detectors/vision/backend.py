"""What every detector backend shares: the `Detector` interface, model paths, load errors and the boundary
conversion of model output into our validated `Detection` type."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from detectors.config import ModelBase
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
    ObjectClass.BAG: 24,  # backpack; handbag (26) and suitcase (28) are bags too (COCO_ALIASES)
}
COCO_ALIASES: dict[int, ObjectClass] = {26: ObjectClass.BAG, 28: ObjectClass.BAG}
CLASS_BY_COCO_ID = {**{v: k for k, v in COCO_IDS.items()}, **COCO_ALIASES}


def coco_ids_of(classes: tuple[ObjectClass, ...]) -> list[int]:
    """Every COCO id that maps to one of the classes (a bag is a backpack, a handbag or a suitcase)."""
    return sorted(i for i, c in CLASS_BY_COCO_ID.items() if c in classes)


LETTERBOX_GREY = 114  # what ultralytics pads a frame with to fit the model's square input

SHARED_MODEL = Path(__file__).resolve().parents[3] / "shared" / "models" / "yolo11n_int8_openvino_model"


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


@runtime_checkable
class Detector(Protocol):
    """A detector backend: BGR images in, our validated `Detection`s out, in full-image pixels."""

    path: Path
    input_side: int  # side of the square input the model sees (the long side of a frame is fitted to it)

    def detect(self, image: np.ndarray) -> list[Detection]: ...

    def detect_many(self, images: Iterable[np.ndarray]) -> list[list[Detection]]:
        """One list per image, in order; a backend may run the images in parallel."""
        ...


def resolve_model_path(config: ModelBase) -> Path:
    path = config.path or default_model_path()
    if not path.exists():
        raise ModelLoadError(
            f"model weights not found at {path}; set detector.model.path in the config or SENTINEL_MODEL_PATH"
        )
    return path


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

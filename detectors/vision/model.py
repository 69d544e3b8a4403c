"""The backend registry: a camera's `detector.model.type` names the backend that loads it (as Frigate registers
its detectors by type). Backends import `detectors.vision.backend`, never this module, so there is no cycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from detectors.config import (
    CombinedModelConfig,
    ModelConfig,
    OpenVinoModelConfig,
    PedestrianAdasModelConfig,
    PersonVehicleBikeModelConfig,
    UltralyticsModelConfig,
)
from detectors.vision.backend import Detector
from detectors.vision.combined import CombinedDetector
from detectors.vision.omz_openvino import PersonVehicleBikeDetector
from detectors.vision.omz_pedestrian import PedestrianAdasDetector
from detectors.vision.yolo_openvino import OpenVinoDetector
from detectors.vision.yolo_ultralytics import UltralyticsDetector

BACKENDS: dict[type[Any], Callable[[Any], Detector]] = {
    OpenVinoModelConfig: OpenVinoDetector,
    UltralyticsModelConfig: UltralyticsDetector,
    PersonVehicleBikeModelConfig: PersonVehicleBikeDetector,
    PedestrianAdasModelConfig: PedestrianAdasDetector,
    CombinedModelConfig: lambda config: CombinedDetector(config, load_detector),  # members load by type too
}


def load_detector(config: ModelConfig) -> Detector:
    """The backend registered for the config's type (a discriminated union in the site config)."""
    return BACKENDS[type(config)](config)

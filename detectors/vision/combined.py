"""Several detector backends on one camera, their boxes merged: e.g. a people-only model (pedestrian-detection-
adas-0002) beside a model that finds the vehicles (docs/people-detection.md, "How cars are found").

Why a backend and not a stage feature: a camera has one `detector.model`, and its crops, tracker and
confirmation take whatever that model returns; a combined model keeps that shape. Every member runs on every
image (frame and crops alike; `others_min_width` keeps the later members off the narrow crops) and contributes
only its own `classes`; boxes of one class from different members are merged greedily, strongest first, as
slicing merges its tiles (`slicing.merge`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from detectors.config import CombinedModelConfig
from detectors.types import Detection
from detectors.vision.backend import Detector
from detectors.vision.slicing import SlicingConfig, merge

logger = logging.getLogger(__name__)


class CombinedDetector:
    """The first member is the people model: its input size is the one crops are planned for."""

    def __init__(self, config: CombinedModelConfig, load: Callable[[Any], Detector]) -> None:
        self.config = config
        self.members = [load(member) for member in config.members]
        first = self.members[0]
        self.path: Path = first.path
        self.input_side = first.input_side
        self.input_size: tuple[int, int] = getattr(first, "input_size", (first.input_side, first.input_side))
        self._merge = SlicingConfig(merge_iou=config.iou)
        logger.info("combined model: %s", ", ".join(str(m.path) for m in self.members))

    def detect(self, image: np.ndarray) -> list[Detection]:
        return self.detect_many([image])[0]

    def detect_many(self, images: Iterable[np.ndarray]) -> list[list[Detection]]:
        """Each member runs the whole list (its own parallelism), then each image's boxes are merged."""
        listed = list(images)
        merged: list[list[list[Detection]]] = [[] for _ in listed]
        for number, member in enumerate(self.members):
            wanted = [
                i for i, image in enumerate(listed) if number == 0 or image.shape[1] >= self.config.others_min_width
            ]
            if not wanted:
                continue
            for i, found in zip(wanted, member.detect_many(listed[i] for i in wanted), strict=True):
                merged[i].append(found)
        return [merge(groups, self._merge) for groups in merged]

"""The detect stage's pose pass: wrists for the people standing at vehicles, looked at every so often each."""

from __future__ import annotations

import logging

import numpy as np

from detectors.types import ObjectClass, TrackedObject
from detectors.vision.pose import PoseConfig, WristFinder

logger = logging.getLogger(__name__)


class WristPass:
    def __init__(self, config: PoseConfig, finder: WristFinder | None = None) -> None:
        self.config = config
        self.finder = finder or WristFinder(config)
        self._looked: dict[tuple[str, int], float] = {}  # (camera, person) -> event time last looked at

    def attach(
        self, camera: str, ts: float, image: np.ndarray, reduction: int, objects: list[TrackedObject]
    ) -> list[TrackedObject]:
        """The objects, with `wrists` set on the people near a vehicle who were due for a look."""
        zones = [o.box.expanded(self.config.near_margin_ratio) for o in objects if o.is_vehicle]
        due = [
            o
            for o in objects
            if o.cls is ObjectClass.PERSON
            and any(zone.contains(o.box.foot_point()) for zone in zones)
            and ts - self._looked.get((camera, o.track_id), float("-inf")) >= self.config.interval_s
        ]
        if not due:
            return objects
        crops, origins = [], []
        height, width = image.shape[:2]
        for person in due:
            box = person.box.expanded(0.1)
            x1, y1 = max(0, int(box.x1 / reduction)), max(0, int(box.y1 / reduction))
            x2, y2 = min(width, int(box.x2 / reduction) + 1), min(height, int(box.y2 / reduction) + 1)
            crops.append(image[y1:y2, x1:x2])
            origins.append((x1, y1))
            self._looked[(camera, person.track_id)] = ts
        found = {
            person.track_id: tuple(((x + ox) * reduction, (y + oy) * reduction) for x, y in points)
            for person, (ox, oy), points in zip(due, origins, self.finder.wrists(crops), strict=True)
        }
        self._looked = {key: at for key, at in self._looked.items() if ts - at < 60.0}
        return [o.model_copy(update={"wrists": found[o.track_id]}) if o.track_id in found else o for o in objects]

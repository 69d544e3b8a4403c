"""Motion gating: decide per frame whether the model has to look, from a cheap comparison of small grey images.

A car park at night is still most of the time; running the model on every frame of every camera wastes the
box. Each frame, shrunk to `width` pixels, blurred and turned grey, is compared with the frame the model last
ran on. If enough pixels changed (beyond sensor noise), or the model has not run for `max_interval_s` of event
time, the model runs and that frame becomes the new reference; otherwise the camera's last tracks stand.
Comparing with the last detected frame, not the previous one, means slow movement still adds up to motion.
"""

from __future__ import annotations

import cv2
import numpy as np

from detectors.config import MotionConfig


class MotionGate:
    """Per camera; picklable, so it is part of the detect stage's checkpointed state."""

    def __init__(self, config: MotionConfig) -> None:
        self.config = config
        self._reference: np.ndarray | None = None
        self._last_run_ts = float("-inf")

    def needs_model(self, image: np.ndarray, ts: float) -> bool:
        small = self._shrink(image)
        due = ts - self._last_run_ts >= self.config.max_interval_s
        if due or self._reference is None or small.shape != self._reference.shape or self._moved(small):
            self._reference, self._last_run_ts = small, ts
            return True
        return False

    def _moved(self, small: np.ndarray) -> bool:
        return self._ratio(small) >= self.config.area_ratio

    def _ratio(self, small: np.ndarray) -> float:
        assert self._reference is not None
        changed = cv2.absdiff(small, self._reference) > self.config.pixel_threshold
        return float(np.count_nonzero(changed)) / changed.size

    def _shrink(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        target = (self.config.width, max(1, round(height * self.config.width / width)))
        grey = cv2.cvtColor(cv2.resize(image, target, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        return cv2.GaussianBlur(grey, (5, 5), 0)

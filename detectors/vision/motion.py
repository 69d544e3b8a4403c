"""Motion gating: decide per frame whether the model has to look, from a cheap comparison of small grey images.

A car park at night is still most of the time; running the model on every frame of every camera wastes the
box. Each frame, shrunk to `width` pixels, blurred and turned grey, is compared with the frame the model last
ran on. If enough pixels changed (beyond sensor noise), or the model has not run for `max_interval_s` of event
time, the model runs and that frame becomes the new reference; otherwise the camera's last tracks stand.
Comparing with the last detected frame, not the previous one, means slow movement still adds up to motion.

With `mosaic`, a frame with motion also says where it moved (`GateDecision.region`), so the caller may look
at that part only (`detectors/mosaic.py`); the interval then still brings a look at the whole frame
(`looked_at_whole`).

The gate takes a colour frame or a grey one (2-D). Grey is the cheap way in: the detect stage decodes a frame
it expects to be still straight to grey at about the gate's width (libjpeg's scaled decode, no colour
conversion), and decodes it in colour only if the gate says the model must look (`expects_motion` says which
way in, from the gate's own earlier decisions). The two ways differ by at most a few grey levels once blurred,
far below `pixel_threshold` (docs/speed.md), so a reference from one compares cleanly with a frame from the other.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from detectors.behaviour.zones import Polygons
from detectors.config import MotionConfig
from detectors.vision.motion_mask import unmasked

Region = tuple[int, int, int, int]  # x1, y1, x2, y2 in the image's pixels
_SPECKS = np.ones((3, 3), np.uint8)
_RECENT = 64  # decisions kept for `expects_motion`: more than any camera's frames in DECISION_LAG_S


@dataclass(frozen=True)
class GateDecision:
    run: bool
    region: Region | None = None  # where it moved, for a frame with motion; None: look at the whole frame
    moved: bool = False  # the run is for motion, not the first frame or the interval


class MotionGate:
    """Per camera; picklable, so it is part of the detect stage's checkpointed state."""

    def __init__(self, config: MotionConfig, mask: Polygons = ()) -> None:
        self.config = config
        self.mask = mask  # the camera's motion mask: changes there are not motion (`cameras[].motion_mask`)
        self._reference: np.ndarray | None = None
        self._last_run_ts = float("-inf")
        self._recent: deque[tuple[float, bool]] = deque(maxlen=_RECENT)  # (ts, moved) of the latest decisions

    def __setstate__(self, saved: dict[str, object]) -> None:
        """A checkpoint from before the decisions (or the mask) were kept restores with none."""
        self.__dict__.update({"_recent": deque(maxlen=_RECENT), "mask": (), **saved})

    def needs_model(self, image: np.ndarray, ts: float) -> bool:
        """Whether the model must look at this frame (the whole of it)."""
        decision = self.decide(image, ts)
        if decision.run:
            self.looked_at_whole(ts)
        return decision.run

    def expects_motion(self, ts: float, lag: float) -> bool:
        """Whether the gate's latest decision on a frame at least `lag` before `ts` found motion (True before
        any): the caller then decodes the frame in colour, else in grey for the gate first. Only decisions
        that old, so that the answer does not depend on which frames came in one batch."""
        recent = self._recent
        while len(recent) > 1 and recent[1][0] <= ts - lag:
            recent.popleft()
        return not recent or recent[0][0] > ts - lag or recent[0][1]

    def decide(
        self,
        image: np.ndarray,
        ts: float,
        max_interval_s: float | None = None,
        size: tuple[int, int] | None = None,
    ) -> GateDecision:
        """Still, moved (and where), or due for a whole look. The caller reports a whole look with
        `looked_at_whole`: only those restart the interval, so looks at moving parts never starve the rest.
        `max_interval_s` replaces the configured interval for this frame (the adaptive rate's idle state).
        `image` is colour (BGR) or grey; `size` (width, height) is that of the image the caller will look at,
        for the region, when it is not `image` itself (a grey decode at another scale)."""
        decision = self._decide(self._shrink(image), ts, max_interval_s, size or (image.shape[1], image.shape[0]))
        self._recent.append((ts, decision.moved))
        return decision

    def _decide(
        self, small: np.ndarray, ts: float, max_interval_s: float | None, size: tuple[int, int]
    ) -> GateDecision:
        interval = self.config.max_interval_s if max_interval_s is None else max_interval_s
        due = ts - self._last_run_ts >= interval
        if due or self._reference is None or small.shape != self._reference.shape:
            self._reference = small
            return GateDecision(True)
        changed = unmasked(cv2.absdiff(small, self._reference) > self.config.pixel_threshold, self.mask)
        if np.count_nonzero(changed) / changed.size < self.config.area_ratio:
            return GateDecision(False)
        self._reference = small
        if not self.config.mosaic:  # nobody looks at the part alone: spare the hot path the region
            return GateDecision(True, moved=True)
        return GateDecision(True, self._region(changed, *size), moved=True)

    def looked_at_whole(self, ts: float) -> None:
        self._last_run_ts = ts

    def _region(self, changed: np.ndarray, width: int, height: int) -> Region | None:
        """Bounding box of the changed pixels once lone specks are gone, in image pixels; None if only specks."""
        mask = cv2.morphologyEx(changed.astype(np.uint8), cv2.MORPH_OPEN, _SPECKS)
        points = cv2.findNonZero(mask)
        if points is None:
            return None
        x, y, w, h = cv2.boundingRect(points)
        sx, sy = width / changed.shape[1], height / changed.shape[0]
        return (int(x * sx), int(y * sy), min(width, int((x + w) * sx + 0.999)), min(height, int((y + h) * sy + 0.999)))

    def _shrink(self, image: np.ndarray) -> np.ndarray:
        """The gate's width, grey, blurred; a grey decode already at that width is only blurred."""
        height, width = image.shape[:2]
        target = (self.config.width, max(1, round(height * self.config.width / width)))
        if image.ndim == 2:
            grey = image if width == target[0] else cv2.resize(image, target, interpolation=cv2.INTER_AREA)
        else:
            grey = cv2.cvtColor(cv2.resize(image, target, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        return cv2.GaussianBlur(grey, (5, 5), 0)

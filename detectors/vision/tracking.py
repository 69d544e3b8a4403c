"""Per-camera multi-object tracking with ultralytics' ByteTrack, fed by our `Detection` type."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from detectors.config import TrackerConfig
from detectors.geometry import Box
from detectors.types import Detection, TrackedObject
from detectors.vision.backend import CLASS_BY_COCO_ID, COCO_IDS

logger = logging.getLogger(__name__)


class _BoxArray:
    """The slice of ultralytics' `Boxes` interface that BYTETracker reads (conf, xywh, xyxy, cls, indexing)."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data

    @property
    def xyxy(self) -> np.ndarray:
        return self.data[:, :4]

    @property
    def xywh(self) -> np.ndarray:
        x1, y1, x2, y2 = self.data[:, 0], self.data[:, 1], self.data[:, 2], self.data[:, 3]
        return np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=1)

    @property
    def conf(self) -> np.ndarray:
        return self.data[:, 4]

    @property
    def cls(self) -> np.ndarray:
        return self.data[:, 5]

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: np.ndarray) -> _BoxArray:
        return _BoxArray(self.data[index])


def preload() -> None:
    """Import ultralytics' tracker now: it takes about a second, which a worker should spend at start-up, not on
    its event loop when the first frame of the first stream arrives."""
    import ultralytics.trackers.byte_tracker  # noqa: F401


def _tracker_args(config: TrackerConfig, buffer_frames: int) -> Any:
    """ByteTrack's settings (its `args` namespace): the config's thresholds, the lost-track buffer in frames."""
    from ultralytics.utils import IterableSimpleNamespace

    return IterableSimpleNamespace(
        tracker_type="bytetrack",
        track_high_thresh=config.track_high_thresh,
        track_low_thresh=config.track_low_thresh,
        new_track_thresh=config.new_track_thresh,
        track_buffer=buffer_frames,
        match_thresh=config.match_thresh,
        fuse_score=config.fuse_score,
    )


class CameraTracker:
    """One ByteTrack instance per camera stream; track ids start at 1 for every new stream.

    ultralytics counts track ids in one class-level counter shared by every tracker, and resets it whenever
    a tracker is created: with several cameras in one worker, a new stream on one camera would hand out ids
    still in use on another. Each tracker keeps its own counter and swaps it in around its update (updates run
    in one thread). The counter is part of the tracker's state, so a pickled tracker resumes exactly.
    """

    def __init__(self, config: TrackerConfig, fps: float) -> None:
        from ultralytics.trackers.byte_tracker import BYTETracker

        self._fps = fps
        self._tracker = BYTETracker(_tracker_args(config, max(1, round(config.lost_buffer_s * fps))))
        self._last_id = 0
        self._coast_frames = round(config.coast_s * fps)
        self.coasting: frozenset[int] = frozenset()  # ids of the last update's coasting tracks

    def reconfigure(self, config: TrackerConfig) -> None:
        """Take other settings and keep the tracks (a worker restored from a checkpoint under a changed
        config). A tracker pickled before it kept its frame rate keeps its lost-track buffer and coasting."""
        fps = getattr(self, "_fps", None)
        buffer = max(1, round(config.lost_buffer_s * fps)) if fps else self._tracker.args.track_buffer
        self._tracker.args = _tracker_args(config, buffer)
        self._tracker.max_frames_lost = buffer
        if fps:
            self._coast_frames = round(config.coast_s * fps)

    def _update_with_own_ids(self, boxes: _BoxArray) -> np.ndarray:
        from ultralytics.trackers.basetrack import BaseTrack

        BaseTrack._count = self._last_id
        try:
            return np.asarray(self._tracker.update(boxes))
        finally:
            self._last_id = BaseTrack._count

    def update(self, detections: list[Detection]) -> list[TrackedObject]:
        data = np.array(
            [[*d.box.as_list(), d.confidence, COCO_IDS[d.cls]] for d in detections], dtype=np.float32
        ).reshape(-1, 6)
        tracks = np.asarray(self._update_with_own_ids(_BoxArray(data))).reshape(-1, 8)
        # a tracker pickled before `coast_s` has no `_coast_frames`
        coasting = self._coasting() if getattr(self, "_coast_frames", 0) > 0 else np.zeros((0, 8), np.float32)
        self.coasting = frozenset(int(i) for i in coasting[:, 4])
        tracks = np.concatenate([tracks, coasting])
        objects = []
        for x1, y1, x2, y2, track_id, score, class_id, _idx in tracks.tolist():
            object_class = CLASS_BY_COCO_ID.get(int(class_id))
            if object_class is None or x2 <= x1 or y2 <= y1:
                continue
            objects.append(
                TrackedObject(
                    track_id=int(track_id),
                    cls=object_class,
                    box=Box(x1=x1, y1=y1, x2=x2, y2=y2),
                    confidence=min(max(score, 0.0), 1.0),
                )
            )
        return objects

    def _coasting(self) -> np.ndarray:
        """Confirmed tracks lost for at most `coast_s`, as ByteTrack's output rows, at the box its Kalman filter
        predicted in this update and half their last score: a far walker missed for a frame or two stays in the
        output while ByteTrack keeps looking for them (DeepStream's shadow tracking)."""
        frame = self._tracker.frame_id
        rows = [
            [*track.xyxy.tolist(), track.track_id, track.score * 0.5, track.cls, -1]
            for track in self._tracker.lost_stracks
            if track.is_activated and 0 < frame - track.end_frame <= self._coast_frames
        ]
        return np.asarray(rows, dtype=np.float32).reshape(-1, 8)

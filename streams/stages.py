"""The work of each pipeline stage, free of Faust so it can be tested and reused by any runner."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from alerts.models import AlertEvent, StreamEnd
from alerts.store import AlertStore
from detectors.loitering import LoiterRule
from detectors.model import YoloDetector
from detectors.tracking import CameraTracker
from detectors.geometry import Box
from detectors.types import Detection, ObjectClass, TrackFrame, TrackedObject
from streams.alerting import alert_from_incident
from streams.config import SiteConfig
from streams.records import FrameHeader, RecordError

logger = logging.getLogger(__name__)


def check_camera(config: SiteConfig, camera_id: str) -> None:
    if not config.accept_unknown_cameras and config.camera(camera_id) is None:
        raise RecordError(f"unknown camera id {camera_id!r}: not listed in the site config")


class DetectStage:
    """JPEG -> detections -> per-camera ByteTrack -> TrackFrame. Inference runs in a worker thread."""

    def __init__(self, config: SiteConfig, detector: YoloDetector, store: AlertStore | None) -> None:
        self.config = config
        self.detector = detector
        self.store = store
        self._trackers: dict[str, tuple[str, CameraTracker]] = {}
        # One thread: frames of a camera must be tracked in order, and OpenVINO already uses every core.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")

    async def process(self, header: FrameHeader, jpeg: bytes) -> TrackFrame:
        check_camera(self.config, header.camera_id)
        if header.end_of_stream:
            self._trackers.pop(header.camera_id, None)
            return TrackFrame(camera_id=header.camera_id, stream_id=header.stream_id, seq=header.seq, ts=header.ts,
                              width=max(header.width, 1), height=max(header.height, 1), end_of_stream=True)
        tracker = self._tracker_for(header)
        loop = asyncio.get_running_loop()
        reduction = self._reduction(header.width, header.height)
        objects, (height, width) = await loop.run_in_executor(self._executor, self._infer, tracker, jpeg, reduction)
        frame = TrackFrame(camera_id=header.camera_id, stream_id=header.stream_id, seq=header.seq, ts=header.ts,
                           width=width * reduction, height=height * reduction, objects=objects)
        if self.store is not None and self.config.detector.store_evidence_frames and _has_candidates(objects):
            await self.store.put_frame(header.camera_id, header.stream_id, header.seq, jpeg,
                                       self.config.alerts.frame_buffer_s)
        return frame

    def _tracker_for(self, header: FrameHeader) -> CameraTracker:
        current = self._trackers.get(header.camera_id)
        if current is None or current[0] != header.stream_id:
            current = (header.stream_id, CameraTracker(self.config.detector.tracker, header.fps))
            self._trackers[header.camera_id] = current
        return current[1]

    def _reduction(self, width: int, height: int) -> int:
        """Largest JPEG decode scale (1, 2, 4) that still leaves the frame at least the model's input size."""
        if not self.config.detector.reduced_decode or width % 4 or height % 4:
            return 1  # only exact divisions, so boxes scale back to the original pixels
        side = max(width, height)  # YOLO letterboxes the long side to imgsz
        imgsz = self.config.detector.model.imgsz
        return next((f for f in (4, 2) if side // f >= imgsz), 1)

    def _infer(self, tracker: CameraTracker, jpeg: bytes,
               reduction: int) -> tuple[list[TrackedObject], tuple[int, int]]:
        image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), _DECODE_FLAGS[reduction])
        if image is None:
            raise RecordError(f"undecodable JPEG ({len(jpeg)} bytes)")
        detections = self.detector.detect(image)
        if reduction != 1:
            detections = [scale_detection(d, reduction) for d in detections]
        return tracker.update(detections), image.shape[:2]

    def close(self) -> None:
        self._executor.shutdown(wait=False)


_DECODE_FLAGS = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4}


def scale_detection(detection: Detection, factor: int) -> Detection:
    box = detection.box
    scaled = Box(x1=box.x1 * factor, y1=box.y1 * factor, x2=box.x2 * factor, y2=box.y2 * factor)
    return detection.model_copy(update={"box": scaled})


def _has_candidates(objects: list[TrackedObject]) -> bool:
    """Only frames with a person and a vehicle can become alert evidence; others are not kept."""
    return any(o.cls is ObjectClass.PERSON for o in objects) and any(o.is_vehicle for o in objects)


class RuleStage:
    """TrackFrame -> behaviour rules per camera -> alert events (and an end marker for finite streams)."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self._rules: dict[str, LoiterRule] = {}

    def process(self, frame: TrackFrame) -> list[AlertEvent | StreamEnd]:
        check_camera(self.config, frame.camera_id)
        rule = self._rules.get(frame.camera_id)
        if rule is None:
            rule = self._rules[frame.camera_id] = LoiterRule(self.config.loiter_for(frame.camera_id), frame.camera_id)
        out: list[AlertEvent | StreamEnd] = [
            alert_from_incident(self.config.site_id, incident) for incident in rule.process(frame)
        ]
        if frame.end_of_stream:
            out.append(StreamEnd(camera_id=frame.camera_id, stream_id=frame.stream_id, ts=frame.ts))
        return out

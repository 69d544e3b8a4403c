"""The work of each pipeline stage, free of Faust so it can be tested and reused by any runner."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from alerts.models import AlertEvent, StreamEnd
from alerts.store import AlertStore
from detectors.continuity import PersonContinuity, VehicleContinuity
from detectors.geometry import Box
from detectors.loitering import LoiterRule
from detectors.model import YoloDetector
from detectors.tracking import CameraTracker
from detectors.types import Detection, ObjectClass, TrackedObject, TrackFrame
from streams.alerting import alert_from_incident
from streams.config import SiteConfig
from streams.records import FrameHeader, RecordError
from streams.retry import TRANSIENT

logger = logging.getLogger(__name__)


def check_camera(config: SiteConfig, camera_id: str) -> None:
    if not config.accept_unknown_cameras and config.camera(camera_id) is None:
        raise RecordError(f"unknown camera id {camera_id!r}: not listed in the site config")


class DetectStage:
    """JPEG -> detections -> per-camera ByteTrack -> TrackFrame.

    Two threads: JPEG decoding runs ahead in one while the model infers the previous frame in the other, so
    decode time hides behind inference. Inference and tracking stay in one thread, in frame order.
    """

    def __init__(
        self,
        config: SiteConfig,
        detector: YoloDetector,
        store: AlertStore | None,
        observe_inference: Callable[[float], None] | None = None,
    ) -> None:
        self.config = config
        self.detector = detector
        self.store = store
        self._observe_inference = observe_inference
        self._trackers: dict[str, tuple[str, CameraTracker]] = {}
        self._decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jpeg-decode")
        self._inference = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")

    async def process(self, header: FrameHeader, jpeg: bytes) -> TrackFrame:
        (result,) = await self.process_many([(header, jpeg)])
        if isinstance(result, Exception):
            raise result
        return result

    async def process_many(self, frames: list[tuple[FrameHeader, bytes]]) -> list[TrackFrame | Exception]:
        """Frames in order; each result is the TrackFrame or the error (RecordError for bad input) of that frame."""
        loop = asyncio.get_running_loop()
        decodes: list[asyncio.Future[np.ndarray | None] | None] = []
        for header, jpeg in frames:
            if header.end_of_stream:
                decodes.append(None)
            else:
                flags = _DECODE_FLAGS[self._reduction(header.width, header.height)]
                decodes.append(loop.run_in_executor(self._decoder, _decode, jpeg, flags))
        results: list[TrackFrame | Exception] = []
        for (header, jpeg), decode in zip(frames, decodes, strict=True):
            try:
                results.append(await self._finish(header, jpeg, decode))
            except Exception as exc:  # reported per frame; the caller dead-letters it and goes on
                results.append(exc)
        return results

    async def _finish(
        self, header: FrameHeader, jpeg: bytes, decode: asyncio.Future[np.ndarray | None] | None
    ) -> TrackFrame:
        check_camera(self.config, header.camera_id)
        if decode is None:
            self._trackers.pop(header.camera_id, None)
            return TrackFrame(
                camera_id=header.camera_id,
                stream_id=header.stream_id,
                seq=header.seq,
                ts=header.ts,
                width=max(header.width, 1),
                height=max(header.height, 1),
                end_of_stream=True,
            )
        image = await decode
        if image is None:
            raise RecordError(f"undecodable JPEG ({len(jpeg)} bytes)")
        reduction = self._reduction(header.width, header.height)
        tracker = self._tracker_for(header)
        objects = await asyncio.get_running_loop().run_in_executor(
            self._inference, self._infer, tracker, image, reduction
        )
        height, width = image.shape[:2]
        frame = TrackFrame(
            camera_id=header.camera_id,
            stream_id=header.stream_id,
            seq=header.seq,
            ts=header.ts,
            width=width * reduction,
            height=height * reduction,
            objects=objects,
        )
        if self.store is not None and self.config.detector.store_evidence_frames and _has_candidates(objects):
            try:
                await self.store.put_frame(
                    header.camera_id, header.stream_id, header.seq, jpeg, self.config.alerts.frame_buffer_s
                )
            except TRANSIENT as exc:  # evidence is best effort: tracking must go on through a Redis outage
                logger.warning("camera %s frame %s: evidence not kept (%s)", header.camera_id, header.seq, exc)
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

    def _infer(self, tracker: CameraTracker, image: np.ndarray, reduction: int) -> list[TrackedObject]:
        started = time.perf_counter()
        detections = self.detector.detect(image)
        if reduction != 1:
            detections = [scale_detection(d, reduction) for d in detections]
        objects = tracker.update(detections)
        if self._observe_inference is not None:
            self._observe_inference(time.perf_counter() - started)
        return objects

    def close(self) -> None:
        self._decoder.shutdown(wait=False)
        self._inference.shutdown(wait=False)


def _decode(jpeg: bytes, flags: int) -> np.ndarray | None:
    return cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), flags)


_DECODE_FLAGS = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4}


def scale_detection(detection: Detection, factor: int) -> Detection:
    box = detection.box
    scaled = Box(x1=box.x1 * factor, y1=box.y1 * factor, x2=box.x2 * factor, y2=box.y2 * factor)
    return detection.model_copy(update={"box": scaled})


def _has_candidates(objects: list[TrackedObject]) -> bool:
    """Only frames with a person and a vehicle can become alert evidence; others are not kept."""
    return any(o.cls is ObjectClass.PERSON for o in objects) and any(o.is_vehicle for o in objects)


@dataclass
class _CameraRules:
    """Per camera: identities across tracker ID changes, then the behaviour rules."""

    vehicles: VehicleContinuity
    people: PersonContinuity
    loitering: LoiterRule


class RuleStage:
    """TrackFrame -> behaviour rules per camera -> alert events (and an end marker for finite streams)."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self._cameras: dict[str, _CameraRules] = {}

    def process(self, frame: TrackFrame) -> list[AlertEvent | StreamEnd]:
        check_camera(self.config, frame.camera_id)
        camera = self._cameras.get(frame.camera_id)
        if camera is None:
            camera = self._cameras[frame.camera_id] = _CameraRules(
                VehicleContinuity(self.config.continuity),
                PersonContinuity(self.config.continuity),
                LoiterRule(self.config.loiter_for(frame.camera_id), frame.camera_id),
            )
        resolved = camera.people.resolve(camera.vehicles.resolve(frame))
        out: list[AlertEvent | StreamEnd] = [
            alert_from_incident(self.config.site_id, incident) for incident in camera.loitering.process(resolved)
        ]
        if frame.end_of_stream:
            out.append(StreamEnd(camera_id=frame.camera_id, stream_id=frame.stream_id, ts=frame.ts))
        return out

"""Which detector, tracker settings and people pass each camera gets: the site's `detector` section, or the
camera's own `cameras[].detector` where it has one (docs/people-detection.md).

Models are loaded once at start-up (compiling one takes seconds, not for the event loop's first frame) and
shared between cameras with the same model settings; the site's model is the detector the stage was given.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from detectors.behaviour.zones import Polygons
from detectors.config import CombinedModelConfig, ModelConfig, MotionConfig, TrackerConfig
from detectors.types import Detection, ObjectClass
from detectors.vision.backend import Detector
from detectors.vision.detection_rate import DetectionRate, DetectionRateConfig
from detectors.vision.model import load_detector
from detectors.vision.motion import MotionGate
from detectors.vision.object_filters import filter_detections
from detectors.vision.people_pass import CameraDetectorConfig, PeoplePass
from detectors.vision.tracking import CameraTracker
from streams.config import SiteConfig
from streams.records import FrameHeader
from streams.stages.decoding import jpeg_reduction

logger = logging.getLogger(__name__)


class CameraParts(Protocol):
    """What a camera stream's state in the detect stage holds that the config shapes."""

    tracker: CameraTracker | None
    gate: MotionGate | None
    people: PeoplePass | None
    rate: DetectionRate | None


class CameraDetectors:
    def __init__(
        self, config: SiteConfig, default: Detector, load: Callable[[ModelConfig], Detector] = load_detector
    ) -> None:
        self.config = config
        self.default = default
        self._by_model: dict[ModelConfig, Detector] = {config.detector.model: default}
        self._filters = {camera.id: camera.filters for camera in config.cameras if camera.filters}
        for camera in config.cameras:
            model = camera.detector.model if camera.detector is not None else None
            if model is not None and model not in self._by_model:
                logger.info("camera %s: loading its own detector (%s)", camera.id, model.type)
                self._by_model[model] = load(model)
            candidates = camera.detector.candidates if camera.detector is not None else None
            floor = person_confidence(model or config.detector.model)
            if candidates is not None and floor > candidates.motion_min_score:
                logger.warning(
                    "camera %s: its model returns people from %.2f, above candidates.motion_min_score %.2f: "
                    "the weak boxes the candidates section keeps where something moved never arrive",
                    camera.id,
                    floor,
                    candidates.motion_min_score,
                )
            gate = config.loiter_for(camera.id).min_person_score
            if candidates is not None and gate > candidates.min_score:
                logger.warning(
                    "camera %s: the loitering rule judges a person from a median score of %.2f, above the %.2f from "
                    "which its candidates count: most far people it tracks will never be judged; set "
                    "cameras[].loitering.min_person_score (docs/people-detection.md, 'What the rules get')",
                    camera.id,
                    gate,
                    candidates.min_score,
                )

    def filtered(self, header: FrameHeader, size: tuple[int, int] | None, found: list[Detection]) -> list[Detection]:
        """A look's detections (frame pixels; `size` the decoded frame's, else the header's) without those the
        camera's object filters reject (`cameras[].filters`)."""
        filters = self._filters.get(header.camera_id)
        if not filters:
            return found
        width, height = size or (header.width, header.height)
        return filter_detections(found, filters, width, height)

    def gate(self, camera_id: str) -> MotionGate | None:
        """A new stream's motion gate (with the camera's motion mask), or None when its gate is off."""
        motion = self.motion(camera_id)
        return MotionGate(motion, self.motion_mask(camera_id)) if motion.enabled else None

    def start(self, camera_id: str, fps: float, parts: CameraParts) -> CameraTracker:
        """A new stream's tracker (returned), motion gate, people pass and adaptive rate, from the config."""
        parts.tracker = tracker = CameraTracker(self.tracker(camera_id), fps)
        parts.gate = self.gate(camera_id)
        parts.people = self.people_pass(camera_id)
        rate = self.rate(camera_id)
        parts.rate = DetectionRate(rate) if rate.enabled else None
        return tracker

    def refit(self, camera_id: str, parts: CameraParts) -> None:
        """A restored stream's parts take the config of now and keep their state (tracks, confirmations, the
        gate's reference): a checkpoint saved under other settings (or before the camera had a motion mask or
        its own section) would otherwise keep them until the camera's stream restarts, weeks for a live one."""
        if parts.tracker is None:
            return  # an ended stream: the next one starts from the config
        parts.tracker.reconfigure(self.tracker(camera_id))
        motion, mask = self.motion(camera_id), self.motion_mask(camera_id)
        if parts.gate is None or not motion.enabled:
            parts.gate = self.gate(camera_id)
        else:
            parts.gate.config, parts.gate.mask = motion, mask
        rate = self.rate(camera_id)
        if parts.rate is None or not rate.enabled:
            parts.rate = DetectionRate(rate) if rate.enabled else None
        else:
            parts.rate.config = rate
        section = self.section(camera_id)
        if parts.people is None or section is None or not section.has_pass:
            parts.people = self.people_pass(camera_id)
        else:
            parts.people.reconfigure(section, self._input_size(camera_id), mask)

    def reduction(self, header: FrameHeader, sliced: bool) -> int:
        """The scale the camera's JPEGs are decoded at: full size where tiles or zoomed crops are cut from the
        frame (they need its pixels) or the camera has its own model (whose input, or a combined model's later
        members and their `others_min_width`, the site model's scale does not describe); else the smallest decode
        still at least the site model's input, so a section that only sets the tracker, gate, rate or
        confirmation costs no extra decoding."""
        section = self.section(header.camera_id)
        if sliced or (section is not None and (section.crops is not None or section.model is not None)):
            return 1
        return jpeg_reduction(self.config.detector, header.width, header.height)

    def motion_mask(self, camera_id: str) -> Polygons:
        """Where change on this camera is not motion (`cameras[].motion_mask`), for its gate and its crops."""
        camera = self.config.camera(camera_id)
        return camera.motion_mask if camera is not None else ()

    def section(self, camera_id: str) -> CameraDetectorConfig | None:
        camera = self.config.camera(camera_id)
        return camera.detector if camera is not None else None

    def detector(self, camera_id: str) -> Detector:
        section = self.section(camera_id)
        if section is None or section.model is None:
            return self.default
        return self._by_model[section.model]

    def tracker(self, camera_id: str) -> TrackerConfig:
        section = self.section(camera_id)
        if section is None or section.tracker is None:
            return self.config.detector.tracker
        return section.tracker

    def motion(self, camera_id: str) -> MotionConfig:
        section = self.section(camera_id)
        if section is None or section.motion is None:
            return self.config.detector.motion
        return section.motion

    def rate(self, camera_id: str) -> DetectionRateConfig:
        section = self.section(camera_id)
        if section is None or section.rate is None:
            return self.config.detector.rate
        return section.rate

    def people_pass(self, camera_id: str) -> PeoplePass | None:
        """A new stream's crops and confirmation, or None for a camera that has neither."""
        section = self.section(camera_id)
        if section is None or not section.has_pass:
            return None
        return PeoplePass(section, self._input_size(camera_id), self.motion_mask(camera_id))

    def _input_size(self, camera_id: str) -> tuple[int, int]:
        """The (height, width) the camera's model sees: crops are planned for it."""
        detector = self.detector(camera_id)
        return getattr(detector, "input_size", (detector.input_side, detector.input_side))


def person_confidence(model: ModelConfig) -> float:
    """The lowest score at which `model` returns people (a combined model: its people members' lowest)."""
    if isinstance(model, CombinedModelConfig):
        people = [m.confidence for m in model.members if ObjectClass.PERSON in m.classes]
        return min(people, default=1.0)
    return model.confidence

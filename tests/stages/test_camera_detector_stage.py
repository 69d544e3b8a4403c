"""A camera with its own detector section in the live detect stage, on the real models and the real VIRAT
car-park clip: its frames go to its own model with zoomed crops and confirmation, interleaved in one batch with
a camera on the site's YOLO, whose results stay exactly what they are without the other camera."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import numpy as np

from detectors.config import PersonVehicleBikeModelConfig
from detectors.types import Detection, ObjectClass, TrackFrame
from detectors.vision.backend import Detector
from detectors.vision.model import load_detector
from streams.config import CameraConfig, SiteConfig, config_from_text
from streams.records import FrameHeader, decode_frame
from streams.sources import video_records
from streams.stages.detect import DetectStage
from tests.stages.conftest import MODEL, SHARED

PVB = SHARED / "models" / "person-vehicle-bike-detection-2003" / "FP16-INT8"
CLIP = SHARED / "clips" / "VIRAT_S_010005_04_000299_000323.mp4"
FRAMES = 20

SITE = f"""
detector: {{model: {{path: {MODEL}}}}}
cameras:
  - id: street
  - id: carpark
    detector:
      model: {{type: person_vehicle_bike, path: {PVB}, confidence: 0.1}}
      tracker: {{track_high_thresh: 0.1, track_low_thresh: 0.05, new_track_thresh: 0.1, fuse_score: false}}
      motion: {{enabled: false}}
      crops: {{max_crops: 3}}
      confirm: {{min_frames: 3}}
"""


class Counting:
    def __init__(self, inner: Detector) -> None:
        self.inner, self.path, self.input_side = inner, inner.path, inner.input_side
        self.input_size = getattr(inner, "input_size", (inner.input_side, inner.input_side))
        self.images = 0

    def detect(self, image: np.ndarray) -> list[Detection]:
        return self.detect_many([image])[0]

    def detect_many(self, images: Iterable[np.ndarray]) -> list[list[Detection]]:
        found = self.inner.detect_many(images)
        self.images += len(found)
        return found


def _frames(camera: str) -> list[tuple[FrameHeader, bytes]]:
    records = video_records(CLIP, camera, "s-1", 5, 0.0, 85, 1280)
    return [decode_frame(value) for _, value, _ in records][:FRAMES]


def _run(config: SiteConfig, frames: list[tuple[FrameHeader, bytes]], stage: DetectStage) -> list[TrackFrame]:
    out = []
    try:
        for i in range(0, len(frames), 8):
            for result in asyncio.run(stage.process_many(frames[i : i + 8])):
                assert isinstance(result, TrackFrame), result
                out.append(result)
    finally:
        stage.close()
    return out


def test_a_far_field_camera_runs_its_own_model_with_crops_beside_a_default_camera() -> None:
    config = config_from_text(SITE, "site.yaml")
    site = Counting(load_detector(config.detector.model))
    stage = DetectStage(config, site, store=None)
    section = config.cameras[1].detector
    assert section is not None and isinstance(section.model, PersonVehicleBikeModelConfig)
    assert stage.detectors.detector("carpark") is not site and stage.detectors.detector("street") is site
    street, carpark = _frames("street"), _frames("carpark")
    mixed = [f for pair in zip(street, carpark, strict=True) for f in pair]
    tracked = _run(config, mixed, stage)
    by_camera = {c: [t for t in tracked if t.camera_id == c] for c in ("street", "carpark")}

    alone_config = SiteConfig(cameras=(CameraConfig(id="street"),), detector=config.detector)
    still: list[str] = []
    alone_stage = DetectStage(alone_config, load_detector(config.detector.model), store=None, count_still=still.append)
    alone = _run(alone_config, street, alone_stage)
    assert [t.objects for t in by_camera["street"]] == [t.objects for t in alone]  # the default path is unchanged
    assert site.images == len(street) - len(still)  # the site model saw the street frames only

    people = [o for t in by_camera["carpark"] for o in t.objects if o.cls is ObjectClass.PERSON]
    assert len(people) >= 10, people  # the far-field people the site's YOLO does not find (tests/integration)
    assert all(t.width == 1280 for t in by_camera["carpark"])  # full size: no reduced decode for crops

"""The pose pass on real video with the shared pose model: wrists for the person at the car, none for others."""

from __future__ import annotations

import asyncio
from pathlib import Path

import cv2

from detectors.vision.model import load_detector
from detectors.vision.pose import SHARED_POSE_MODEL, PoseConfig, WristFinder
from streams.config import SiteConfig
from streams.ingest import read_frame
from streams.records import FrameHeader
from streams.stages.detect import DetectStage
from tests.integration.conftest import CLIPS, MODEL, person_at_car_clip


def test_wrist_finder_on_a_real_person_crop() -> None:
    image = read_frame(CLIPS / "street_people_1080p.mp4", 0)
    crop = image[150:380, 1760:1900]  # a man walking past a bench, 230 px tall
    (wrists,) = WristFinder(PoseConfig(path=SHARED_POSE_MODEL)).wrists([crop])
    assert 1 <= len(wrists) <= 2
    for x, y in wrists:
        assert 0 <= x <= crop.shape[1] and 0.3 * crop.shape[0] <= y <= 0.8 * crop.shape[0], "wrists at hip height"


def test_detect_stage_adds_wrists_to_the_person_at_the_car(tmp_path: Path) -> None:
    clip = person_at_car_clip(tmp_path, seconds=2, fps=5)
    capture = cv2.VideoCapture(str(clip.path))
    frames = []
    while len(frames) < 3:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(cv2.imencode(".jpg", image)[1].tobytes())
    capture.release()
    height, width = image.shape[:2]
    config = SiteConfig(
        accept_unknown_cameras=True,
        detector={"model": {"path": str(MODEL)}, "pose": {"enabled": True, "interval_s": 0.1}},
    )
    stage = DetectStage(config, load_detector(config.detector.model), store=None)
    batch = [
        (FrameHeader(camera_id="c", stream_id="s", seq=i, ts=i / 5, width=width, height=height, fps=5), jpeg)
        for i, jpeg in enumerate(frames)
    ]
    try:
        results = asyncio.run(stage.process_many(batch))
    finally:
        stage.close()
    people = [o for frame in results for o in frame.objects if o.cls.value == "person"]  # type: ignore[union-attr]
    looked = [p for p in people if p.wrists is not None]
    assert looked, "the person beside the parked car is looked at"
    for person in looked:
        assert all(person.box.expanded(0.15).contains(w) for w in person.wrists), "wrists lie on the person"

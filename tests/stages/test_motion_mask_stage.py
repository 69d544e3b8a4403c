"""A motion mask in the live detect stage, on the real site model and a real still frame with a timestamp overlay
drawn on it (synthetic, as every NVR camera shows one): unmasked, the ticking seconds wake the gate every
second; masked, the camera stays still until something moves outside the overlay."""

from __future__ import annotations

import asyncio

import cv2
import numpy as np

from detectors.types import TrackFrame
from detectors.vision.model import load_detector
from streams.config import config_from_text
from streams.ingest import encode_jpeg
from streams.records import FrameHeader
from streams.stages.detect import DetectStage
from tests.stages.conftest import MODEL, SHARED

CLIP = SHARED / "clips" / "residential_street_parked_cars.mp4"
FPS, SECONDS = 5, 6

SITE = f"""
detector:
  model: {{path: {MODEL}}}
  motion: {{max_interval_s: 30}}
  rate: {{enabled: false}}
cameras:
  - id: plain
  - id: masked
    motion_mask: [[[0.0, 0.0], [0.6, 0.0], [0.6, 0.15], [0.0, 0.15]]]
"""


def _frames(camera: str, scene: np.ndarray) -> list[tuple[FrameHeader, bytes]]:
    """The still scene at 5 fps with a timestamp overlay whose seconds tick, top left."""
    out = []
    for seq in range(FPS * SECONDS):
        image = scene.copy()
        stamp = f"2026-12-03 01:02:{seq // FPS:02d}"
        cv2.putText(image, stamp, (8, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
        jpeg, width, height = encode_jpeg(image, 85, None)
        out.append(
            (
                FrameHeader(
                    camera_id=camera, stream_id="s-1", seq=seq, ts=seq / FPS, width=width, height=height, fps=FPS
                ),
                jpeg,
            )
        )
    return out


def test_a_ticking_timestamp_inside_the_mask_does_not_wake_the_model() -> None:
    capture = cv2.VideoCapture(str(CLIP))
    ok, scene = capture.read()
    capture.release()
    assert ok
    config = config_from_text(SITE, "site.yaml")
    still: list[str] = []
    stage = DetectStage(config, load_detector(config.detector.model), store=None, count_still=still.append)
    try:
        for camera in ("plain", "masked"):
            results = asyncio.run(stage.process_many(_frames(camera, scene)))
            assert all(isinstance(r, TrackFrame) for r in results), results
    finally:
        stage.close()
    frames = FPS * SECONDS
    looked = {camera: frames - still.count(camera) for camera in ("plain", "masked")}
    assert looked["plain"] >= SECONDS - 1, (
        looked
    )  # the first frame and most ticks (5 measured: ":00" -> ":01" is few pixels)
    assert looked["masked"] == 1, looked  # the first frame only: nothing else moved

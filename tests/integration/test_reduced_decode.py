"""Decoding JPEGs at reduced scale must find the same people, at the same full-frame positions."""

from __future__ import annotations

import cv2
import numpy as np

from detectors.config import OpenVinoModelConfig
from detectors.vision.model import load_detector
from streams.ingest import read_frame
from streams.stages.decoding import scale_detection
from tests.integration.conftest import CLIPS, MODEL


def test_half_scale_decode_matches_full_decode(shared_data) -> None:
    detector = load_detector(OpenVinoModelConfig(path=MODEL))
    matched = total = 0
    for index in range(0, 150, 30):
        image = read_frame(CLIPS / "street_people_1080p.mp4", index)
        jpeg = np.frombuffer(cv2.imencode(".jpg", image)[1].tobytes(), np.uint8)
        full = detector.detect(cv2.imdecode(jpeg, cv2.IMREAD_COLOR))
        half = [scale_detection(d, 2) for d in detector.detect(cv2.imdecode(jpeg, cv2.IMREAD_REDUCED_COLOR_2))]
        confident = [d for d in full if d.confidence >= 0.5]
        total += len(confident)
        matched += sum(any(d.box.iou(h.box) >= 0.7 and h.cls == d.cls for h in half) for d in confident)
    assert total >= 20
    assert matched / total >= 0.9, f"{matched}/{total} confident detections found again at half-scale decode"

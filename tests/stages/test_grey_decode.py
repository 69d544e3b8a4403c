"""Still frames decoded in grey for the motion gate alone, on the real model: a still camera's frames are not
decoded in colour (but the few the model looks at), a busy camera's frames are decoded once, in colour."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import cv2
import numpy as np
import pytest

from detectors.types import TrackFrame
from detectors.vision.model import load_detector
from streams.config import CameraConfig, SiteConfig
from streams.ingest import read_frame
from streams.records import FrameHeader, decode_frame
from streams.sources import video_records
from streams.stages import decoding, frame_decoder
from streams.stages.detect import DetectStage
from tests.stages.test_motion_gating import MODEL, SHARED

FPS = 5.0


def test_a_still_camera_is_decoded_in_grey_and_a_busy_one_once_in_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    held = read_frame(SHARED / "clips" / "residential_street_parked_cars.mp4", 0)  # 640x352: grey at 1/2
    still_jpeg = cv2.imencode(".jpg", held, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()
    busy = [
        decode_frame(v)
        for _, v, _ in video_records(SHARED / "clips" / "street_people_1080p.mp4", "busy", "s", FPS, 0.0, 85, 1280)
    ]
    still = [
        (FrameHeader(camera_id="still", stream_id="s", seq=i, ts=i / FPS, width=640, height=352, fps=FPS), still_jpeg)
        for i in range(len(busy))
    ]
    frames = sorted(still + busy, key=lambda f: (f[0].ts, f[0].camera_id))  # as both cameras send them

    decodes: Counter[tuple[str, str, str]] = Counter()  # (camera, grey or colour, thread)

    def counting(jpeg: bytes, reduction: int, grey: bool = False) -> np.ndarray | None:
        thread = threading.current_thread().name.split("_")[0]
        decodes["still" if jpeg == still_jpeg else "busy", "grey" if grey else "colour", thread] += 1
        return decoding.decode_jpeg(jpeg, reduction, grey)

    monkeypatch.setattr(frame_decoder, "decode_jpeg", counting)
    cameras = (CameraConfig(id="still", fps=FPS), CameraConfig(id="busy", fps=FPS))
    config = SiteConfig(cameras=cameras, detector={"model": {"path": str(MODEL)}, "rate": {"enabled": False}})
    skipped: list[str] = []
    stage = DetectStage(config, load_detector(config.detector.model), store=None, count_still=skipped.append)
    try:
        tracked = [r for i in range(0, len(frames), 8) for r in asyncio.run(stage.process_many(frames[i : i + 8]))]
    finally:
        stage.close()
    assert all(isinstance(t, TrackFrame) for t in tracked)
    count = Counter(skipped)
    still_looks = len(still) - count["still"]
    assert count["still"] >= 0.7 * len(still), "the held frame is still"
    colour_still = decodes["still", "colour", "jpeg-decode"] + decodes["still", "colour", "inference"]
    # the first frame and the frames before its decision is in force (DECISION_LAG_S), then the looks alone
    assert colour_still <= still_looks + 2, (decodes, still_looks)
    assert decodes["still", "grey", "jpeg-decode"] >= count["still"] - 2, decodes
    busy_decodes = sum(n for (camera, _, _), n in decodes.items() if camera == "busy")
    again = decodes["busy", "colour", "inference"]  # a grey decode the gate passed, decoded again in colour
    busy_frames = sum(not header.end_of_stream for header, _ in busy)
    assert busy_decodes == busy_frames + again, decodes
    assert again <= 0.1 * busy_frames, f"busy frames are decoded once, in colour: {decodes}"

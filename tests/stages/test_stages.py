"""The stage objects the Faust agents call, without a broker: ordering, markers and per-frame errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import cv2

from alerts.models import AlertEvent, AlertPhase, StreamEnd
from detectors.model import load_detector
from streams.config import CameraConfig, SiteConfig
from streams.records import FrameHeader, RecordError
from streams.stages import DetectStage, RuleStage
from tests.builders import CAR_BOX, SceneBuilder, car, person_at

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def test_rule_stage_emits_alert_steps_then_the_stream_marker() -> None:
    stage = RuleStage(SiteConfig(cameras=(CameraConfig(id="cam-test", loitering={"dwell_s": 10}),)))
    frames = (
        SceneBuilder()
        .frames(5, lambda t: [car()])
        .frames(15, lambda t: [car(), person_at(3, CAR_BOX.x2 + 10, CAR_BOX.y2)])
        .end()
    )
    out = [record for frame in frames for record in stage.process(frame)]
    alerts = [r for r in out if isinstance(r, AlertEvent)]
    assert [a.phase for a in alerts] == [AlertPhase.START, AlertPhase.END]
    assert alerts[0].site_id == "default-site" and alerts[0].dwell_s >= 10
    assert isinstance(out[-1], StreamEnd) and out[-1].stream_id == "stream-1"


def test_rule_stage_refuses_unknown_cameras() -> None:
    stage = RuleStage(SiteConfig(cameras=(CameraConfig(id="other"),)))
    frame = SceneBuilder().frames(1, lambda t: []).frames_out[0]
    try:
        stage.process(frame)
    except RecordError as exc:
        assert "unknown camera id 'cam-test'" in str(exc)
    else:
        raise AssertionError("an unknown camera must be refused")


def test_detect_stage_batch_keeps_order_and_isolates_bad_frames() -> None:
    config = SiteConfig(
        accept_unknown_cameras=True,
        detector={"model": {"path": str(SHARED / "models" / "yolo11n_int8_openvino_model")}},
    )
    stage = DetectStage(config, load_detector(config.detector.model), store=None)
    capture = cv2.VideoCapture(str(SHARED / "clips" / "residential_street_parked_cars.mp4"))
    ok, image = capture.read()
    capture.release()
    assert ok
    jpeg = cv2.imencode(".jpg", image)[1].tobytes()

    def header(seq: int, **extra: object) -> FrameHeader:
        return FrameHeader(camera_id="c", stream_id="s", seq=seq, ts=seq / 5, width=640, height=352, fps=5, **extra)

    batch = [(header(0), jpeg), (header(1), b"not a jpeg"), (header(2), jpeg), (header(3, end_of_stream=True), b"")]
    try:
        results = asyncio.run(stage.process_many(batch))
    finally:
        stage.close()
    assert [type(r).__name__ for r in results] == ["TrackFrame", "RecordError", "TrackFrame", "TrackFrame"]
    assert [r.seq for r in results if not isinstance(r, Exception)] == [0, 2, 3]
    assert any(o.cls.value == "car" for o in results[0].objects)
    assert {o.track_id for o in results[0].objects} <= {o.track_id for o in results[2].objects}, "tracks persist"
    assert results[3].end_of_stream

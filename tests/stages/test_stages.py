"""The stage objects the Faust agents call, without a broker: ordering, markers and per-frame errors."""

from __future__ import annotations

import asyncio
import pickle
from pathlib import Path

import cv2
import pytest

from alerts.models import AlertEvent, AlertPhase, StreamEnd
from detectors.vision.model import load_detector
from streams.config import CameraConfig, SiteConfig
from streams.ingest import read_frame
from streams.records import FrameHeader, RecordError
from streams.stages.detect import DetectStage, DuplicateRecord, FrameShed
from streams.stages.rules import RuleStage
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
    image = read_frame(SHARED / "clips" / "residential_street_parked_cars.mp4", 0)
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


def _scene() -> list:
    return (
        SceneBuilder()
        .frames(5, lambda t: [car()])
        .frames(15, lambda t: [car(), person_at(3, CAR_BOX.x2 + 10, CAR_BOX.y2)])
        .end()
    )


def _rules() -> RuleStage:
    return RuleStage(SiteConfig(cameras=(CameraConfig(id="cam-test", loitering={"dwell_s": 10}),)))


def test_rule_state_restored_in_a_new_stage_gives_the_same_alerts() -> None:
    frames = _scene()
    whole = _rules()
    uninterrupted = [r for f in frames for r in whole.process(f)]
    before, after = _rules(), _rules()
    first = [r for f in frames[:12] for r in before.process(f)]
    after.restore_state("cam-test", pickle.loads(pickle.dumps(before.export_state("cam-test"))))
    assert first + [r for f in frames[12:] for r in after.process(f)] == uninterrupted


@pytest.mark.parametrize("repeat", [0, 7, 11])
def test_rule_stage_skips_a_frame_it_has_taken_in(repeat: int) -> None:
    frames = _scene()
    stage = _rules()
    for frame in frames[:12]:
        stage.process(frame)
    with pytest.raises(DuplicateRecord):
        stage.process(frames[repeat])
    stage.restore_state("cam-test", None)
    assert stage.process(frames[repeat]) == [], "cleared state takes the frame as the start of a stream"


def test_detect_stage_skips_repeated_frames() -> None:
    config = SiteConfig(
        cameras=(CameraConfig(id="cam-test"),),
        detector={"model": {"path": str(SHARED / "models" / "yolo11n_int8_openvino_model")}},
    )
    stage = DetectStage(config, load_detector(config.detector.model), store=None)
    image = read_frame(SHARED / "clips" / "residential_street_parked_cars.mp4", 0)
    jpeg = cv2.imencode(".jpg", image)[1].tobytes()
    header = FrameHeader(camera_id="cam-test", stream_id="s", seq=4, ts=1.0, width=640, height=352, fps=5)
    first, repeat = asyncio.run(stage.process_many([(header, jpeg), (header, jpeg)]))
    assert not isinstance(first, Exception) and isinstance(repeat, DuplicateRecord)
    restored = DetectStage(config, stage.detector, store=None)
    restored.restore_state("cam-test", pickle.loads(pickle.dumps(stage.export_state("cam-test"))))
    (again,) = asyncio.run(restored.process_many([(header, jpeg)]))
    assert isinstance(again, DuplicateRecord), "the restored state knows the frame"
    stage.close()
    restored.close()


@pytest.mark.parametrize(
    ("live", "age_s", "end", "shed"),
    [
        (True, 5.0, False, True),  # a stale live frame: dropped, the worker moves on to fresh ones
        (True, 0.5, False, False),
        (False, 3600.0, False, False),  # replays carry old capture times and are never shed
        (True, 5.0, True, False),  # a stream's end always goes through
    ],
)
def test_detect_stage_sheds_only_stale_live_frames(live: bool, age_s: float, end: bool, shed: bool) -> None:
    config = SiteConfig(
        cameras=(CameraConfig(id="cam-test"),),
        detector={"model": {"path": str(SHARED / "models" / "yolo11n_int8_openvino_model")}, "shed_after_s": 2.0},
    )
    stage = DetectStage(config, load_detector(config.detector.model), store=None, clock=lambda: 1000.0)
    image = read_frame(SHARED / "clips" / "residential_street_parked_cars.mp4", 0)
    header = FrameHeader(
        camera_id="cam-test",
        stream_id="s",
        seq=0,
        ts=1000.0 - age_s,
        width=640,
        height=352,
        fps=5,
        live=live,
        end_of_stream=end,
    )
    (result,) = asyncio.run(stage.process_many([(header, b"" if end else cv2.imencode(".jpg", image)[1].tobytes())]))
    stage.close()
    assert isinstance(result, FrameShed) is shed, result


def test_shedding_under_a_backlog_takes_the_same_share_from_every_camera() -> None:
    """A worker behind on three cameras: their frames arrive interleaved, the older ones stale; each camera loses
    its stale frames and keeps its fresh ones, so no camera goes blind while another is served."""
    cameras = ("row-a", "row-b", "row-c")
    config = SiteConfig(
        cameras=tuple(CameraConfig(id=c) for c in cameras),
        detector={"model": {"path": str(SHARED / "models" / "yolo11n_int8_openvino_model")}, "shed_after_s": 2.0},
    )
    stage = DetectStage(config, load_detector(config.detector.model), store=None, clock=lambda: 1000.0)
    image = read_frame(SHARED / "clips" / "residential_street_parked_cars.mp4", 0)
    jpeg = cv2.imencode(".jpg", image)[1].tobytes()
    ages = [6.0, 5.0, 4.0, 3.0, 2.5, 1.5, 1.0, 0.5]  # 5 stale, 3 fresh per camera
    batch = [
        (FrameHeader(camera_id=c, stream_id=c, seq=i, ts=1000.0 - age, width=640, height=352, fps=5, live=True), jpeg)
        for i, age in enumerate(ages)
        for c in cameras
    ]
    results = [r for i in range(0, len(batch), 8) for r in asyncio.run(stage.process_many(batch[i : i + 8]))]
    stage.close()
    for camera in cameras:
        mine = [r for (header, _), r in zip(batch, results, strict=True) if header.camera_id == camera]
        assert [isinstance(r, FrameShed) for r in mine] == [True] * 5 + [False] * 3, camera


def test_sliced_camera_finds_at_least_the_people_of_the_whole_frame_once_each() -> None:
    """Slicing on the street clip's 1080p frame, with the real model: no person lost, none counted twice."""
    model = {"path": str(SHARED / "models" / "yolo11n_int8_openvino_model")}
    image = read_frame(SHARED / "clips" / "street_people_1080p.mp4", 0)
    jpeg = cv2.imencode(".jpg", image)[1].tobytes()
    header = FrameHeader(camera_id="wide", stream_id="s", seq=0, ts=0.0, width=1920, height=1080, fps=5)
    people = {}
    for sliced in (False, True):
        camera = CameraConfig(id="wide", max_width=None, slicing={"rows": 2, "cols": 2} if sliced else None)
        config = SiteConfig(cameras=(camera,), detector={"model": model, "motion": {"enabled": False}})
        stage = DetectStage(config, load_detector(config.detector.model), store=None)
        try:
            (frame,) = asyncio.run(stage.process_many([(header, jpeg)]))
        finally:
            stage.close()
        people[sliced] = [o.box for o in frame.objects if o.cls.value == "person"]
    assert len(people[True]) >= len(people[False]) > 0
    boxes = people[True]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            # the merge's own rule: a box mostly inside another of the same class is the same person
            # (two real people may overlap less: a seated person beside a walking one does, in this frame)
            assert a.overlap(b) < 0.8, "one person, two boxes"

"""Motion gating on the real model and real clips: the same alerts as without it, with most frames skipped."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from alerts.models import AlertEvent
from detectors.config import OpenVinoModelConfig
from detectors.model import load_detector
from streams.composite import compose_person_at_car
from streams.config import CameraConfig, SiteConfig
from streams.records import decode_frame
from streams.sources import video_records
from streams.stages import DetectStage, RuleStage

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
MODEL = SHARED / "models" / "yolo11n_int8_openvino_model"


def _alerts_and_still_share(clip: Path, camera: str, gating: bool, fps: float) -> tuple[list[AlertEvent], float]:
    config = SiteConfig(
        cameras=(CameraConfig(id=camera, fps=fps, loitering={"dwell_s": 5}),),
        detector={"model": {"path": str(MODEL)}, "motion": {"enabled": gating}},
    )
    still: list[str] = []
    stage = DetectStage(config, load_detector(config.detector.model), store=None, count_still=still.append)
    frames = [decode_frame(v) for _, v, _ in video_records(clip, camera, "s-1", fps, 0.0, 85, 1280)]
    try:
        tracked = [r for i in range(0, len(frames), 8) for r in asyncio.run(stage.process_many(frames[i : i + 8]))]
    finally:
        stage.close()
    rules = RuleStage(config)
    alerts = [e for frame in tracked for e in rules.process(frame) if isinstance(e, AlertEvent)]  # type: ignore[arg-type]
    return alerts, len(still) / len(frames)


def assert_same_alerts(gated: list[AlertEvent], plain: list[AlertEvent]) -> None:
    """Same alerts, steps, times, dwell and track ids; boxes differ only by the tracker's smoothing cadence."""
    boxes = {"person_box", "vehicle_box"}
    assert [a.model_dump(exclude=boxes) for a in gated] == [a.model_dump(exclude=boxes) for a in plain]
    for a, b in zip(gated, plain, strict=True):
        for name in boxes:
            assert max(abs(x - y) for x, y in zip(getattr(a, name), getattr(b, name), strict=True)) < 6.0


@pytest.fixture(scope="module")
def person_at_car(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compose_person_at_car(
        tmp_path_factory.mktemp("clip") / "person-at-car.mp4",
        load_detector(OpenVinoModelConfig(path=MODEL)),
        SHARED / "clips" / "street_people_1080p.mp4",
        SHARED / "clips" / "residential_street_parked_cars.mp4",
        seconds=12,
        fps=10,
    ).path


def test_still_scene_gives_the_same_alerts_with_most_frames_skipped(person_at_car: Path) -> None:
    gated, still_share = _alerts_and_still_share(person_at_car, "composite", gating=True, fps=5)
    plain, _ = _alerts_and_still_share(person_at_car, "composite", gating=False, fps=5)
    assert plain, "the person held at the car raises an alert"
    assert_same_alerts(gated, plain)
    assert still_share >= 0.6, f"a held frame is still: only {still_share:.0%} skipped"


@pytest.mark.parametrize("clip", ["residential_street_parked_cars.mp4", "street_people_1080p.mp4"])
def test_moving_scenes_give_the_same_alerts_gated_or_not(clip: str) -> None:
    gated, _ = _alerts_and_still_share(SHARED / "clips" / clip, "cam", gating=True, fps=5)
    plain, _ = _alerts_and_still_share(SHARED / "clips" / clip, "cam", gating=False, fps=5)
    assert_same_alerts(gated, plain)

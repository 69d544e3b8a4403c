"""Adaptive detection rate on the real model and real clips: fewer looks where people walk far from cars, the
same alerts where a person stays at a car."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alerts.models import AlertEvent
from detectors.types import ObjectClass, TrackFrame
from detectors.vision.model import load_detector
from streams.config import CameraConfig, SiteConfig
from streams.records import decode_frame
from streams.sources import video_records
from streams.stages.detect import DetectStage
from streams.stages.rules import RuleStage
from tests.stages.test_motion_gating import MODEL, SHARED, assert_same_alerts


def _run(
    clip: Path, camera: str, rate: bool, fps: float, batch: int = 8, limit: int | None = None
) -> tuple[list[TrackFrame], list[AlertEvent], float]:
    """Tracks, alerts and the share of frames the model skipped, with motion gating on and the rate on or off."""
    config = SiteConfig(
        cameras=(CameraConfig(id=camera, fps=fps, loitering={"dwell_s": 5}),),
        detector={"model": {"path": str(MODEL)}, "rate": {"enabled": rate}},
    )
    skipped: list[str] = []
    stage = DetectStage(config, load_detector(config.detector.model), store=None, count_still=skipped.append)
    frames = [decode_frame(v) for _, v, _ in video_records(clip, camera, "s-1", fps, 0.0, 85, 1280)][:limit]
    try:
        tracked = [
            r for i in range(0, len(frames), batch) for r in asyncio.run(stage.process_many(frames[i : i + batch]))
        ]
    finally:
        stage.close()
    rules = RuleStage(config)
    alerts = [e for frame in tracked for e in rules.process(frame) if isinstance(e, AlertEvent)]  # type: ignore[arg-type]
    return tracked, alerts, len(skipped) / len(frames)  # type: ignore[return-value]


def test_walkers_far_from_cars_are_looked_at_less_often_and_still_seen() -> None:
    clip = SHARED / "clips" / "street_people_1080p.mp4"
    full, _, full_skipped = _run(clip, "street", rate=False, fps=10)
    adaptive, _, skipped = _run(clip, "street", rate=True, fps=10)
    assert skipped >= full_skipped + 0.3, f"walkers, no cars: {skipped:.0%} skipped vs {full_skipped:.0%}"

    longest, run = 0, 0  # frames in a row repeating the last look's objects
    for before, after in zip(adaptive, adaptive[1:], strict=False):
        run = run + 1 if after.objects == before.objects else 0
        longest = max(longest, run)
    assert longest < 10, f"the model looks at least once a second (10 frames): {longest} repeats in a row"

    def mean_people(frames: list[TrackFrame]) -> float:
        return sum(sum(o.cls is ObjectClass.PERSON for o in f.objects) for f in frames) / len(frames)

    assert mean_people(adaptive) >= 0.85 * mean_people(full), "the people in view are still seen"


def test_a_person_at_a_car_raises_the_same_alerts(person_at_car: Path) -> None:
    _, plain, _ = _run(person_at_car, "composite", rate=False, fps=5)
    _, adaptive, _ = _run(person_at_car, "composite", rate=True, fps=5)
    assert plain, "the person held at the car raises an alert"
    assert_same_alerts(adaptive, plain)


def test_the_frames_looked_at_do_not_depend_on_how_records_were_batched() -> None:
    """A replay at another speed batches records differently; the same frames must be looked at, so the tracks
    and alerts are the same (event time)."""
    clip = SHARED / "clips" / "street_people_1080p.mp4"
    one, _, skipped_one = _run(clip, "street", rate=True, fps=10, batch=1, limit=60)
    for batch in (5, 16):
        other, _, skipped = _run(clip, "street", rate=True, fps=10, batch=batch, limit=60)
        assert skipped == skipped_one and skipped > 0.3, f"batches of {batch}: {skipped:.0%} vs {skipped_one:.0%}"
        assert [f.objects for f in other] == [f.objects for f in one], f"batches of {batch}"

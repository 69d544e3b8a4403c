"""Object filters in the live detect stage, on the real site model and a real street clip: a camera whose site
masks the left half of its view for people tracks nobody standing there, beside the same camera unmasked."""

from __future__ import annotations

import asyncio

from detectors.types import ObjectClass, TrackFrame
from detectors.vision.model import load_detector
from streams.config import config_from_text
from streams.records import decode_frame
from streams.sources import video_records
from streams.stages.detect import DetectStage
from tests.stages.conftest import MODEL, SHARED

CLIP = SHARED / "clips" / "street_people_1080p.mp4"
FRAMES = 10

SITE = f"""
detector: {{model: {{path: {MODEL}}}}}
cameras:
  - id: open
  - id: masked
    filters:
      - classes: [person]
        mask: [[[0, 0], [0.5, 0], [0.5, 1], [0, 1]]]
"""


def _tracked(camera: str) -> list[TrackFrame]:
    config = config_from_text(SITE, "site.yaml")
    stage = DetectStage(config, load_detector(config.detector.model), store=None)
    frames = [decode_frame(value) for _, value, _ in video_records(CLIP, camera, "s-1", 5, 0.0, 85, 1280)][:FRAMES]
    out = []
    try:
        for result in asyncio.run(stage.process_many(frames)):
            assert isinstance(result, TrackFrame), result
            out.append(result)
    finally:
        stage.close()
    return out


def _feet(frames: list[TrackFrame]) -> list[float]:
    """Where the people stand, as a fraction of the frame width."""
    return [o.box.foot_point()[0] / t.width for t in frames for o in t.objects if o.cls is ObjectClass.PERSON]


def test_nobody_is_tracked_standing_in_a_masked_part_of_the_view() -> None:
    open_feet, masked_feet = _feet(_tracked("open")), _feet(_tracked("masked"))
    assert sum(x < 0.5 for x in open_feet) >= 5, open_feet  # the street clip has people on both sides
    assert masked_feet and all(x >= 0.5 for x in masked_feet), masked_feet
    assert len(masked_feet) >= 0.8 * sum(x >= 0.5 for x in open_feet)  # the rest of the view as before

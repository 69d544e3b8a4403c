"""The pedestrian-detection-adas-0002 backend on real frames: the VIRAT 0100 plaza clip (people 41-90 px)
scored against its own ground truth, one frame a second; and combined with the person-vehicle-bike model, which
gives a camera its cars. Floors sit under what was measured (docs/people-detection.md, "The adas model")."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.config import CombinedModelConfig, PedestrianAdasModelConfig, PersonVehicleBikeModelConfig
from detectors.types import ObjectClass
from detectors.vision.ground_truth import Counts, FrameCounts, score_frame
from detectors.vision.model import load_detector
from detectors.vision.slicing import shifted
from streams.cli.eval_tracks import CLIP, OBJECTS
from streams.evaluation.ground_truth_eval import Clip, load_clip
from streams.ingest import file_frames
from tests.integration.conftest import CLIPS, SHARED

ROOT = Path(__file__).resolve().parents[2]
ADAS = SHARED / "models" / "pedestrian-detection-adas-0002" / "FP16-INT8"
PVB = SHARED / "models" / "person-vehicle-bike-detection-2003" / "FP16-INT8"
CROP = (336, 192)  # a 2x crop of the native 672x384 input, as the far-field camera's crops


@pytest.fixture(scope="module")
def clip(shared_data: Path) -> Clip:
    return load_clip(ROOT / CLIP, ROOT / OBJECTS, fps=1.0)


def adas(**settings: object) -> PedestrianAdasModelConfig:
    return PedestrianAdasModelConfig.model_validate({"type": "pedestrian_adas", "path": ADAS, **settings})


def _whole_frames(clip: Clip, config: PedestrianAdasModelConfig) -> Counts:
    found = load_detector(config).detect_many(image for _, image in clip.frames)
    counts = FrameCounts()
    for (index, _), boxes in zip(clip.frames, found, strict=True):
        counts += score_frame([(d.box, d.confidence) for d in boxes], list(clip.truth[index].values()))
    return counts.total


def test_adas_finds_the_far_field_people_in_2x_crops_and_more_of_them_reshaped(clip: Clip) -> None:
    detector = load_detector(adas(confidence=0.3))
    found = missed = 0
    for index, image in clip.frames:
        height, width = image.shape[:2]
        for person in clip.truth[index].values():
            cx, cy = person.center()
            x1 = int(min(max(cx - CROP[0] / 2, 0), width - CROP[0]))
            y1 = int(min(max(cy - CROP[1] / 2, 0), height - CROP[1]))
            boxes = [shifted(d, x1, y1).box for d in detector.detect(image[y1 : y1 + CROP[1], x1 : x1 + CROP[0]])]
            if any(box.iou(person) >= 0.5 for box in boxes):
                found += 1
            else:
                missed += 1
    native, double = (
        _whole_frames(clip, adas(confidence=0.3)),
        _whole_frames(clip, adas(confidence=0.3, imgsz=1344, input_height=768)),
    )
    print(f"adas in 2x crops on each person: {found} found, {missed} missed; whole frame {native}, 2x {double}")
    assert found + missed >= 80
    assert found / (found + missed) >= 0.18, (found, missed)  # measured 22 of 94 from 0.3
    assert native.recall is not None and double.recall is not None and double.recall > native.recall, (native, double)


def test_combined_with_the_vehicle_model_a_camera_gets_cars_and_the_same_people(clip: Clip) -> None:
    config = CombinedModelConfig(
        type="combined",
        members=(
            adas(confidence=0.3),
            PersonVehicleBikeModelConfig(type="person_vehicle_bike", path=PVB, classes=(ObjectClass.CAR,)),
        ),
        others_min_width=640,
    )
    combined, alone = load_detector(config), load_detector(config.members[0])
    street = [
        f.image
        for _, f in zip(
            range(6), file_frames(str(CLIPS / "residential_street_parked_cars.mp4"), 1.0, 0.0), strict=False
        )
    ]
    cars = [sum(d.cls is ObjectClass.CAR for d in found) for found in combined.detect_many(street)]
    plaza = [image for _, image in clip.frames]
    on_plaza = combined.detect_many(plaza)
    print(f"cars per street frame {cars}")
    assert min(cars) >= 1, cars  # the parked cars of the street
    assert not any(d.cls is ObjectClass.CAR for found in on_plaza for d in found)  # the plaza has none
    assert [[d.box for d in found] for found in on_plaza] == [
        [d.box for d in found] for found in alone.detect_many(plaza)
    ]

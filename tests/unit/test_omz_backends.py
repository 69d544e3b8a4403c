"""The pedestrian-detection-adas-0002 output conversion and the combined backend's merge, on constructed
arrays and a fake member (the real models run in tests/integration/test_pedestrian_adas.py)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from detectors.config import CombinedModelConfig, PedestrianAdasModelConfig
from detectors.geometry import Box
from detectors.types import Detection, ObjectClass
from detectors.vision.combined import CombinedDetector
from detectors.vision.model import BACKENDS
from detectors.vision.omz_openvino import default_path
from detectors.vision.omz_pedestrian import MODEL_DIR, PedestrianAdasDetector, convert_ssd
from detectors.vision.people_pass import CameraDetectorConfig
from streams.config import DetectorConfig


def test_ssd_rows_become_people_in_image_pixels_up_to_the_end_marker() -> None:
    rows = np.array(
        [
            [0, 1, 0.9, 0.5, 0.25, 0.55, 0.5],  # a pedestrian
            [0, 1, 0.3, -0.1, 0.9, 0.02, 1.2],  # reaches outside the image: clipped
            [0, 2, 0.9, 0.1, 0.1, 0.2, 0.2],  # not the pedestrian label
            [0, 1, 0.05, 0.1, 0.1, 0.2, 0.2],  # too weak
            [0, 1, 0.9, 0.3, 0.3, 0.3, 0.4],  # empty
            [-1, 0, 0.0, 0.0, 0.0, 0.0, 0.0],  # end of the list
            [0, 1, 0.99, 0.6, 0.6, 0.7, 0.9],  # after the end: padding, never read
        ],
        dtype=np.float32,
    )
    found = convert_ssd(rows, 1280, 720, confidence=0.1)
    assert [d.cls for d in found] == [ObjectClass.PERSON, ObjectClass.PERSON]
    assert np.allclose(found[0].box.as_list(), [640.0, 180.0, 704.0, 360.0])
    assert np.allclose(found[1].box.as_list(), [0.0, 648.0, 25.6, 720.0])
    assert found[0].confidence == pytest.approx(0.9)
    assert convert_ssd(rows, 1280, 720, confidence=0.95) == []


def test_adas_and_combined_are_chosen_by_type_and_combined_members_cannot_nest() -> None:
    detector = DetectorConfig.model_validate({"model": {"type": "pedestrian_adas", "imgsz": 1344, "input_height": 768}})
    assert isinstance(detector.model, PedestrianAdasModelConfig) and BACKENDS[type(detector.model)] is (
        PedestrianAdasDetector
    )
    assert detector.model.classes == (ObjectClass.PERSON,)
    section = CameraDetectorConfig.model_validate(
        {
            "model": {
                "type": "combined",
                "members": [{"type": "pedestrian_adas", "confidence": 0.1}, {"type": "openvino", "classes": ["car"]}],
            }
        }
    )
    assert isinstance(section.model, CombinedModelConfig) and section.model.imgsz == 672
    with pytest.raises(ValidationError, match="members"):
        CombinedModelConfig.model_validate(
            {"type": "combined", "members": [{"type": "pedestrian_adas"}, {"type": "combined", "members": []}]}
        )


def test_the_adas_path_comes_from_its_own_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTINEL_PEDESTRIAN_MODEL_PATH", "/models/adas")
    assert default_path("SENTINEL_PEDESTRIAN_MODEL_PATH", MODEL_DIR) == Path("/models/adas")
    monkeypatch.delenv("SENTINEL_PEDESTRIAN_MODEL_PATH")
    assert default_path("SENTINEL_PEDESTRIAN_MODEL_PATH", MODEL_DIR).parts[-2:] == MODEL_DIR.parts[-2:]


class Fixed:
    """A member returning the same boxes for every image."""

    def __init__(self, found: list[Detection], input_size: tuple[int, int]) -> None:
        self.found, self.path, self.input_size, self.input_side = found, Path("fixed"), input_size, input_size[1]
        self.calls: list[int] = []

    def detect(self, image: np.ndarray) -> list[Detection]:
        return self.detect_many([image])[0]

    def detect_many(self, images: Iterable[np.ndarray]) -> list[list[Detection]]:
        listed = list(images)
        self.calls.append(len(listed))
        return [list(self.found) for _ in listed]


def det(cls: ObjectClass, x: float, score: float) -> Detection:
    return Detection(cls=cls, box=Box(x1=x, y1=100, x2=x + 20, y2=160), confidence=score)


def test_combined_members_run_every_image_and_overlapping_boxes_of_a_class_merge() -> None:
    people = Fixed([det(ObjectClass.PERSON, 100, 0.3), det(ObjectClass.PERSON, 400, 0.2)], (384, 672))
    vehicles = Fixed([det(ObjectClass.PERSON, 101, 0.6), det(ObjectClass.CAR, 100, 0.5)], (480, 864))
    members = iter([people, vehicles])
    config = CombinedModelConfig.model_validate(
        {"type": "combined", "members": [{"type": "pedestrian_adas"}, {"type": "person_vehicle_bike"}]}
    )
    combined = CombinedDetector(config, lambda _: next(members))
    assert combined.input_size == (384, 672)  # the people model's: crops are planned for it
    image = np.zeros((720, 1280, 3), np.uint8)
    found = combined.detect_many([image, image, image])
    assert people.calls == vehicles.calls == [3]
    for one in found:
        # the two person boxes at x 100/101 are one person (the stronger kept); a car there is another object
        assert sorted((d.cls.value, d.box.x1, d.confidence) for d in one) == [
            ("car", 100, 0.5),
            ("person", 101, 0.6),
            ("person", 400, 0.2),
        ]


def test_later_members_can_stay_off_the_narrow_crops() -> None:
    people = Fixed([det(ObjectClass.PERSON, 10, 0.3)], (384, 672))
    vehicles = Fixed([det(ObjectClass.CAR, 100, 0.5)], (640, 640))
    members = iter([people, vehicles])
    config = CombinedModelConfig.model_validate(
        {"type": "combined", "members": [{"type": "pedestrian_adas"}, {"type": "openvino"}], "others_min_width": 640}
    )
    combined = CombinedDetector(config, lambda _: next(members))
    frame, crop = np.zeros((720, 1280, 3), np.uint8), np.zeros((192, 336, 3), np.uint8)
    found = combined.detect_many([frame, crop, crop])
    assert people.calls == [3] and vehicles.calls == [1]  # the vehicle model saw the frame only
    assert [[d.cls.value for d in one] for one in found] == [["car", "person"], ["person"], ["person"]]
    assert combined.detect_many([crop]) == [[det(ObjectClass.PERSON, 10, 0.3)]] and vehicles.calls == [1]

"""Per-camera detection settings: the config section, the people pass (crops and confirmation) and which
detector, tracker and pass a camera gets. Fake detectors only stand in for model loading."""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest

from detectors.config import ModelConfig, OpenVinoModelConfig, PersonVehicleBikeModelConfig, TrackerConfig
from detectors.geometry import Box
from detectors.types import Detection, ObjectClass, TrackedObject
from detectors.vision.confirmation import ConfirmConfig
from detectors.vision.crops import CropConfig
from detectors.vision.motion_candidates import CandidateConfig
from detectors.vision.people_pass import CameraDetectorConfig, PeoplePass, merge_looks
from streams.config import ConfigError, config_from_text
from streams.records import FrameHeader
from streams.stages.camera_detectors import CameraDetectors

FAR_FIELD = """
cameras:
  - id: street
  - id: carpark
    detector:
      model: {type: person_vehicle_bike, confidence: 0.1}
      tracker: {track_high_thresh: 0.1, track_low_thresh: 0.05, new_track_thresh: 0.1, fuse_score: false}
      crops: {max_crops: 2}
      confirm: {min_frames: 3}
  - id: carpark2
    detector:
      model: {type: person_vehicle_bike, confidence: 0.1}
  - id: yard
    detector:
      model: {imgsz: 1280}
"""


class FakeDetector:
    def __init__(self, config: ModelConfig) -> None:
        self.path = Path("fake")
        self.input_side = config.imgsz
        self.input_size = (480, 864) if isinstance(config, PersonVehicleBikeModelConfig) else (640, 640)
        self.config = config

    def detect(self, image: np.ndarray) -> list[Detection]:
        return []

    def detect_many(self, images: Iterable[np.ndarray]) -> list[list[Detection]]:
        return [[] for _ in images]


def test_a_camera_section_takes_a_backend_by_type_and_defaults_the_rest() -> None:
    config = config_from_text(FAR_FIELD, "site.yaml")
    carpark = config.camera("carpark")
    assert carpark is not None and carpark.detector is not None
    assert isinstance(carpark.detector.model, PersonVehicleBikeModelConfig)
    assert carpark.detector.crops == CropConfig(max_crops=2) and carpark.detector.has_pass
    yard = config.camera("yard")
    assert yard is not None and yard.detector is not None
    assert isinstance(yard.detector.model, OpenVinoModelConfig) and yard.detector.model.imgsz == 1280
    assert not yard.detector.has_pass
    street = config.camera("street")
    assert street is not None and street.detector is None


@pytest.mark.parametrize(
    ("section", "where"),
    [
        ("crops: {zoom: 9}", "cameras.0.detector.crops.zoom"),
        ("confirm: {min_frame: 3}", "cameras.0.detector.confirm.min_frame"),
        ("model: {type: yolo9000}", "cameras.0.detector.model"),
    ],
)
def test_a_bad_camera_section_is_an_error_naming_the_key(section: str, where: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_text(f"cameras:\n  - id: carpark\n    detector:\n      {section}\n", "site.yaml")
    assert "site.yaml" in str(err.value) and where in str(err.value)


def test_each_camera_gets_its_own_detector_tracker_and_pass_and_models_load_once() -> None:
    config = config_from_text(FAR_FIELD, "site.yaml")
    loaded: list[ModelConfig] = []

    def load(model: ModelConfig) -> FakeDetector:
        loaded.append(model)
        return FakeDetector(model)

    default = FakeDetector(config.detector.model)
    cameras = CameraDetectors(config, default, load)
    assert len(loaded) == 2  # carpark and carpark2 share one model, yard has its own
    assert cameras.detector("street") is default and cameras.detector("unlisted") is default
    assert cameras.detector("carpark") is cameras.detector("carpark2") is not default
    assert cameras.tracker("street") == config.detector.tracker
    assert cameras.tracker("carpark").new_track_thresh == 0.1 and not cameras.tracker("carpark").fuse_score
    assert cameras.tracker("carpark2") == config.detector.tracker
    assert cameras.people_pass("street") is None and cameras.people_pass("carpark2") is None
    people = cameras.people_pass("carpark")
    assert people is not None and people.input_size == (480, 864)


def _frame_with_person(x: int) -> np.ndarray:
    image = np.full((720, 1280, 3), 90, np.uint8)
    image[300:360, x : x + 20] = 230  # a 60 px bright figure
    return image


def _person(track_id: int, box: Box, confidence: float) -> TrackedObject:
    return TrackedObject(track_id=track_id, cls=ObjectClass.PERSON, box=box, confidence=confidence)


def test_crops_are_zoomed_windows_on_what_moved_and_on_live_tracks() -> None:
    people = PeoplePass(CameraDetectorConfig(crops=CropConfig(max_crops=3)), (480, 864))
    assert people.crops(_frame_with_person(400)) == []  # nothing to compare with yet, no tracks
    crops = people.crops(_frame_with_person(430))
    assert len(crops) == 1
    (x, y), window = crops[0]
    assert window.shape[:2] == (240, 432)  # half the model input: a 2x zoom
    assert x <= 400 and x + 432 >= 450 and y <= 300 and y + 240 >= 360
    people.confirm([_person(1, Box(x1=1000, y1=500, x2=1020, y2=560), 0.9)])
    crops = people.crops(_frame_with_person(430))  # nothing moved: the live track still gets a window
    assert len(crops) == 1 and crops[0][0][0] <= 1000 <= crops[0][0][0] + 432


def test_confirmation_holds_back_a_still_weak_candidate_and_checkpoints_leave_the_grey_frame_out() -> None:
    people = PeoplePass(CameraDetectorConfig(confirm=ConfirmConfig(min_frames=2)), (480, 864))
    post = Box(x1=100, y1=100, x2=120, y2=160)
    assert people.crops(_frame_with_person(0)) == []  # no crops configured
    assert people.confirm([_person(1, post, 0.15)]) == []
    assert people.confirm([_person(1, post, 0.15)]) == []
    strong = _person(2, Box(x1=500, y1=100, x2=520, y2=160), 0.6)
    people.confirm([strong])
    assert people.confirm([strong]) == [strong]
    cropping = PeoplePass(CameraDetectorConfig(crops=CropConfig()), (480, 864))
    cropping.crops(_frame_with_person(0))
    restored = pickle.loads(pickle.dumps(cropping))
    assert restored.crops(_frame_with_person(40)) == []  # no grey frame kept: no motion crops on the first look


def test_crops_merge_with_the_frame_one_box_per_person() -> None:
    box = Box(x1=100, y1=100, x2=120, y2=160)
    whole = [Detection(cls=ObjectClass.PERSON, box=box, confidence=0.3)]
    in_crop = [Detection(cls=ObjectClass.PERSON, box=Box(x1=50, y1=50, x2=70, y2=110), confidence=0.6)]
    assert merge_looks([(0, 0)], [whole], None) == whole
    merged = merge_looks([(0, 0), (50, 50)], [whole, in_crop], None)
    assert len(merged) == 1 and merged[0].confidence == 0.6 and merged[0].box == box


def test_tracker_section_is_the_site_tracker_type() -> None:
    assert CameraDetectorConfig(tracker={"lost_buffer_s": 5}).tracker == TrackerConfig(lost_buffer_s=5)  # type: ignore[arg-type]


def test_weak_boxes_count_where_the_crops_saw_motion_and_the_section_needs_crops() -> None:
    people = PeoplePass(CameraDetectorConfig(crops=CropConfig(), candidates=CandidateConfig()), (480, 864))
    walker = Detection(cls=ObjectClass.PERSON, box=Box(x1=425, y1=300, x2=450, y2=360), confidence=0.07)
    planter = Detection(cls=ObjectClass.PERSON, box=Box(x1=900, y1=300, x2=925, y2=360), confidence=0.07)
    people.crops(_frame_with_person(400))
    assert people.candidates([walker, planter]) == []  # first look: nothing to compare with, nothing moved
    people.crops(_frame_with_person(430))
    assert people.candidates([walker, planter]) == [walker]
    restored = pickle.loads(pickle.dumps(people))
    assert restored.candidates([walker]) == []  # no blobs kept over a checkpoint
    without = PeoplePass(CameraDetectorConfig(crops=CropConfig()), (480, 864))
    assert without.candidates([planter]) == [planter]  # no section: every box as the model gave it
    older = without.__getstate__()  # a checkpoint written before `candidates` existed
    del older["candidate_config"], older["_moving"]
    resumed = PeoplePass.__new__(PeoplePass)
    resumed.__setstate__(older)
    assert resumed.candidates([planter]) == [planter]
    with pytest.raises(ConfigError, match=r"cameras\.0\.detector.*candidates needs crops"):
        config_from_text("cameras:\n  - id: c\n    detector:\n      candidates: {}\n", "site.yaml")


@pytest.mark.parametrize(
    ("model", "warned"),
    [
        ("{type: pedestrian_adas, confidence: 0.05}", False),
        ("{type: pedestrian_adas, confidence: 0.1}", True),
        (None, True),  # the site's YOLO, from 0.25
        (
            "{type: combined, members: [{type: pedestrian_adas, confidence: 0.05}, "
            "{type: person_vehicle_bike, classes: [car]}]}",
            False,  # the car member's 0.4 does not count: it returns no people
        ),
    ],
)
def test_a_candidates_section_whose_model_never_returns_weak_people_is_warned_about(
    model: str | None, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    line = f"      model: {model}\n" if model else ""
    text = f"cameras:\n  - id: carpark\n    detector:\n{line}      crops: {{}}\n      candidates: {{}}\n"
    config = config_from_text(text, "site.yaml")
    with caplog.at_level("WARNING", logger="streams.stages.camera_detectors"):
        CameraDetectors(config, FakeDetector(config.detector.model), FakeDetector)
    assert ("never arrive" in caplog.text) is warned


DECODE_SCALES = """
cameras:
  - id: plain
  - id: tracker-only
    detector: {tracker: {track_high_thresh: 0.2}, motion: {enabled: false}}
  - id: crops
    detector: {crops: {}, confirm: {}}
  - id: confirm-only
    detector: {confirm: {}}
  - id: omz
    detector: {model: {type: person_vehicle_bike}}
  - id: small-model
    detector: {model: {imgsz: 320}}
"""


@pytest.mark.parametrize(
    ("camera", "width", "height", "sliced", "scale"),
    [
        ("plain", 1280, 720, False, 2),  # 640 px of the site's YOLO
        ("plain", 2560, 1440, False, 4),
        ("plain", 1280, 720, True, 1),  # tiles are cut from the frame's pixels
        ("plain", 1282, 720, False, 1),  # only exact divisions
        ("tracker-only", 1280, 720, False, 2),  # a section that changes no pixels costs no decode
        ("confirm-only", 1280, 720, False, 2),
        ("crops", 1280, 720, False, 1),  # zoomed crops need every pixel
        ("omz", 1280, 720, False, 1),  # its own model: full size, whatever its input
        ("omz", 2560, 1440, False, 1),
        ("small-model", 1280, 720, False, 1),
    ],
)
def test_each_camera_is_decoded_at_the_smallest_scale_its_looks_allow(
    camera: str, width: int, height: int, sliced: bool, scale: int
) -> None:
    config = config_from_text(DECODE_SCALES, "site.yaml")
    cameras = CameraDetectors(config, FakeDetector(config.detector.model), FakeDetector)
    header = FrameHeader(camera_id=camera, stream_id="s", seq=0, ts=0.0, width=width, height=height, fps=5.0)
    assert cameras.reduction(header, sliced) == scale


@pytest.mark.parametrize(
    ("section", "loitering", "warned"),
    [
        ("{crops: {}, candidates: {}}", "", True),  # the site's 0.45 against candidates from 0.1
        ("{crops: {}, candidates: {}}", "    loitering: {min_person_score: 0.1}\n", False),  # the far-field gate
        ("{crops: {}, confirm: {}}", "", False),  # no weak candidates: the site's gate is the camera's choice
    ],
)
def test_a_far_field_camera_whose_loitering_gate_would_ignore_its_people_is_warned_about(
    section: str, loitering: str, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    config = config_from_text(f"cameras:\n  - id: carpark\n{loitering}    detector: {section}\n", "site.yaml")
    with caplog.at_level("WARNING", logger="streams.stages.camera_detectors"):
        CameraDetectors(config, FakeDetector(config.detector.model), FakeDetector)
    assert ("will never be judged" in caplog.text) is warned

"""Motion masks (`cameras[].motion_mask`): changes inside them are not motion, for the gate and for the crops."""

from __future__ import annotations

import pickle
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest

from detectors.config import MotionConfig, TrackerConfig
from detectors.vision.backend import Detector
from detectors.vision.crops import CropConfig, moving_boxes
from detectors.vision.motion import MotionGate
from detectors.vision.motion_mask import unmasked
from detectors.vision.people_pass import CameraDetectorConfig, PeoplePass
from detectors.vision.tracking import CameraTracker
from streams.config import ConfigError, config_from_text
from streams.stages.detect import DetectStage, _CameraTrack

OSD = ((0.0, 0.0), (0.5, 0.0), (0.5, 0.2), (0.0, 0.2))  # a timestamp overlay across the top left


def frame(*, osd: int = 0, walker_x: int | None = None, width: int = 640, height: int = 360) -> np.ndarray:
    """A still grey scene; `osd` changes the overlay's pixels, `walker_x` puts a 20x60 px walker there."""
    image = np.full((height, width), 100, np.uint8)
    image[10:50, 20:300] = 40 + 60 * (osd % 2)  # the overlay's digits, as a block
    if walker_x is not None:
        image[200:260, walker_x : walker_x + 20] = 220
    return image


def test_changed_pixels_inside_the_mask_are_cleared_whatever_the_image_type() -> None:
    changed = np.ones((10, 20), bool)
    kept = unmasked(changed, (OSD,))
    assert not kept[:2, :10].any() and kept[3:, :].all() and kept[:, 11:].all()  # the edge row/column may go either way
    assert np.array_equal(unmasked(changed.astype(np.uint8), (OSD,)), kept.astype(np.uint8))
    assert unmasked(changed, ()) is changed


@pytest.mark.parametrize(
    ("mask", "second", "runs"),
    [
        ((), frame(osd=1), True),  # the ticking overlay wakes an unmasked gate
        ((OSD,), frame(osd=1), False),  # masked: the frame is still
        ((OSD,), frame(osd=1, walker_x=400), True),  # and a walker elsewhere still counts
    ],
)
def test_the_gate_ignores_changes_inside_its_mask(mask: tuple, second: np.ndarray, runs: bool) -> None:
    gate = MotionGate(MotionConfig(max_interval_s=60.0), mask)
    assert gate.decide(frame(), 0.0).run  # the first frame is always looked at
    gate.looked_at_whole(0.0)
    decision = gate.decide(second, 0.2)
    assert decision.run is runs and decision.moved is runs


def test_crops_are_not_planned_on_changes_inside_the_mask() -> None:
    before, after = frame(walker_x=400), frame(osd=1, walker_x=420)
    both = moving_boxes(before, after, 640, CropConfig())
    masked = moving_boxes(before, after, 640, CropConfig(), (OSD,))
    assert len(both) == 2 and len(masked) == 1
    assert masked[0].x1 >= 390  # the walker's blob only


def test_a_far_field_pass_takes_the_cameras_mask_and_old_checkpoints_restore_without_one() -> None:
    people = PeoplePass(CameraDetectorConfig(crops=CropConfig()), (384, 672), (OSD,))
    people.crops(np.dstack([frame()] * 3))
    people.crops(np.dstack([frame(osd=1)] * 3))
    assert people._moving == []  # only the overlay changed
    state = people.__getstate__()
    del state["motion_mask"]  # as saved before the mask existed
    restored = PeoplePass.__new__(PeoplePass)
    restored.__setstate__(state)
    assert restored.motion_mask == ()
    gate = pickle.loads(pickle.dumps(MotionGate(MotionConfig(), (OSD,))))
    assert gate.mask == (OSD,)
    del gate.__dict__["mask"]
    gate.__setstate__(dict(gate.__dict__))
    assert gate.mask == ()


def test_a_mask_outside_the_frame_is_a_start_up_error() -> None:
    with pytest.raises(ConfigError, match="cameras.0.motion_mask: Value error, point"):
        config_from_text("cameras:\n  - id: west\n    motion_mask: [[[0, 0], [1.5, 0], [1, 1]]]\n", "site.yaml")
    config = config_from_text("cameras:\n  - id: west\n    motion_mask: [[[0, 0], [0.5, 0], [0.5, 0.2]]]\n", "s.yaml")
    assert config.cameras[0].motion_mask == (((0.0, 0.0), (0.5, 0.0), (0.5, 0.2)),)


def test_a_restored_camera_takes_the_mask_configured_now_not_the_checkpoints() -> None:
    """A checkpoint saved before the mask was set (or with another one) must not keep the camera unmasked until
    its stream restarts: the stage gives the restored gate and people pass the configured mask."""
    config = config_from_text(
        "cameras:\n  - id: west\n    motion_mask: [[[0, 0], [0.5, 0], [0.5, 0.2], [0, 0.2]]]\n"
        "    detector: {motion: {enabled: true}, crops: {}}\n",
        "site.yaml",
    )
    stage = DetectStage(config, cast(Detector, SimpleNamespace(input_side=640, path=Path("m"))), store=None)
    try:
        saved = _CameraTrack(
            "s-1",
            CameraTracker(TrackerConfig(), 5.0),
            MotionGate(MotionConfig()),
            people=PeoplePass(CameraDetectorConfig(crops=CropConfig()), (384, 672)),
        )
        stage.restore_state("west", pickle.loads(pickle.dumps(saved)))
        restored = stage.export_state("west")
        assert isinstance(restored, _CameraTrack) and restored.gate is not None and restored.people is not None
        assert restored.gate.mask == config.cameras[0].motion_mask == restored.people.motion_mask
    finally:
        stage.close()

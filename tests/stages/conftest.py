"""Fixtures the stage tests share: the synthetic person-at-a-car clip, built once for the session."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.config import OpenVinoModelConfig
from detectors.vision.model import load_detector
from streams.evaluation.composite import compose_person_at_car

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
MODEL = SHARED / "models" / "yolo11n_int8_openvino_model"


@pytest.fixture(scope="session")
def person_at_car(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 s of a real person held beside a real parked car (labelled synthetic: streams/evaluation/composite.py)."""
    return compose_person_at_car(
        tmp_path_factory.mktemp("clip") / "person-at-car.mp4",
        load_detector(OpenVinoModelConfig(path=MODEL)),
        SHARED / "clips" / "street_people_1080p.mp4",
        SHARED / "clips" / "residential_street_parked_cars.mp4",
        seconds=12,
        fps=10,
    ).path

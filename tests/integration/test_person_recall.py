"""Person recall of the real model on the hand-labelled frames of the shared clips, whole-frame and sliced.

The floors sit below what bench/person_recall.py measured (whole frame 0.73-0.74, 2x2 slicing 0.86, precision
0.92-0.95), so a change that loses people, or invents them, fails here; the bench prints the figures.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from detectors.config import OpenVinoModelConfig
from detectors.model import load_detector
from detectors.person_recall import Score, load_labels, score_frame
from detectors.slicing import SlicingConfig, merge_parts, parts
from tests.integration.conftest import CLIPS, MODEL

LABELS = Path(__file__).resolve().parents[1] / "data" / "person_labels.json"


@pytest.fixture(scope="module")
def scores(shared_data: Path) -> dict[str, dict[str, Score]]:
    detector = load_detector(OpenVinoModelConfig(path=MODEL))
    out: dict[str, dict[str, Score]] = {"whole": {}, "sliced": {}}
    for labels in load_labels(LABELS).frames:
        capture = cv2.VideoCapture(str(CLIPS / labels.clip))
        capture.set(cv2.CAP_PROP_POS_FRAMES, labels.frame)
        ok, image = capture.read()
        capture.release()
        assert ok, f"labelled frame {labels.frame} of {labels.clip} not readable"
        for name, slicing in (("whole", None), ("sliced", SlicingConfig(rows=2, cols=2))):
            cut = parts(image, slicing)
            found = merge_parts([o for o, _ in cut], detector.detect_many(p for _, p in cut), slicing)
            out[name][labels.clip] = out[name].get(labels.clip, Score()) + score_frame(found, labels)
    return out


def total(by_clip: dict[str, Score]) -> Score:
    return sum(by_clip.values(), Score())


def test_whole_frame_finds_most_people_and_invents_few(scores: dict[str, dict[str, Score]]) -> None:
    whole = total(scores["whole"])
    assert whole.recall is not None and whole.recall >= 0.6, whole
    assert whole.precision is not None and whole.precision >= 0.85, whole
    assert scores["whole"]["street_people_1080p.mp4"].recall >= 0.85  # type: ignore[operator]


def test_slicing_finds_people_the_whole_frame_misses(scores: dict[str, dict[str, Score]]) -> None:
    whole, sliced = total(scores["whole"]), total(scores["sliced"])
    assert sliced.found > whole.found, (whole, sliced)
    assert sliced.small_found > whole.small_found, (whole, sliced)
    assert sliced.recall is not None and sliced.recall >= 0.75, sliced
    assert sliced.precision is not None and sliced.precision >= 0.85, sliced


def test_no_person_on_the_parked_cars_clip(scores: dict[str, dict[str, Score]]) -> None:
    for name in ("whole", "sliced"):
        assert scores[name]["residential_street_parked_cars.mp4"].false_people == 0, name

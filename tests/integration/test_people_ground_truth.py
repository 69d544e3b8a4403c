"""Far-field people on real footage with the dataset's own ground truth (VIRAT 0100 clip, people 41-90 px),
through the live detect stage configured as a camera would be.

Floors sit under what `sentinel eval-tracks` measured (docs/people-detection.md, run 6): the recommended
far-field camera (people from OMZ pedestrian-detection-adas-0002 on the frame and three 2x crops around motion
and live tracks, candidates from 0.1, or from 0.05 where a moving blob covers a third of the box, confirmed;
cars from the person-vehicle-bike model on the frame; no motion gate) tracked 0.29 of the people per frame at
precision 0.85, covered three walkers for 73 %, 66 % and 62 % of their time, with no ID switch (IDF1 0.37);
the default YOLO11n whole frame found none. A change that
loses these people, invents them, breaks their tracks, or stops the detect stage running the camera's section
(and its combined model's cars), fails.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from detectors.config import LoiterConfig
from detectors.vision.ground_truth import MIN_IOU
from detectors.vision.model import load_detector
from detectors.vision.object_filters import ObjectFilter
from streams.cli.eval_tracks import CLIP, OBJECTS, builtin_methods
from streams.evaluation.ground_truth_eval import Clip, MethodResult, load_clip, rescore, run_method
from tests.integration.conftest import SHARED

ROOT = Path(__file__).resolve().parents[2]
# What a site would mask on this camera (docs/detection.md, "Object filters"): where the far-field camera's low
# thresholds confirm fixtures as people. Foot points, fractions of the frame.
FIXTURES = (
    ObjectFilter(
        mask=(
            ((0.05, 0.55), (0.11, 0.55), (0.11, 0.65), (0.05, 0.65)),  # the lamp post on the stairs
            ((0.12, 0.41), (0.20, 0.41), (0.20, 0.48), (0.12, 0.48)),  # the planted bed under the walkway
            ((0.70, 0.95), (0.90, 0.95), (0.90, 1.00), (0.70, 1.00)),  # the umbrella table at the bottom edge
        )
    ),
)


@pytest.fixture(scope="module")
def clip(shared_data: Path) -> Clip:
    return load_clip(ROOT / CLIP, ROOT / OBJECTS)


@pytest.fixture(scope="module")
def results(clip: Clip) -> dict[str, MethodResult]:
    models = SHARED / "models"
    methods = builtin_methods(
        models / "person-vehicle-bike-detection-2003" / "FP16-INT8",
        models / "pedestrian-detection-adas-0002" / "FP16-INT8",
    )
    recommended = methods[-1]
    masked = replace(recommended, camera=recommended.camera.model_copy(update={"filters": FIXTURES}))
    chosen = {"yolo": methods[0], "recommended": recommended, "masked": masked}
    return {name: run_method(load_detector(m.model), m, clip) for name, m in chosen.items()}


def test_the_clip_and_its_ground_truth_are_what_the_figures_are_about(clip: Clip) -> None:
    assert 95 <= len(clip.frames) <= 105 and 4.5 <= clip.fps <= 5.0
    people = sum(len(p) for p in clip.truth.values())
    assert 400 <= people <= 480, people


def test_recommended_way_tracks_far_field_people_the_default_misses(results: dict[str, MethodResult]) -> None:
    yolo, best = results["yolo"].tracks.bins["40-90 px"], results["recommended"].tracks.bins["40-90 px"]
    assert yolo.recall is not None and yolo.recall < 0.1, yolo
    assert best.recall is not None and best.recall >= 0.26, best  # 0.25 before the motion-agreeing candidates
    assert best.precision is not None and best.precision >= 0.8, best


def test_recommended_way_covers_walkers_with_few_switches(results: dict[str, MethodResult]) -> None:
    score = results["recommended"].track_score
    walkers = score.walkers()
    assert len(walkers) == 7
    assert sum(p.coverage >= 0.55 for p in walkers) >= 3, walkers  # 0.51 for the third before run 6
    assert sum(p.coverage >= 0.35 for p in walkers) >= 4, walkers  # 0.22 for the fourth before run 6
    assert sum(p.switches for p in walkers) <= 2, walkers  # measured none; the pvb camera had 6
    assert score.idf1 >= 0.33, score.idf1  # 0.37 measured
    assert results["yolo"].track_score.idf1 < 0.1


def test_matched_more_loosely_the_same_run_covers_most_walkers(results: dict[str, MethodResult], clip: Clip) -> None:
    """At IoU 0.3 the boxes the dataset drew elsewhere than the model (interpolated, drawn to the ground behind
    furniture) count: measured 0.36 at precision 0.94 and walkers 0, 1, 2 covered 84 %, 77 %, 95 %. Also bounds
    the false person boxes of every size (114 measured at IoU 0.5: a lamp post, an umbrella and bushes the low
    thresholds confirm, outside the 40-90 px band the precision target is about)."""
    best = results["recommended"]
    assert best.tracks.total.false <= 130, best.tracks.total
    loose = rescore(best, clip, 0.3)
    band = loose.tracks.bins["40-90 px"]
    assert band.recall is not None and band.recall >= 0.33, band
    assert band.precision is not None and band.precision >= 0.9, band
    assert sum(p.coverage >= 0.7 for p in loose.track_score.walkers()) >= 3, loose.track_score.walkers()


def test_masking_the_fixtures_drops_their_false_people_and_keeps_the_true_ones(
    results: dict[str, MethodResult],
) -> None:
    """Measured: false person boxes of every size 114 -> 64, the same 127 people found; some of the 64 are person 6
    still standing behind the planter after the dataset stops boxing them (frame 321), whom the crops the
    fixtures no longer take now find."""
    best, masked = results["recommended"], results["masked"]
    assert masked.tracks.total.false <= best.tracks.total.false - 30, (masked.tracks.total, best.tracks.total)
    assert masked.tracks.total.found >= best.tracks.total.found - 3, (masked.tracks.total, best.tracks.total)


def test_the_loitering_rule_judges_the_far_field_people_the_camera_tracks(
    results: dict[str, MethodResult], clip: Clip
) -> None:
    """The rule judges a person track by the median of its last scores. At the site's 0.45 (a median of YOLO11n
    scores on people it sees whole) it would judge 50 of the 127 people-in-frames the far-field camera tracks,
    never walkers 5 and 8; the far-field camera's own gate (0.1, the score from which its candidates count
    anywhere) judges 120 of them."""
    best = results["recommended"]
    band = best.trusted.bins["40-90 px"]
    assert band.recall is not None and band.recall >= 0.24, band
    assert band.precision is not None and band.precision >= 0.7, band
    site_gate = rescore(best, clip, MIN_IOU, LoiterConfig()).trusted.bins["40-90 px"]
    assert site_gate.recall is not None and site_gate.recall < 0.15, site_gate

"""One eval-tracks run scored again at another IoU: the same looks, only the matching changes."""

from __future__ import annotations

import pytest

from detectors.config import LoiterConfig
from detectors.geometry import Box
from detectors.vision.ground_truth import MIN_IOU, FrameCounts, score_tracks
from streams.evaluation.ground_truth_eval import Clip, Look, Method, MethodResult, report, rescore

FRAMES = 10


def walker(frame: int, lag: float = 0.0) -> Box:
    """A 20x60 px walker moving 10 px a look; `lag` px behind them is where a dataset's interpolated box sits."""
    return Box(x1=10 * frame - lag, y1=0, x2=10 * frame + 20 - lag, y2=60)


@pytest.fixture
def clip() -> Clip:
    return Clip(frames=[], truth={f: {7: walker(f, lag=8.0)} for f in range(FRAMES)}, fps=5.0)


def result_of(looks: list[Look]) -> MethodResult:
    """A run as `run_method` leaves it: scored at the default IoU, its looks kept."""
    empty = score_tracks({}, {}, 5.0)
    return MethodResult(Method("constructed"), FrameCounts(), FrameCounts(), empty, 1.0, 10.0, 5.0, tuple(looks))


@pytest.mark.parametrize(
    ("min_iou", "found", "covered"),
    [
        (MIN_IOU, 0, 0),  # 20 px wide, 8 px apart: IoU 12/28 = 0.43
        (0.4, FRAMES, FRAMES),
        (0.3, FRAMES, FRAMES),
    ],
)
def test_a_box_on_the_walker_but_off_the_dataset_box_counts_from_the_iou_asked(
    clip: Clip, min_iou: float, found: int, covered: int
) -> None:
    looks = [Look(f, ((walker(f), 0.9),), {1: walker(f)}) for f in range(FRAMES)]
    scored = rescore(result_of(looks), clip, min_iou)
    assert scored.min_iou == min_iou and scored.looks == tuple(looks)
    assert scored.tracks.total.found == found and scored.detections.total.found == found
    assert scored.tracks.total.false == FRAMES - found  # what does not match is a false box, as before
    (person,) = scored.track_score.people
    assert person.covered == covered and person.switches == 0
    assert (scored.runs_per_frame, scored.wall_ms, scored.cpu_ms) == (1.0, 10.0, 5.0)  # the run's cost is kept


def test_the_report_says_which_iou_and_counts_false_boxes_of_every_size(clip: Clip) -> None:
    lamp_post = Box(x1=500, y1=0, x2=540, y2=120)  # a 120 px "person" where the scene has none that tall
    looks = [Look(f, ((walker(f), 0.9),), {1: walker(f), 2: lamp_post}) for f in range(FRAMES)]
    text = report([rescore(result_of(looks), clip, 0.3)])
    assert text.startswith("Boxes match a true person at IoU >= 0.3:")
    row = next(line for line in text.splitlines() if line.startswith("| constructed"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == f"1.00 ({FRAMES}/{FRAMES})" and cells[2] == str(FRAMES)  # the lamp post in every look
    assert cells[4] == "1.00 (0 false)"  # in the 40-90 px band precision it does not show


@pytest.mark.parametrize(
    ("walker_score", "gate", "judged"),
    [
        (0.2, None, 0),  # the site's 0.45 (YOLO11n's scale): a far walker the detector tracks, the rule ignores
        (0.2, 0.1, FRAMES),  # a far-field camera's gate
        (0.6, None, FRAMES),
    ],
)
def test_the_report_shows_the_people_the_loitering_rule_judges(
    clip: Clip, walker_score: float, gate: float | None, judged: int
) -> None:
    """The rule judges a track by the median of its last scores (`trusted_person`); rescored with another
    loitering config, the same looks are judged by its gate."""
    looks = [Look(f, ((walker(f), 0.9),), {1: walker(f)}, {1: walker_score}) for f in range(FRAMES)]
    loitering = None if gate is None else LoiterConfig(min_person_score=gate)
    scored = rescore(result_of(looks), clip, 0.3, loitering)
    assert scored.tracks.total.found == FRAMES and scored.trusted.total.found == judged
    row = next(line for line in report([scored]).splitlines() if line.startswith("| constructed"))
    cell = [c.strip() for c in row.strip("|").split("|")][6]  # "trusted by the loitering rule"
    precision = "1.00" if judged else "-"
    assert cell == f"{judged / FRAMES:.2f} / {precision} ({0.45 if gate is None else gate:g})"

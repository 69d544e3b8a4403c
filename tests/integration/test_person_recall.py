"""Person recall of the real model on the hand-labelled frames of the shared clips, whole-frame and sliced.

The floors sit below what bench/person_recall.py measured (whole frame 0.73-0.74, 2x2 slicing 0.86, precision
0.92-0.95), so a change that loses people, or invents them, fails here; the bench prints the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from detectors.config import OpenVinoModelConfig
from detectors.vision.model import load_detector
from detectors.vision.person_recall import Score, load_labels
from detectors.vision.slicing import SlicingConfig
from streams.cli.main import main
from streams.evaluation.people_eval import Variant, read_frames, run_variant
from tests.integration.conftest import CLIPS, MODEL

LABELS = Path(__file__).resolve().parents[1] / "data" / "person_labels.json"


@pytest.fixture(scope="module")
def scores(shared_data: Path) -> dict[str, dict[str, Score]]:
    detector = load_detector(OpenVinoModelConfig(path=MODEL))
    frames = list(load_labels(LABELS).frames)
    images = read_frames(CLIPS, frames)
    return {
        name: run_variant(detector, Variant(name, None, slicing), images, frames).by_clip
        for name, slicing in (("whole", None), ("sliced", SlicingConfig(rows=2, cols=2)))
    }


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


def test_eval_people_command_prints_the_comparison_for_a_camera(tmp_path: Path, shared_data: Path) -> None:
    """What a site runs on its own labelled frames: the camera's width and slicing from its config."""
    config = tmp_path / "site.yaml"
    config.write_text(
        f"detector: {{model: {{path: {MODEL}}}}}\n"
        "cameras: [{id: plaza, max_width: null, slicing: {rows: 3, cols: 3}}]\n"
    )
    result = CliRunner().invoke(
        main,
        ["eval-people", "--labels", str(LABELS), "--clips", str(CLIPS), "--config", str(config), "--camera", "plaza"],
    )
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| whole") or line.startswith("| 3x3")]
    assert [row.split(" | ")[0] for row in rows] == ["| whole frame, native size", "| 3x3 tiles + frame, native size"]
    people = sum(len(f.people) for f in load_labels(LABELS).frames)
    assert all(f"/{people})" in row for row in rows), rows


@pytest.mark.parametrize(
    ("clip", "frame", "message"),
    [
        ("missing.mp4", 3, "missing.mp4' does not exist"),
        ("residential_street_parked_cars.mp4", 99_999, "cannot read frame 99999 of"),  # past the clip's end
    ],
)
def test_eval_people_names_a_frame_it_cannot_read(
    tmp_path: Path, shared_data: Path, clip: str, frame: int, message: str
) -> None:
    labels = tmp_path / "labels.json"
    labels.write_text(
        f'{{"about": "a frame that is not there", "frames": [{{"clip": "{clip}", "frame": {frame}, "people": []}}]}}'
    )
    result = CliRunner().invoke(main, ["eval-people", "--labels", str(labels), "--clips", str(CLIPS)])
    assert result.exit_code == 1
    assert message in result.output, result.output

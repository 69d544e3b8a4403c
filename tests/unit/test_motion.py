"""Motion gate: still scenes skip the model, movement (even a small distant walker) and the interval do not."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.config import MotionConfig
from detectors.vision.motion import MotionGate

RNG = np.random.default_rng(7)
# A textured 1280x720 background (smoothed noise), like asphalt and parked cars, not a flat test card.
BACKGROUND = np.repeat(np.repeat(RNG.integers(40, 200, (90, 160, 3), dtype=np.uint8), 8, axis=0), 8, axis=1)


def with_walker(x: int, y: int = 400, size: tuple[int, int] = (12, 30)) -> np.ndarray:
    frame = BACKGROUND.copy()
    frame[y : y + size[1], x : x + size[0]] = (20, 20, 30)
    return frame


def noisy(sigma: float) -> np.ndarray:
    return np.clip(BACKGROUND + RNG.normal(0, sigma, BACKGROUND.shape), 0, 255).astype(np.uint8)


def run(frames: list[np.ndarray], fps: float = 5.0, **config: float) -> list[bool]:
    gate = MotionGate(MotionConfig(**config))
    return [gate.needs_model(frame, i / fps) for i, frame in enumerate(frames)]


def test_still_scene_runs_the_model_only_at_the_interval() -> None:
    decisions = run([BACKGROUND] * 16, max_interval_s=1.0)
    assert [i for i, d in enumerate(decisions) if d] == [0, 5, 10, 15], "first frame, then once a second"


def test_a_longer_interval_for_one_frame_replaces_the_configured_one() -> None:
    gate = MotionGate(MotionConfig(max_interval_s=1.0))
    runs = []
    for i in range(16):
        decision = gate.decide(BACKGROUND, i / 5, max_interval_s=3.0)  # the adaptive rate's idle state
        if decision.run:
            gate.looked_at_whole(i / 5)
            runs.append(i)
    assert runs == [0, 15], "first frame, then once in 3 s"
    assert gate.decide(with_walker(600), 3.2, max_interval_s=3.0).run, "motion still wakes the model at once"


@pytest.mark.parametrize(
    ("label", "frames", "expected_any_motion"),
    [
        ("sensor noise", [noisy(3.0) for _ in range(4)], False),
        ("small walker moving 6 px a frame", [with_walker(600 + 6 * i) for i in range(4)], True),
        ("walker appears", [BACKGROUND, with_walker(600), with_walker(600), with_walker(600)], True),
    ],
)
def test_motion_between_interval_runs(label: str, frames: list[np.ndarray], expected_any_motion: bool) -> None:
    decisions = run(frames, max_interval_s=60.0)
    assert decisions[0], "the first frame always runs the model"
    assert any(decisions[1:]) is expected_any_motion, label


def test_slow_drift_adds_up_against_the_last_detected_frame() -> None:
    frames = [with_walker(600 + i) for i in range(0, 40, 1)]  # 1 px a frame: never much between neighbours
    assert any(run(frames, max_interval_s=60.0)[1:]), "compared with the last run, not the previous frame"


def test_a_walker_that_stops_stops_the_model() -> None:
    frames = [with_walker(600 + 6 * i) for i in range(5)] + [with_walker(624)] * 4
    decisions = run(frames, max_interval_s=60.0)
    assert decisions[4] and not any(decisions[6:]), decisions


def test_decide_says_where_it_moved_in_image_pixels() -> None:
    assert MotionGate(MotionConfig()).decide(with_walker(600), 0.0).region is None
    gate = MotionGate(MotionConfig(max_interval_s=60.0, mosaic=True))
    first = gate.decide(with_walker(600), 0.0)
    assert first.run and first.region is None, "the first frame is looked at whole"
    gate.looked_at_whole(0.0)
    moved = gate.decide(with_walker(640), 0.2)
    assert moved.run and moved.region is not None
    x1, y1, x2, y2 = moved.region
    assert x1 <= 600 and x2 >= 652 and y1 <= 400 and y2 >= 430, "both where the walker was and is now"
    assert x2 - x1 < 120 and y2 - y1 < 80, f"only around the walker: {moved.region}"
    assert not gate.decide(with_walker(640), 0.4).run, "compared with the frame the model last saw"


def test_looks_at_moving_parts_do_not_restart_the_interval_for_the_whole_frame() -> None:
    gate = MotionGate(MotionConfig(max_interval_s=1.0, mosaic=True))
    assert gate.decide(with_walker(600), 0.0).region is None
    gate.looked_at_whole(0.0)
    parts = [gate.decide(with_walker(600 + 6 * i), i / 5) for i in range(1, 6)]
    assert all(d.run for d in parts)
    assert [d.region is None for d in parts] == [False, False, False, False, True], "a whole look once a second"


def test_without_mosaics_motion_runs_the_whole_frame() -> None:
    gate = MotionGate(MotionConfig(max_interval_s=60.0))
    gate.decide(with_walker(600), 0.0)
    gate.looked_at_whole(0.0)
    moved = gate.decide(with_walker(640), 0.2)
    assert moved.run and moved.region is None

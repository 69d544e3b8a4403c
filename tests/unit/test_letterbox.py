"""The in-place letterbox (into an infer request's tensor) must give the pixels the allocating one gives."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.vision.yolo_openvino import fit_of, letterbox, letterbox_into

SIZE = (640, 640)


@pytest.mark.parametrize("shape", [(1080, 1920), (360, 640), (640, 640), (1080, 1080), (1280, 720), (101, 333)])
def test_letterbox_into_a_reused_canvas_matches_letterbox(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(7)
    canvas = np.full((*SIZE, 3), 255, dtype=np.uint8)  # stale content of another geometry
    letterbox_into(rng.integers(0, 255, (300, 900, 3), dtype=np.uint8), canvas, fit_of(300, 900, SIZE), pad=True)
    image = rng.integers(0, 255, (*shape, 3), dtype=np.uint8)
    fit = fit_of(*shape, SIZE)
    letterbox_into(image, canvas, fit, pad=True)
    expected, expected_fit = letterbox(image, SIZE)
    assert fit == expected_fit
    assert np.array_equal(canvas, expected)

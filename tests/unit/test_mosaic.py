"""Mosaics of moving parts: windows, packing onto the stride grid, mapping boxes back, carrying the still rest."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.geometry import Box
from detectors.types import Detection, ObjectClass
from detectors.vision.mosaic import (
    GUTTER,
    STRIDE,
    crop_window,
    fit_window,
    pack,
    unpack,
    window_side,
    with_carried,
)

INPUT = 640
FRAME = (640, 360)  # a 1280x720 camera decoded at half size


def found(x1: float, y1: float, x2: float, y2: float, cls: ObjectClass = ObjectClass.PERSON) -> Detection:
    return Detection(cls=cls, box=Box(x1=x1, y1=y1, x2=x2, y2=y2), confidence=0.8)


def image() -> np.ndarray:
    return np.zeros((FRAME[1], FRAME[0], 3), np.uint8)


def test_window_side_fills_a_quarter_at_whole_frame_scale() -> None:
    assert window_side(640, 360, INPUT) == INPUT // 2 - GUTTER - STRIDE  # decoded to the input's size: 1:1
    assert window_side(1280, 720, INPUT) == 2 * (INPUT // 2 - GUTTER - STRIDE)  # full size: twice the pixels


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ((300, 150, 340, 200), (180, 35, 460, 315)),  # centred on the region
        ((0, 0, 20, 20), (0, 0, 280, 280)),  # pushed inside at the top-left corner
        ((620, 340, 640, 360), (360, 80, 640, 360)),  # and at the bottom-right
        ((100, 100, 400, 120), None),  # wider than a window
    ],
)
def test_crop_window(region: tuple[int, int, int, int], expected: tuple[int, int, int, int] | None) -> None:
    assert crop_window(region, *FRAME, 280) == expected


def test_fit_window_takes_in_a_known_object_it_would_cut_or_gives_up() -> None:
    car = Box(x1=150, y1=100, x2=260, y2=160)  # straddles the left edge of the window around the walker
    window = fit_window((300, 150, 340, 200), [car], *FRAME, 280)
    assert window is not None and window[0] <= 150 and window[2] >= 340
    assert fit_window((300, 150, 340, 200), [Box(x1=0, y1=100, x2=200, y2=160)], *FRAME, 280) is None
    assert fit_window((300, 150, 340, 200), [Box(x1=0, y1=0, x2=50, y2=50)], *FRAME, 280) == (180, 35, 460, 315)


def test_pack_places_each_crop_in_its_quarter_on_the_whole_frame_stride_grid() -> None:
    frames = [image() for _ in range(4)]
    for index, frame in enumerate(frames):
        frame[:, :] = 10 * (index + 1)
    windows = [(0, 0, 280, 280), (180, 35, 460, 315), (360, 80, 640, 360), (100, 50, 380, 330)]
    canvas, placements = pack(list(zip(frames, windows, strict=True)), INPUT)
    assert canvas.shape == (INPUT, INPUT, 3)
    pad_y = (INPUT - FRAME[1]) // 2  # a whole-frame run letterboxes 640x360 into the middle of 640x640
    for index, placed in enumerate(placements):
        ox, oy = placed.origin
        assert (index % 2) * 320 <= ox and ox + placed.size[0] <= (index % 2) * 320 + 320
        assert (index // 2) * 320 <= oy and oy + placed.size[1] <= (index // 2) * 320 + 320
        assert (ox - windows[index][0]) % STRIDE == 0 and (oy - pad_y - windows[index][1]) % STRIDE == 0
        assert (canvas[oy : oy + placed.size[1], ox : ox + placed.size[0]] == 10 * (index + 1)).all()
    with pytest.raises(ValueError, match="1 to 4"):
        pack([(image(), windows[0])] * 5, INPUT)


def test_unpack_maps_boxes_back_to_their_frame_and_drops_the_gutter() -> None:
    windows = [(0, 0, 280, 280), (360, 80, 640, 360)]
    _, placements = pack([(image(), w) for w in windows], INPUT)
    (ax, ay), (bx, by) = placements[0].origin, placements[1].origin
    detections = [
        found(ax + 10, ay + 20, ax + 30, ay + 60),  # in the first frame's crop
        found(bx + 5, by + 5, bx + 25, by + 45),  # in the second's
        found(bx - 20, by + 5, bx + 10, by + 45),  # centred left of the second crop: the grey between tiles
        found(ax + 260, ay + 10, ax + 290, ay + 50),  # centred in the first crop, running past its edge: clipped
    ]
    first, second = unpack(detections, placements)
    assert [d.box.as_list() for d in first] == [[10, 20, 30, 60], [260, 10, 280, 50]]
    assert [d.box.as_list() for d in second] == [[365, 85, 385, 125]]


def test_with_carried_keeps_the_still_rest_and_replaces_the_window() -> None:
    parked = found(400, 100, 600, 200, ObjectClass.CAR)  # clear of the window
    walker_before = found(100, 100, 120, 150)  # inside the window: the fresh look replaces it
    walker_now = found(110, 100, 130, 150)
    assert with_carried([parked, walker_before], (0, 0, 280, 280), [walker_now]) == [walker_now, parked]

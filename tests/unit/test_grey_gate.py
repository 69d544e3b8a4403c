"""The motion gate fed grey decodes (libjpeg's scaled luma) decides as when fed the colour frames it used to
get, on real clips, still and moving, and when the two ways alternate (the reference from one, the frame from
the other)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from detectors.config import MotionConfig
from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject
from detectors.vision.detection_rate import DECISION_LAG_S, DetectionRate, DetectionRateConfig
from detectors.vision.motion import GateDecision, MotionGate
from streams.config import DetectorConfig
from streams.ingest import encode_jpeg, file_frames
from streams.records import FrameHeader
from streams.stages.decoding import decode_jpeg, grey_reduction, jpeg_reduction
from streams.stages.frame_decoder import grey_scale

CLIPS = Path(__file__).resolve().parents[2].parent / "shared" / "clips"
FPS = 5.0


def _jpegs(clip: str, seconds: float, hold: bool = False) -> list[tuple[bytes, int, int]]:
    """Frames as a camera sends them (JPEG 85, at most 1280 wide); `hold`: the first frame over and over."""
    frames = [
        f.image for f, _ in zip(file_frames(str(CLIPS / clip), FPS, 0.0), range(int(seconds * FPS)), strict=False)
    ]
    if hold:
        frames = [frames[0]] * len(frames)
    return [encode_jpeg(image, 85, 1280) for image in frames]


def _decisions(jpegs: list[tuple[bytes, int, int]], way: str, mosaic: bool = False) -> list[GateDecision]:
    """The gate's decisions with every frame decoded in colour (as before), in grey, or either way as the detect
    stage chooses (grey while the gate found the camera still a moment ago)."""
    gate = MotionGate(MotionConfig(mosaic=mosaic, max_interval_s=2.0))
    out = []
    for index, (jpeg, width, height) in enumerate(jpegs):
        ts = index / FPS
        reduction = jpeg_reduction(DetectorConfig(), width, height)
        grey = way == "grey" or (way == "as the stage chooses" and not gate.expects_motion(ts, DECISION_LAG_S))
        if grey:
            image = decode_jpeg(jpeg, grey_reduction(width, gate.config.width), grey=True)
            assert image is not None and image.ndim == 2 and image.shape[1] >= gate.config.width
            decision = gate.decide(image, ts, size=(width // reduction, height // reduction))
        else:
            image = decode_jpeg(jpeg, reduction)
            assert image is not None and image.ndim == 3
            decision = gate.decide(image, ts)
        if decision.run and decision.region is None:
            gate.looked_at_whole(ts)
        out.append(decision)
    return out


@pytest.mark.parametrize("way", ["grey", "as the stage chooses"])
@pytest.mark.parametrize(
    ("clip", "hold"),
    [
        ("residential_street_parked_cars.mp4", True),  # the camera-capacity bench's static scene (640x352)
        ("residential_street_parked_cars.mp4", False),
        ("street_people_1080p.mp4", False),  # people walking (1280x720 as sent)
    ],
    ids=["held frame", "parked cars", "street"],
)
def test_grey_decodes_give_the_decisions_colour_frames_gave(clip: str, hold: bool, way: str) -> None:
    jpegs = _jpegs(clip, 8.0, hold)
    colour = _decisions(jpegs, "colour")
    assert _decisions(jpegs, way) == colour
    if hold:
        assert [i for i, d in enumerate(colour) if d.run] == [0, 10, 20, 30], "still: the interval looks alone"
    if clip.startswith("street"):
        assert sum(d.moved for d in colour) >= 0.8 * len(colour), "walkers move"


def test_regions_for_mosaics_are_in_the_colour_frame_pixels() -> None:
    jpegs = _jpegs("street_people_1080p.mp4", 4.0)
    colour = _decisions(jpegs, "colour", mosaic=True)
    grey = _decisions(jpegs, "grey", mosaic=True)
    assert [d.run for d in grey] == [d.run for d in colour]
    regions = [(a.region, b.region) for a, b in zip(colour, grey, strict=True) if a.region is not None]
    pairs = [(a, b) for a, b in regions if a is not None and b is not None]
    assert pairs and len(pairs) == len(regions), regions
    assert all(b[2] <= 640 and b[3] <= 360 for _, b in pairs), "in the 640x360 colour frame's pixels"
    assert sum(a == b for a, b in pairs) >= 0.8 * len(pairs), pairs
    # else a changed pixel more or less at the box's edge (the two ways differ by a grey level or two there)
    assert all(max(abs(x - y) for x, y in zip(a, b, strict=True)) <= 16 for a, b in pairs), pairs


def test_grey_reduction_is_the_largest_that_keeps_the_gate_width() -> None:
    assert [grey_reduction(w, 320) for w in (320, 400, 640, 1280, 1920, 2560, 3840)] == [1, 1, 2, 4, 4, 8, 8]


def test_grey_decode_is_the_luma_at_the_scale() -> None:
    jpeg, width, height = _jpegs("street_people_1080p.mp4", 0.2)[0]
    grey = decode_jpeg(jpeg, 4, grey=True)
    assert grey is not None and grey.shape == (height // 4, width // 4)
    assert decode_jpeg(b"not a jpeg", 4, grey=True) is None


def test_the_way_in_follows_decisions_old_enough_to_be_known_whatever_the_batching() -> None:
    gate = MotionGate(MotionConfig(max_interval_s=60.0))
    still = np.zeros((180, 320), np.uint8)
    moved = still.copy()
    moved[50:90, 100:140] = 200
    assert gate.expects_motion(0.0, 0.5), "nothing decided yet: colour"
    gate.decide(still, 0.0)  # the first frame runs, not for motion
    gate.looked_at_whole(0.0)
    assert gate.expects_motion(0.4, 0.5), "the first decision is not old enough yet"
    assert not gate.expects_motion(0.5, 0.5)
    gate.decide(still, 0.6)
    gate.decide(moved, 0.8)
    assert not gate.expects_motion(1.2, 0.5), "the motion at 0.8 s steers frames from 1.3 s"
    assert gate.expects_motion(1.3, 0.5)


def test_a_gate_saved_before_it_kept_decisions_restores() -> None:
    gate = MotionGate(MotionConfig())
    gate.decide(np.zeros((180, 320), np.uint8), 0.0)
    gate.looked_at_whole(0.0)
    saved = vars(gate).copy()
    del saved["_recent"]
    restored = MotionGate.__new__(MotionGate)
    restored.__setstate__(saved)
    assert restored.expects_motion(1.0, 0.5)
    assert pickle.loads(pickle.dumps(restored)).decide(np.zeros((180, 320), np.uint8), 0.2) == GateDecision(False)


def test_only_a_camera_the_rate_finds_idle_is_decoded_in_grey() -> None:
    """Far and hot cameras are gated on the frames the rate wants looked at, which the gate mostly passes: a grey
    decode there would mostly be followed by a colour one."""
    car = TrackedObject(track_id=1, cls=ObjectClass.CAR, box=Box(x1=100, y1=300, x2=300, y2=400), confidence=0.9)
    gate = MotionGate(MotionConfig(max_interval_s=60.0))
    still = np.zeros((180, 320), np.uint8)
    rate = DetectionRate(DetectionRateConfig(enabled=True))
    for t in range(5):  # parked cars, nobody: idle, and the gate finds every frame still
        gate.decide(still, t / 5)
        rate.looked(t / 5, [car])
    assert rate.idle_at(1.0)

    def header(ts: float) -> FrameHeader:
        return FrameHeader(camera_id="c", stream_id="s", seq=int(ts * 5), ts=ts, width=1280, height=720, fps=FPS)

    assert grey_scale(header(1.0), gate, rate) == 4, "idle and still: grey at 1/4 (320 wide)"
    assert grey_scale(header(1.0), gate, None) == 4, "no rate: the gate alone decides"
    walker = TrackedObject(track_id=7, cls=ObjectClass.PERSON, box=Box(x1=900, y1=300, x2=930, y2=400), confidence=0.9)
    rate.looked(1.0, [car, walker])  # someone new far from the car: the rate leaves idle from 1.5 s
    gate.decide(still, 1.0)
    assert not rate.idle_at(1.6)
    assert grey_scale(header(1.6), gate, rate) == 0, "not idle: colour, though the gate found it still"
    assert grey_scale(header(1.6).model_copy(update={"width": 0}), gate, None) == 0, "no size: colour"

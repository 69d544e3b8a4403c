"""Evidence clip windows: what span a clip covers, which frames go in, where the gaps are, and the video itself."""

from __future__ import annotations

import asyncio
import io

import av
import cv2
import numpy as np
import pytest

from alerts.config import ClipConfig
from alerts.evidence.clip import (
    ClipWindow,
    choose_boxes,
    clip_window,
    decode_objects,
    encode_objects,
    find_gaps,
    pick_frames,
    render_clip,
)
from alerts.evidence.clip import _reduction as _reduction
from alerts.evidence.clip_maker import ClipMaker
from alerts.models import AlertEvent, AlertPhase
from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject
from tests.builders import car, person_at

T0 = 1_700_000_000.0


def alert(started_at: float = T0, ts: float = T0 + 30, phase: AlertPhase = AlertPhase.START) -> AlertEvent:
    return AlertEvent(
        alert_id="clip-test-1",
        event_id=f"clip-test-1:{phase.value}:{ts}",
        phase=phase,
        rule="loitering",
        site_id="site-a",
        camera_id="cam-1",
        stream_id="s",
        started_at=started_at,
        ts=ts,
        dwell_s=max(0.0, ts - started_at),
        person_track_id=7,
        vehicle_track_id=100,
        person_box=(500, 180, 548, 300),
        vehicle_box=(400, 300, 600, 400),
        frame_seq=1,
        frame_width=1280,
        frame_height=720,
    )


@pytest.mark.parametrize(
    ("before_s", "max_s", "ts", "expected"),
    [
        (10, 60, T0 + 30, ClipWindow(T0 - 10, T0 + 30, capped=False)),  # before the incident to the alert start
        (0, 60, T0 + 30, ClipWindow(T0, T0 + 30, capped=False)),
        (10, 60, T0 + 50, ClipWindow(T0 - 10, T0 + 50, capped=False)),  # an update extends it
        (10, 60, T0 + 51, ClipWindow(T0 - 10, T0 + 50, capped=True)),  # ... up to max_s, keeping the beginning
        (10, 60, T0 + 900, ClipWindow(T0 - 10, T0 + 50, capped=True)),
        (10, 60, T0 - 5, ClipWindow(T0 - 10, T0, capped=False)),  # a step stamped before the start: no negative span
    ],
)
def test_window_runs_from_before_the_incident_to_the_step_capped(
    before_s: float, max_s: float, ts: float, expected: ClipWindow
) -> None:
    assert clip_window(alert(ts=ts), ClipConfig(before_s=before_s, max_s=max_s)) == expected


def test_frames_outside_the_window_are_left_out_and_the_rate_is_thinned() -> None:
    window = ClipWindow(T0, T0 + 2, capped=False)
    ten_fps = [(seq, T0 - 1 + seq / 10) for seq in range(40)]  # T0-1 .. T0+2.9
    picked = pick_frames(ten_fps, window, fps=5)
    assert [seq for seq, _ in picked] == list(range(10, 31, 2)), "every other frame from T0 to T0+2 inclusive"
    assert pick_frames(ten_fps, window, fps=30) == [(s, t) for s, t in ten_fps if T0 <= t <= T0 + 2]


def test_frames_come_out_in_time_order_whatever_order_they_are_given() -> None:
    window = ClipWindow(T0, T0 + 10, capped=False)
    assert pick_frames([(3, T0 + 3), (1, T0 + 1), (2, T0 + 2)], window, fps=5) == [
        (1, T0 + 1),
        (2, T0 + 2),
        (3, T0 + 3),
    ]


def test_missing_frames_are_gaps_of_the_window() -> None:
    window = ClipWindow(T0, T0 + 10, capped=False)
    times = [T0 + i * 0.2 for i in range(10)] + [T0 + 6 + i * 0.2 for i in range(21)]  # nothing from 1.8 s to 6 s
    assert find_gaps(times, window, fps=5) == [(pytest.approx(T0 + 1.8), pytest.approx(T0 + 6))]
    assert find_gaps([T0 + i * 0.2 for i in range(51)], window, fps=5) == []
    assert find_gaps([], window, fps=5) == [(T0, T0 + 10)], "no frame kept at all: the whole window is a gap"
    late_start = find_gaps([T0 + 4 + i * 0.2 for i in range(31)], window, fps=5)
    assert late_start == [(T0, pytest.approx(T0 + 4))], "frames expired from the buffer: a gap at the beginning"


def test_boxes_round_trip_and_bad_boxes_draw_nothing() -> None:
    objects = [person_at(7, 524, 300), car(100)]
    assert decode_objects(encode_objects(objects)) == (
        (7, "person", (500.0, 180.0, 548.0, 300.0)),
        (100, "car", (400.0, 300.0, 600.0, 400.0)),
    )
    assert decode_objects(b"not json") == ()
    assert decode_objects(None) == ()


def test_the_alerts_person_and_car_are_chosen_by_id_else_every_person_and_the_overlapping_car() -> None:
    event = alert()
    by_id = decode_objects(encode_objects([person_at(7, 524, 300), person_at(8, 900, 300), car(100)]))
    assert [label for label, _ in choose_boxes(event, by_id)] == ["vehicle #100", "person #7"]
    renamed = decode_objects(encode_objects([person_at(21, 524, 300), person_at(8, 900, 300), car(55)]))
    assert [label for label, _ in choose_boxes(event, renamed)] == ["vehicle #100", "person", "person"]
    elsewhere = decode_objects(encode_objects([car(55, box=car().box.model_copy(update={"x1": 900, "x2": 1100}))]))
    assert choose_boxes(event, elsewhere) == [], "another car is not the alert's car"


def _frame(shade: int) -> bytes:
    image = np.full((720, 1280, 3), shade, dtype=np.uint8)
    cv2.rectangle(image, (400, 300), (600, 400), (0, 200, 0), -1)
    return cv2.imencode(".jpg", image)[1].tobytes()


@pytest.mark.parametrize("fmt", ["mp4", "webm"])
def test_video_spans_the_capture_times_so_a_gap_is_held_not_skipped(fmt: str) -> None:
    config = ClipConfig(format=fmt)  # type: ignore[arg-type]
    event = alert(ts=T0 + 4)
    window = clip_window(event, ClipConfig(before_s=0))
    boxes = decode_objects(encode_objects([person_at(7, 524, 300), car(100)]))
    times = [T0 + i * 0.2 for i in range(5)] + [T0 + 3 + i * 0.2 for i in range(6)]  # 1 s .. 3 s missing
    video = render_clip(event, [(t, _frame(40 + 10 * i), boxes) for i, t in enumerate(times)], window, config)
    assert video is not None
    with av.open(io.BytesIO(video)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == {"mp4": "h264", "webm": "vp8"}[fmt]
        if fmt == "mp4":
            assert stream.codec_context.profile == "Main", "H.264 Main: what phones and Chromium play"
        decoded = list(container.decode(stream))
    assert (decoded[0].width, decoded[0].height) == (854, 480), "scaled to clip.max_width, even sides"
    assert len(decoded) == len(times)
    seconds = [float(f.pts * f.time_base) for f in decoded]
    assert seconds[-1] - seconds[0] == pytest.approx(4.0, abs=0.05), "the gap keeps its length in the video"
    assert seconds[5] - seconds[4] == pytest.approx(2.2, abs=0.05)


@pytest.mark.parametrize("preset", ["ultrafast", "superfast"])
def test_a_full_hd_camera_is_decoded_reduced_and_the_boxes_land_on_what_they_box(preset: str) -> None:
    """1920 px frames are decoded at half size by the JPEG decoder (the clip is 854 px): boxes must still fit."""
    event = alert(ts=T0 + 1).model_copy(update={"frame_width": 1920, "frame_height": 1080})
    image = np.full((1080, 1920, 3), 90, dtype=np.uint8)
    cv2.rectangle(image, (900, 300), (1000, 600), (0, 200, 0), -1)  # what the person box encloses
    jpeg = cv2.imencode(".jpg", image)[1].tobytes()
    person = TrackedObject(track_id=7, cls=ObjectClass.PERSON, box=Box(x1=900, y1=300, x2=1000, y2=600), confidence=1)
    boxes = decode_objects(encode_objects([person]))
    frames = [(T0 + i * 0.2, jpeg, boxes) for i in range(6)]
    config = ClipConfig(preset=preset)  # type: ignore[arg-type]
    video = render_clip(event, frames, clip_window(event, ClipConfig(before_s=0)), config)
    assert video is not None
    with av.open(io.BytesIO(video)) as container:
        decoded = [f.to_ndarray(format="bgr24") for f in container.decode(container.streams.video[0])]
    assert len(decoded) == 6 and decoded[0].shape == (480, 854, 3)
    scale = 854 / 1920
    x1, y1, x2, y2 = (round(v * scale) for v in (900, 300, 1000, 600))
    frame = decoded[-1].astype(int)
    red = (frame[:, :, 2] > 180) & (frame[:, :, 1] < 80) & (frame[:, :, 0] < 80)
    assert red[y1 + 20 : y2 - 2, x1 - 2 : x1 + 3].any(axis=1).mean() > 0.9, "the box's left edge on the block's"
    assert red[y1 + 20 : y2 - 2, x2 - 2 : x2 + 3].any(axis=1).mean() > 0.9, "and its right edge"
    inside = frame[y1 + 10 : y2 - 10, x1 + 10 : x2 - 10]
    assert inside[:, :, 1].mean() > 150 > inside[:, :, 2].mean(), "the block itself, scaled to the clip"


def test_the_jpeg_decoder_reduces_only_while_the_frame_stays_at_least_the_clips_width() -> None:
    assert [_reduction(w, 854) for w in (640, 854, 1280, 1707, 1708, 2560, 3840, 7680)] == [1, 1, 1, 1, 2, 2, 4, 8]


def test_no_decodable_frame_means_no_clip() -> None:
    window = ClipWindow(T0, T0 + 1, capped=False)
    assert render_clip(alert(), [(T0, b"broken", ())], window, ClipConfig()) is None
    assert render_clip(alert(), [], window, ClipConfig()) is None


class _Buffer:
    """The evidence buffer as ClipMaker sees it: an index of (seq, ts) and frames, some of which have expired."""

    def __init__(self, indexed: list[tuple[int, float]], expired: set[int]) -> None:
        self.indexed, self.expired = indexed, expired
        self.clips: dict[str, tuple[bytes, dict[str, object]]] = {}
        self.boxes = encode_objects([person_at(7, 524, 300), car(100)])

    async def frames_between(
        self, camera_id: str, stream_id: str, since: float, until: float
    ) -> list[tuple[int, float]]:
        return [(s, t) for s, t in self.indexed if since <= t <= until]

    async def get_frames(
        self, camera_id: str, stream_id: str, seqs: list[int]
    ) -> list[tuple[bytes | None, str | None]]:
        return [(None, None) if s in self.expired else (_frame(60), self.boxes) for s in seqs]

    async def clip_info(self, alert_id: str) -> dict[str, object] | None:
        return self.clips[alert_id][1] if alert_id in self.clips else None

    async def put_clip(self, alert_id: str, video: bytes, info: dict[str, object]) -> None:
        self.clips[alert_id] = (video, info)


def test_frames_the_buffer_no_longer_holds_are_gaps_and_later_steps_extend_the_clip_up_to_the_cap() -> None:
    indexed = [(seq, T0 - 10 + seq * 0.2) for seq in range(400)]  # T0-10 .. T0+69.8 at 5 fps
    expired = {seq for seq, ts in indexed if ts < T0 - 6}  # the oldest 4 s have left the buffer
    buffer = _Buffer(indexed, expired)
    maker = ClipMaker(buffer, ClipConfig(before_s=10, max_s=60))  # type: ignore[arg-type]
    info = asyncio.run(maker.make(alert(ts=T0 + 20)))
    assert info is not None and info["frames"] == 5 * 26 + 1 and info["capped"] is False
    assert info["gaps"] == [[-10.0, -6.0]], "expired frames: a gap, the clip is built from the rest"
    assert asyncio.run(maker.make(alert(ts=T0 + 20, phase=AlertPhase.UPDATE))) is None, "nothing new: not rebuilt"
    longer = asyncio.run(maker.make(alert(ts=T0 + 40, phase=AlertPhase.UPDATE)))
    assert longer is not None and longer["end"] == T0 + 40
    capped = asyncio.run(maker.make(alert(ts=T0 + 65, phase=AlertPhase.END)))
    assert capped is not None and capped["capped"] is True and capped["end"] == T0 + 50
    assert asyncio.run(maker.make(alert(ts=T0 + 69, phase=AlertPhase.END))) is None, "capped: later steps add nothing"
    assert buffer.clips["clip-test-1"][1] == capped

"""The evidence clip of an alert: the camera's kept frames from before the incident began to now, boxed, as video.

Pure parts (which frames, which window, where the gaps are) are separate from drawing and encoding so they can be
tested without video. Frames come from the detect stage's evidence buffer (`AlertStore.put_frame`); a frame that
was never kept (shed, expired, nobody in view) is a gap: the video holds the previous frame for that time, since
each frame is stamped with its capture time, and the clip's info lists the gaps.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import av
import cv2
import numpy as np
from av.video.stream import VideoStream

from alerts.config import ClipConfig
from alerts.evidence.snapshot import PERSON_COLOUR, VEHICLE_COLOUR, draw_box, draw_label
from alerts.models import AlertEvent
from detectors.types import ObjectClass, TrackedObject

logger = logging.getLogger(__name__)

CONTENT_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}
_CODECS = {"mp4": "libx264", "webm": "libvpx"}
_MS = Fraction(1, 1000)  # stream time base: capture times in milliseconds


@dataclass(frozen=True)
class ClipWindow:
    """Event-time span a clip covers; `capped` when the incident went on past `max_s`."""

    start: float
    end: float
    capped: bool

    @property
    def length_s(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class KeptFrame:
    """One evidence frame as the buffer holds it: capture time, JPEG, the tracked objects on it."""

    seq: int
    ts: float
    jpeg: bytes
    objects: tuple[TrackedObject, ...]


def clip_window(event: AlertEvent, config: ClipConfig) -> ClipWindow:
    """From `before_s` before the incident began to this step (the alert start, later updates), at most `max_s`."""
    start = event.started_at - config.before_s
    end = max(event.ts, event.started_at)
    capped = end - start > config.max_s
    return ClipWindow(start, start + config.max_s if capped else end, capped)


def pick_frames(indexed: Sequence[tuple[int, float]], window: ClipWindow, fps: float) -> list[tuple[int, float]]:
    """Frames (seq, ts) inside the window, in time order, thinned so no two are closer than 1/fps."""
    spacing = 1.0 / fps
    picked: list[tuple[int, float]] = []
    for seq, ts in sorted(indexed, key=lambda item: (item[1], item[0])):
        if ts < window.start or ts > window.end:
            continue
        if picked and ts - picked[-1][1] < spacing - 1e-6:
            continue
        picked.append((seq, ts))
    return picked


def find_gaps(
    times: Sequence[float], window: ClipWindow, fps: float, tolerance: float = 2.5
) -> list[tuple[float, float]]:
    """Spans of the window with no frame for longer than `tolerance` frame intervals (absolute event times)."""
    limit = tolerance / fps
    edges = [window.start, *sorted(times), window.end]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b - a > limit]


def encode_objects(objects: Sequence[TrackedObject]) -> str:
    """The boxes kept beside an evidence frame, compact JSON (wrists and confidences are not drawn)."""
    return json.dumps([[o.track_id, o.cls.value, o.box.as_list()] for o in objects], separators=(",", ":"))


def decode_objects(raw: bytes | str | None) -> tuple[tuple[int, str, tuple[float, float, float, float]], ...]:
    if not raw:
        return ()
    try:
        return tuple(
            (int(t), str(c), (float(b[0]), float(b[1]), float(b[2]), float(b[3]))) for t, c, b in json.loads(raw)
        )
    except (ValueError, TypeError, IndexError) as exc:
        logger.warning("evidence boxes unreadable (%s): frame drawn without boxes", exc)
        return ()


Boxes = tuple[tuple[int, str, tuple[float, float, float, float]], ...]


def choose_boxes(event: AlertEvent, boxes: Boxes) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The alert's person and car on one frame: by track id, else every person and the car overlapping the alert's.

    The rules stage may have merged a person's tracker ids into one identity, so an id can be missing from a frame
    that still shows them; boxing every person then keeps the suspect boxed, and a parked car does not move.
    """
    people = [(t, b) for t, c, b in boxes if c == ObjectClass.PERSON.value]
    vehicles = [(t, b) for t, c, b in boxes if c != ObjectClass.PERSON.value]
    chosen: list[tuple[str, tuple[float, float, float, float]]] = []
    vehicle = next((b for t, b in vehicles if t == event.vehicle_track_id), None)
    if vehicle is None and vehicles:
        best = max(vehicles, key=lambda item: _iou(item[1], event.vehicle_box))
        vehicle = best[1] if _iou(best[1], event.vehicle_box) > 0.3 else None
    if vehicle is not None:
        chosen.append((f"vehicle #{event.vehicle_track_id}", vehicle))
    match = [b for t, b in people if t == event.person_track_id]
    for box in match or [b for _, b in people]:
        chosen.append((f"person #{event.person_track_id}" if match else "person", box))
    return chosen


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def render_clip(
    event: AlertEvent,
    frames: Sequence[tuple[float, bytes, Boxes]],
    window: ClipWindow,
    config: ClipConfig,
    timezone: str = "UTC",
) -> bytes | None:
    """Encode the frames (capture time, JPEG, boxes) as a video; None when no frame could be decoded.
    Each frame is stamped with its capture time in the site's `timezone`, as the timeline writes it."""
    first = next(((i, image) for i, (_, jpeg, _) in enumerate(frames) if (image := _decode(jpeg)) is not None), None)
    if first is None:
        return None
    height, width = first[1].shape[:2]
    scale = min(1.0, config.max_width / width)
    size = (_even(width * scale), _even(height * scale))
    options = {"movflags": "+faststart"} if config.format == "mp4" else {}
    # a real file: faststart (the index first, so playback starts before the whole clip has loaded) rewrites it
    with tempfile.TemporaryDirectory(prefix="sentinel-clip-") as scratch:
        path = Path(scratch) / f"clip.{config.format}"
        with av.open(str(path), mode="w", format=config.format, options=options) as container:
            stream = _video_stream(container, config, size)
            pictures = _pictures(event, frames[first[0] :], first[1], _reduction(width, size[0]), size, timezone)
            last_pts = -1
            for ts, yuv in pictures:
                pts = max(last_pts + 1, int(round((ts - window.start) * 1000)))
                last_pts = pts
                frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
                frame.pts, frame.time_base = pts, _MS
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        return path.read_bytes()


def _video_stream(container: av.container.OutputContainer, config: ClipConfig, size: tuple[int, int]) -> VideoStream:
    added = container.add_stream(_CODECS[config.format], rate=max(1, round(config.fps)))
    stream = cast("VideoStream", added)  # a video codec gives a video stream
    stream.width, stream.height = size
    stream.pix_fmt = "yuv420p"
    stream.time_base = _MS
    stream.codec_context.time_base = _MS
    stream.codec_context.thread_count = config.threads
    stream.options = dict(_codec_options(config))
    return stream


def _pictures(
    event: AlertEvent,
    frames: Sequence[tuple[float, bytes, Boxes]],
    first: np.ndarray,
    reduction: int,
    size: tuple[int, int],
    timezone: str,
) -> Iterator[tuple[float, np.ndarray]]:
    """(capture time, I420 picture) per decodable frame: decoded at reduced size where the clip is far smaller,
    scaled, boxed at the clip's size, converted to the encoder's YUV 4:2:0 (BT.601, as libswscale would)."""
    zone = ZoneInfo(timezone)
    box_scale = size[0] / event.frame_width
    for n, (ts, jpeg, boxes) in enumerate(frames):
        image = first if n == 0 and reduction == 1 else _decode(jpeg, reduction)
        if image is None:
            continue
        if (image.shape[1], image.shape[0]) != size:
            # under 2x (the JPEG decode took the rest) bilinear is as sharp as area and 3x cheaper
            image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
        _annotate(event, image, boxes, ts, box_scale, zone)
        yield ts, cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420)


def _reduction(width: int, out_width: int) -> int:
    """The JPEG decoder's own downscale (1/2, 1/4, 1/8 in the DCT, nearly free) that keeps the frame >= the clip."""
    return next((factor for factor in (8, 4, 2) if width >= factor * out_width), 1)


def _codec_options(config: ClipConfig) -> dict[str, str]:
    if config.format == "mp4":  # main profile plays on every phone and browser
        return {"preset": config.preset, "crf": str(config.quality), "profile": "main"}
    return {"crf": str(config.quality), "b": "0", "deadline": "realtime", "cpu-used": "8"}


def _annotate(
    event: AlertEvent, image: np.ndarray, boxes: Boxes, ts: float, scale: float, zone: ZoneInfo
) -> np.ndarray:
    thickness = max(1, round(max(image.shape[:2]) / 400))
    for label, box in choose_boxes(event, boxes):
        colour = PERSON_COLOUR if label.startswith("person") else VEHICLE_COLOUR
        scaled = (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)
        draw_box(image, scaled, colour, label, thickness, below=not label.startswith("person"))
    local = datetime.fromtimestamp(ts, tz=zone)
    when = local.strftime("%H:%M:%S.%f")[:-5] + " " + local.strftime("%Z")
    offset = ts - event.started_at
    draw_label(image, f"{event.camera_id} {when} ({offset:+.1f} s)", (6, 6), (0, 0, 0), thickness)
    return image


_REDUCED = {
    1: cv2.IMREAD_COLOR,
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}


def _decode(jpeg: bytes, reduction: int = 1) -> np.ndarray | None:
    try:
        return cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), _REDUCED[reduction])
    except cv2.error:
        return None


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)

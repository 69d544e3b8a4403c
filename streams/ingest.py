"""Camera ingest: OpenCV capture sampled to the camera's fps, JPEG-encoded, stamped with capture time.

Live sources go through a drop-oldest buffer: when the broker or the workers fall behind, the oldest frames
are dropped and counted rather than letting memory grow.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

logger = logging.getLogger(__name__)


class SourceError(RuntimeError):
    """The video source cannot be opened or read; the message names it."""


@dataclass(frozen=True)
class CapturedFrame:
    ts: float
    image: np.ndarray


def open_capture(source: str) -> cv2.VideoCapture:
    target: str | int = int(source) if source.isdigit() else source
    if isinstance(target, str) and "://" not in target and not Path(target).exists():
        raise SourceError(f"video source {source!r} does not exist")
    capture = cv2.VideoCapture(target)
    if not capture.isOpened():
        raise SourceError(f"cannot open video source {source!r} (unsupported format, codec or address)")
    return capture


def read_frame(path: Path, index: int) -> np.ndarray:
    """One frame of a recording by its 0-based index (labelled frames, composites, tests)."""
    capture = open_capture(str(path))
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, image = capture.read()
    finally:
        capture.release()
    if not ok:
        raise SourceError(f"cannot read frame {index} of {path}")
    return image


def file_frames(path: str, fps: float, start_ts: float) -> Iterator[CapturedFrame]:
    """Frames of a recording sampled to `fps` on the file's own timeline, stamped start_ts + position."""
    capture = open_capture(path)
    source_fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
    if source_fps <= 0:
        source_fps = 30.0
        logger.warning("%s reports no frame rate; assuming %.0f fps", path, source_fps)
    step = 1.0 / fps
    next_sample = 0.0
    index = 0
    decoded_any = False
    try:
        while capture.grab():
            position = index / source_fps
            index += 1
            if position + 1e-6 < next_sample:
                continue
            ok, image = capture.retrieve()
            if not ok or image is None:
                logger.warning("%s: frame %s could not be decoded, skipped", path, index - 1)
                continue
            decoded_any = True
            next_sample += step * max(1, int((position - next_sample) / step) + 1)
            yield CapturedFrame(ts=start_ts + position, image=image)
    finally:
        capture.release()
    if not decoded_any:
        raise SourceError(f"no frame could be decoded from {path!r}")


def estimate_sampled_frames(path: str, fps: float) -> int | None:
    capture = cv2.VideoCapture(path)
    try:
        count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        source_fps = capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    if count <= 0 or source_fps <= 0:
        return None
    return int(count / source_fps * min(fps, source_fps)) + 1


def encode_jpeg(image: np.ndarray, quality: int, max_width: int | None) -> tuple[bytes, int, int]:
    height, width = image.shape[:2]
    if max_width is not None and width > max_width:
        scale = max_width / width
        image = cv2.resize(image, (max_width, round(height * scale)), interpolation=cv2.INTER_AREA)
        height, width = image.shape[:2]
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise SourceError("JPEG encoding failed")
    return encoded.tobytes(), width, height


class DropOldestBuffer:
    """Bounded hand-over from a capture thread to the sender; overflow drops the oldest frame and counts it."""

    def __init__(self, capacity: int) -> None:
        self._items: deque[CapturedFrame] = deque()
        self._capacity = capacity
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self.dropped = 0
        self.closed = False

    def put(self, item: CapturedFrame) -> None:
        with self._lock:
            if len(self._items) >= self._capacity:
                self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            self._ready.notify()

    def get(self, timeout: float) -> CapturedFrame | None:
        with self._lock:
            if not self._items and not self.closed:
                self._ready.wait(timeout)
            return self._items.popleft() if self._items else None

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._ready.notify_all()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class LiveCapture(threading.Thread):
    """Reads a live source at its own pace, samples to fps on the wall clock, reconnects with backoff."""

    def __init__(self, source: str, fps: float, buffer: DropOldestBuffer) -> None:
        super().__init__(daemon=True, name=f"capture-{source}")
        self.source = source
        self.fps = fps
        self.buffer = buffer
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                capture = open_capture(self.source)
            except SourceError as exc:
                logger.error("%s; retrying in %.0f s", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            next_sample = 0.0
            # A file used as a live source plays at its own frame rate, as a camera would deliver it.
            file_fps = capture.get(cv2.CAP_PROP_FPS) if Path(self.source).is_file() else 0.0
            opened_at, grabbed = time.monotonic(), 0
            while not self._stop.is_set():
                if not capture.grab():
                    logger.warning("video source %s stopped delivering frames; reconnecting", self.source)
                    break
                grabbed += 1
                if file_fps > 0:
                    self._stop.wait(max(0.0, opened_at + grabbed / file_fps - time.monotonic()))
                now = time.time()
                if now < next_sample:
                    continue
                ok, image = capture.retrieve()
                if ok and image is not None:
                    next_sample = max(next_sample + 1.0 / self.fps, now)
                    self.buffer.put(CapturedFrame(ts=now, image=image))
            capture.release()
        self.buffer.close()

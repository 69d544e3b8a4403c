"""Evidence image of a device alert: the camera's picture as the rule judged it (covered, moved), or a card."""

from __future__ import annotations

import logging

import cv2
import numpy as np

from alerts.models import DeviceAlertEvent

logger = logging.getLogger(__name__)


def render_device_snapshot(event: DeviceAlertEvent, frame_jpeg: bytes | None, quality: int = 85) -> bytes:
    """The frame (or a blank card when there is none: offline cameras, terminals) with the rule and reason on it."""
    image = cv2.imdecode(np.frombuffer(frame_jpeg, dtype=np.uint8), cv2.IMREAD_COLOR) if frame_jpeg else None
    if image is None:
        image = np.full((360, 640, 3), 48, dtype=np.uint8)
    if image.shape[1] < 480:
        factor = 480 / image.shape[1]
        image = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR)
    thickness = max(2, round(max(image.shape[:2]) / 400))
    colour = (0, 0, 200) if event.severity.value == "red" else (0, 140, 200)
    lines = [(f"{event.rule} {event.device_id}", colour), (event.message[:90], (0, 0, 0))]
    for row, (text, background) in enumerate(lines):
        _label(image, text, (8, 8 + row * (30 * thickness // 2 + 12)), background, thickness)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding of the snapshot failed")
    return encoded.tobytes()


def _label(image: np.ndarray, text: str, origin: tuple[int, int], colour: tuple[int, int, int], thickness: int) -> None:
    scale = 0.4 * thickness
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    x, y = origin
    cv2.rectangle(image, (x, y), (x + w + 4, y + h + base + 4), colour, -1)
    cv2.putText(image, text, (x + 2, y + h + 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)

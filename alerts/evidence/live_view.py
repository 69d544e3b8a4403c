"""The live look-in: a camera's latest frame with everyone and every vehicle on it boxed, and when it was taken."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from alerts.evidence.clip import decode_objects
from alerts.evidence.snapshot import PERSON_COLOUR, VEHICLE_COLOUR, draw_box, draw_label
from detectors.types import ObjectClass

logger = logging.getLogger(__name__)


def render_live(
    camera_id: str, jpeg: bytes, boxes: bytes | str, ts: float, timezone: str, max_width: int = 854, quality: int = 75
) -> bytes | None:
    """JPEG for the alert page, scaled to `max_width`; None when the kept frame does not decode."""
    image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        logger.warning("camera %s: live frame undecodable", camera_id)
        return None
    scale = min(1.0, max_width / image.shape[1])
    if scale < 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    thickness = max(1, round(max(image.shape[:2]) / 400))
    for track_id, cls, box in decode_objects(boxes):
        person = cls == ObjectClass.PERSON.value
        scaled = (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)
        label = f"{'person' if person else cls} #{track_id}"
        draw_box(image, scaled, PERSON_COLOUR if person else VEHICLE_COLOUR, label, thickness, below=not person)
    when = datetime.fromtimestamp(ts, ZoneInfo(timezone)).strftime("%H:%M:%S %Z")
    draw_label(image, f"LIVE {camera_id} {when}", (6, 6), (0, 0, 0), thickness)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return encoded.tobytes() if ok else None

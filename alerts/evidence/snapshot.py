"""Annotated evidence image: the frame with the person and the car boxed and labelled."""

from __future__ import annotations

import logging

import cv2
import numpy as np

from alerts.models import AlertEvent, EntryAlertEvent

logger = logging.getLogger(__name__)

_PERSON_COLOUR = (0, 0, 255)  # BGR red
_VEHICLE_COLOUR = (255, 160, 0)  # BGR blue-ish


def render_snapshot(event: AlertEvent, frame_jpeg: bytes | None, quality: int = 85) -> bytes:
    """JPEG of the evidence frame with boxes; a grey canvas of the frame's size when no frame was kept."""
    image = None
    if frame_jpeg:
        image = cv2.imdecode(np.frombuffer(frame_jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            logger.warning(
                "alert %s: evidence frame undecodable, drawing on a blank canvas",
                event.alert_id,
                extra={"alert_id": event.alert_id, "camera_id": event.camera_id},
            )
    note = None
    if image is None:
        image = np.full((event.frame_height, event.frame_width, 3), 48, dtype=np.uint8)
        note = "no video frame kept (track replay)"
    thickness = max(2, round(max(image.shape[:2]) / 400))
    _draw_box(image, event.vehicle_box, _VEHICLE_COLOUR, f"vehicle #{event.vehicle_track_id}", thickness, below=True)
    _draw_box(image, event.person_box, _PERSON_COLOUR, f"person #{event.person_track_id}", thickness)
    banner = f"{event.rule} {event.camera_id} dwell {event.dwell_s:.0f}s"
    _label(image, banner, (8, 8), (0, 0, 0), thickness)
    lines = [note] if note else []
    if event.linked_entries:  # the door entry that makes this alert matter, in the image officers open first
        lines.append(f"linked: {event.linked_entries[0].reason}"[:100])
    for row, text in enumerate(lines, start=1):
        _label(image, text, (8, 8 + row * (30 * thickness // 2 + 12)), (0, 0, 0), thickness)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding of the snapshot failed")
    return encoded.tobytes()


def render_entry_snapshot(event: EntryAlertEvent, picture: bytes | None, quality: int = 85) -> bytes:
    """The terminal's face picture (or a blank card) with the door, the rule and the reason written on it."""
    image = cv2.imdecode(np.frombuffer(picture, dtype=np.uint8), cv2.IMREAD_COLOR) if picture else None
    if image is None:
        image = np.full((360, 640, 3), 48, dtype=np.uint8)
    if image.shape[1] < 480:  # small face crops: enlarge so the text stays readable
        factor = 480 / image.shape[1]
        image = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR)
    thickness = max(2, round(max(image.shape[:2]) / 400))
    colour = (0, 0, 200) if event.severity.value == "red" else (0, 140, 200)
    _label(image, f"{event.rule} {event.door_name}", (8, 8), colour, thickness)
    _label(image, event.message[:90], (8, 8 + 30 * thickness // 2 + 12), (0, 0, 0), thickness)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding of the snapshot failed")
    return encoded.tobytes()


def _draw_box(
    image: np.ndarray,
    box: tuple[float, float, float, float],
    colour: tuple[int, int, int],
    text: str,
    thickness: int,
    below: bool = False,
) -> None:
    """Box plus label; the vehicle's label goes under its box so it never hides the person's, which is on top."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    cv2.rectangle(image, (x1, y1), (x2, y2), colour, thickness)
    label_h = 14 * thickness
    if below and y2 + label_h + 4 < image.shape[0]:
        _label(image, text, (x1, y2 + 2), colour, thickness)
    else:
        _label(image, text, (x1, max(0, y1 - label_h)), colour, thickness)


def _label(image: np.ndarray, text: str, origin: tuple[int, int], colour: tuple[int, int, int], thickness: int) -> None:
    scale = 0.4 * thickness
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    x, y = origin
    cv2.rectangle(image, (x, y), (x + w + 4, y + h + base + 4), colour, -1)
    cv2.putText(image, text, (x + 2, y + h + 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)


# what the evidence clip draws with, so a clip frame looks like the snapshot
PERSON_COLOUR, VEHICLE_COLOUR = _PERSON_COLOUR, _VEHICLE_COLOUR
draw_box, draw_label = _draw_box, _label

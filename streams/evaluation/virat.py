"""Import VIRAT Ground ground-truth annotations (viratdata.objects.txt) as TrackFrame JSONL.

Line format: object_id duration frame x y w h type  (type 1 person, 2 car, 3 other vehicle, 4 object, 5 bike)
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject, TrackFrame

logger = logging.getLogger(__name__)

VIRAT_CLASSES = {1: ObjectClass.PERSON, 2: ObjectClass.CAR, 3: ObjectClass.TRUCK}


class ViratFormatError(ValueError):
    pass


def read_virat_objects(path: Path) -> dict[int, list[tuple[int, int, Box]]]:
    """frame -> [(object_id, type, box)]; malformed lines are an error naming the line."""
    frames: dict[int, list[tuple[int, int, Box]]] = defaultdict(list)
    with path.open() as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 8:
                raise ViratFormatError(f"{path}:{number}: expected 8 fields, got {len(parts)}")
            try:
                object_id, _duration, frame, x, y, w, h, kind = (int(float(p)) for p in parts)
            except ValueError as exc:
                raise ViratFormatError(f"{path}:{number}: {exc}") from None
            if w <= 0 or h <= 0:
                continue
            frames[frame].append((object_id, kind, Box.from_xywh(x, y, w, h)))
    return frames


def virat_track_frames(
    path: Path,
    camera_id: str,
    fps: float,
    start_ts: float = 0.0,
    width: int = 1920,
    height: int = 1080,
    stream_id: str | None = None,
) -> Iterator[TrackFrame]:
    frames = read_virat_objects(path)
    if not frames:
        raise ViratFormatError(f"{path}: no annotations")
    stream = stream_id or f"virat-{path.name.split('.')[0]}"
    for index in range(min(frames), max(frames) + 1):
        objects = [
            TrackedObject(track_id=object_id, cls=VIRAT_CLASSES[kind], box=box, confidence=1.0)
            for object_id, kind, box in frames.get(index, [])
            if kind in VIRAT_CLASSES
        ]
        yield TrackFrame(
            camera_id=camera_id,
            stream_id=stream,
            seq=index,
            ts=start_ts + index / fps,
            width=width,
            height=height,
            objects=objects,
        )

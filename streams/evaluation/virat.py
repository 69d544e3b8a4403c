"""Import VIRAT Ground ground-truth annotations (viratdata.objects.txt) as TrackFrame JSONL.

Line format: object_id duration frame x y w h type  (type 1 person, 2 car, 3 other vehicle, 4 object, 5 bike)
Real release files hold lines outside that format (one of thousands of tokens, an undocumented type 0 for scene
regions that never move): by default each is skipped with a warning naming file:line and counted, never lost
silently; `strict=True` refuses the file at the first one, as the importer used to.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject, TrackFrame

logger = logging.getLogger(__name__)

VIRAT_CLASSES = {1: ObjectClass.PERSON, 2: ObjectClass.CAR, 3: ObjectClass.TRUCK, 4: ObjectClass.BAG}
UNUSED_TYPES = frozenset({5})  # bikes: documented, not a class the rules look at


class ViratFormatError(ValueError):
    pass


@dataclass
class ViratObjects:
    """The boxes of an objects file by frame, and what was skipped (reason -> lines)."""

    frames: dict[int, list[tuple[int, int, Box]]] = field(default_factory=lambda: defaultdict(list))
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self, path: Path) -> str:
        if not self.skipped:
            return f"{path}: every line imported"
        parts = ", ".join(f"{count} {reason}" for reason, count in sorted(self.skipped.items()))
        return f"{path}: skipped {sum(self.skipped.values())} line(s): {parts}"


def read_virat_objects(path: Path, strict: bool = False) -> ViratObjects:
    """frame -> [(object_id, type, box)]; a malformed line or an unknown type is skipped and counted (strict:
    an error naming the line). Unknown types warn once per object, not once per line of it."""
    result = ViratObjects()
    warned: set[tuple[int, int]] = set()
    with path.open() as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts:
                continue
            problem = None
            if len(parts) != 8:
                problem = f"expected 8 fields, got {len(parts)}"
            else:
                try:
                    object_id, _duration, frame, x, y, w, h, kind = (int(float(p)) for p in parts)
                except ValueError as exc:
                    problem = str(exc)
            if problem is not None:
                if strict:
                    raise ViratFormatError(f"{path}:{number}: {problem}")
                logger.warning("%s:%s: malformed line skipped (%s)", path, number, problem[:80])
                result.skipped["malformed"] += 1
                continue
            if kind not in VIRAT_CLASSES and kind not in UNUSED_TYPES:
                if strict:
                    raise ViratFormatError(f"{path}:{number}: unknown object type {kind}")
                if (kind, object_id) not in warned:
                    warned.add((kind, object_id))
                    logger.warning(
                        "%s:%s: unknown object type %s (object %s), its lines skipped", path, number, kind, object_id
                    )
                result.skipped[f"unknown type {kind}"] += 1
                continue
            if kind in UNUSED_TYPES:
                result.skipped[f"type {kind} (not used)"] += 1
                continue
            if w <= 0 or h <= 0:
                result.skipped["empty box"] += 1
                continue
            result.frames[frame].append((object_id, kind, Box.from_xywh(x, y, w, h)))
    return result


def virat_track_frames(
    path: Path,
    camera_id: str,
    fps: float,
    start_ts: float = 0.0,
    width: int = 1920,
    height: int = 1080,
    stream_id: str | None = None,
    strict: bool = False,
    objects: ViratObjects | None = None,
) -> Iterator[TrackFrame]:
    """One track frame per annotated frame index (empty ones too), on event time from `start_ts`."""
    read = objects if objects is not None else read_virat_objects(path, strict)
    frames = read.frames
    if not frames:
        raise ViratFormatError(f"{path}: no annotations")
    if read.skipped and objects is None:
        logger.warning("%s", read.summary(path))
    stream = stream_id or f"virat-{path.name.split('.')[0]}"
    for index in range(min(frames), max(frames) + 1):
        tracked = [
            TrackedObject(track_id=object_id, cls=VIRAT_CLASSES[kind], box=box, confidence=1.0)
            for object_id, kind, box in frames.get(index, [])
        ]
        yield TrackFrame(
            camera_id=camera_id,
            stream_id=stream,
            seq=index,
            ts=start_ts + index / fps,
            width=width,
            height=height,
            objects=tracked,
        )


def frame_size_of(objects: ViratObjects) -> tuple[int, int]:
    """VIRAT Ground comes at 1920x1080 or 1280x720 (scene 0002): the smaller one when every box fits it."""
    right = max((box.x2 for boxes in objects.frames.values() for _, _, box in boxes), default=0.0)
    bottom = max((box.y2 for boxes in objects.frames.values() for _, _, box in boxes), default=0.0)
    return (1280, 720) if right <= 1280 and bottom <= 720 else (1920, 1080)

"""Builders for track frames and scenes, so tests state a situation instead of copying literals."""

from __future__ import annotations

from dataclasses import dataclass, field

from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject, TrackFrame

CAR_BOX = Box(x1=400, y1=300, x2=600, y2=400)


def car(track_id: int = 100, box: Box = CAR_BOX, cls: ObjectClass = ObjectClass.CAR) -> TrackedObject:
    return TrackedObject(track_id=track_id, cls=cls, box=box, confidence=0.9)


def person_at(
    track_id: int,
    foot_x: float,
    foot_y: float,
    height: float = 120.0,
    wrists: tuple[tuple[float, float], ...] | None = None,
) -> TrackedObject:
    """A person whose feet are at (foot_x, foot_y), with the wrists the pose model saw, if it looked."""
    width = height * 0.4
    box = Box(x1=foot_x - width / 2, y1=foot_y - height, x2=foot_x + width / 2, y2=foot_y)
    return TrackedObject(track_id=track_id, cls=ObjectClass.PERSON, box=box, confidence=0.8, wrists=wrists)


@dataclass
class SceneBuilder:
    """Frames of one camera at a fixed rate; each call to `frames` appends a span of time."""

    camera_id: str = "cam-test"
    stream_id: str = "stream-1"
    fps: float = 5.0
    start_ts: float = 1_700_000_000.0
    width: int = 1280
    height: int = 720
    frames_out: list[TrackFrame] = field(default_factory=list)

    @property
    def now(self) -> float:
        return self.start_ts + len(self.frames_out) / self.fps

    def frames(self, seconds: float, objects_at: object) -> SceneBuilder:
        """Add `seconds` of frames; objects_at(t_in_span) returns the objects of each frame."""
        for i in range(round(seconds * self.fps)):
            t = i / self.fps
            objects = objects_at(t)  # type: ignore[operator]
            self.frames_out.append(
                TrackFrame(
                    camera_id=self.camera_id,
                    stream_id=self.stream_id,
                    seq=len(self.frames_out),
                    ts=self.now,
                    width=self.width,
                    height=self.height,
                    objects=list(objects),
                )
            )
        return self

    def end(self) -> list[TrackFrame]:
        last = self.frames_out[-1]
        end = last.model_copy(update={"seq": last.seq + 1, "objects": [], "end_of_stream": True})
        return [*self.frames_out, end]

"""Every topic name in one place. Camera topics are keyed by camera id and the access topic by door id, so one
worker owns a camera's (or a door's) state."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicNames:
    prefix: str = "sentinel"

    @property
    def frames(self) -> str:
        """JPEG frames with a typed header (see streams.frames)."""
        return f"{self.prefix}.frames"

    @property
    def tracks(self) -> str:
        """TrackFrame JSON records: the detector's output, replayable without the model."""
        return f"{self.prefix}.tracks"

    @property
    def alerts(self) -> str:
        """AlertEvent JSON records (and end-of-stream markers)."""
        return f"{self.prefix}.alerts"

    @property
    def access(self) -> str:
        """AccessEvent JSON records from door controllers, keyed by door id."""
        return f"{self.prefix}.access"

    @property
    def deadletter(self) -> str:
        """DeadLetter JSON records: the original bytes, the stage and the reason."""
        return f"{self.prefix}.deadletter"

    def all(self) -> tuple[str, ...]:
        return (self.frames, self.tracks, self.alerts, self.access, self.deadletter)

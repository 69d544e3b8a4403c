"""What the detect stage keeps of a frame for the alert side: a frame with a person and a vehicle in view, as
possible evidence (an alert's snapshot and clip), and a camera's latest frame, `alerts.live_view_fps` a second, for
the alert page's live look-in. Both best effort: tracking goes on through a store outage."""

from __future__ import annotations

import logging
from typing import Protocol

from alerts.evidence.clip import encode_objects
from detectors.types import ObjectClass, TrackedObject
from streams.config import SiteConfig
from streams.ops.retry import TRANSIENT
from streams.records import FrameHeader

logger = logging.getLogger(__name__)


class EvidenceFrames(Protocol):
    """Where the stage keeps frames that may become an alert's snapshot; `alerts.store.AlertStore` is one.
    A protocol, so this stage needs nothing of the alert store but these calls."""

    async def put_frame(
        self,
        camera_id: str,
        stream_id: str,
        seq: int,
        jpeg: bytes,
        ttl_s: int,
        ts: float | None = None,
        boxes: str = "",
    ) -> None: ...

    async def put_live(self, camera_id: str, jpeg: bytes, ts: float, boxes: str, ttl_s: int = 15) -> None: ...


class FrameKeeper:
    """The store calls for a tracked frame; None for `store` keeps nothing (benches, evaluation)."""

    def __init__(self, config: SiteConfig, store: EvidenceFrames | None) -> None:
        self.config = config
        self.store = store

    async def evidence(self, header: FrameHeader, jpeg: bytes, objects: list[TrackedObject]) -> None:
        """The frame kept for `alerts.frame_buffer_s` if it could become alert evidence."""
        if self.store is None or not self.config.detector.store_evidence_frames or not _has_candidates(objects):
            return
        try:
            await self.store.put_frame(
                header.camera_id,
                header.stream_id,
                header.seq,
                jpeg,
                self.config.alerts.frame_buffer_s,
                ts=header.ts,
                boxes=encode_objects(objects),  # the evidence clip boxes the person and the car on every frame
            )
        except TRANSIENT as exc:  # evidence is best effort: tracking must go on through a Redis outage
            logger.warning(
                "camera %s frame %s: evidence not kept (%s)",
                header.camera_id,
                header.seq,
                exc,
                extra={"camera_id": header.camera_id},
            )

    def live_due(self, ts: float, last_live: float) -> bool:
        """Whether a frame captured at `ts` is the camera's next live frame (`last_live`: the last one's time)."""
        fps = self.config.alerts.live_view_fps
        return self.store is not None and fps > 0 and ts - last_live >= 1.0 / fps

    async def live(self, header: FrameHeader, jpeg: bytes, objects: list[TrackedObject]) -> None:
        """The camera's latest frame, for the alert page's live look-in."""
        if self.store is None:
            return
        try:
            await self.store.put_live(header.camera_id, jpeg, header.ts, encode_objects(objects))
        except TRANSIENT as exc:  # a live view is a convenience: tracking goes on without it
            logger.warning("camera %s: live frame not kept (%s)", header.camera_id, exc)


def _has_candidates(objects: list[TrackedObject]) -> bool:
    """Only frames with a person and a vehicle can become alert evidence; others are not kept."""
    return any(o.cls is ObjectClass.PERSON for o in objects) and any(o.is_vehicle for o in objects)

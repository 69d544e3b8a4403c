"""Build and store an alert's evidence clip from the kept frames, at the start and again as the incident goes on."""

from __future__ import annotations

import asyncio
import logging
import time

import av

from alerts.config import ClipConfig
from alerts.evidence.clip import (
    CONTENT_TYPES,
    Boxes,
    clip_window,
    decode_objects,
    find_gaps,
    pick_frames,
    render_clip,
)
from alerts.models import AlertEvent, AlertPhase
from alerts.store import AlertStore

logger = logging.getLogger(__name__)


class ClipMaker:
    """One clip per alert, rebuilt when a later step widens its window; missing frames are gaps, never errors."""

    def __init__(self, store: AlertStore, config: ClipConfig, timezone: str = "UTC") -> None:
        self.store = store
        self.config = config
        self.timezone = timezone  # the site's: frames are stamped with their time in it

    async def make(self, event: AlertEvent) -> dict[str, object] | None:
        """Build (or extend) the clip for this step; returns its info, or None when there was nothing to do."""
        window = clip_window(event, self.config)
        info = await self.store.clip_info(event.alert_id)
        if event.phase is not AlertPhase.START and info is not None and float(str(info["end"])) >= window.end:
            return None  # the step adds nothing: already capped, or a repeat
        started = time.perf_counter()
        indexed = await self.store.frames_between(event.camera_id, event.stream_id, window.start, window.end)
        chosen = pick_frames(indexed, window, self.config.fps)
        stored = await self.store.get_frames(event.camera_id, event.stream_id, [seq for seq, _ in chosen])
        frames: list[tuple[float, bytes, Boxes]] = [
            (ts, jpeg, decode_objects(boxes)) for (_, ts), (jpeg, boxes) in zip(chosen, stored, strict=True) if jpeg
        ]
        loop = asyncio.get_running_loop()
        try:
            video = await loop.run_in_executor(None, render_clip, event, frames, window, self.config, self.timezone)
        except (av.FFmpegError, ValueError) as exc:  # a clip is extra evidence: its failure must not stop delivery
            logger.error("alert %s: clip not encoded (%s)", event.alert_id, exc, extra={"alert_id": event.alert_id})
            return None
        gaps = find_gaps([ts for ts, _, _ in frames], window, self.config.fps)
        info = {
            "start": window.start,
            "end": window.end,
            "capped": window.capped,
            "frames": len(frames),
            "gaps": [[round(a - event.started_at, 2), round(b - event.started_at, 2)] for a, b in gaps],
            "content_type": CONTENT_TYPES[self.config.format],
            "event_id": event.event_id,
            "built_s": round(time.perf_counter() - started, 3),
        }
        if video is None:
            logger.info(
                "alert %s: no evidence frames kept for %.0f s from %.1f; no clip",
                event.alert_id,
                window.length_s,
                window.start,
                extra={"alert_id": event.alert_id, "camera_id": event.camera_id},
            )
            return info
        await self.store.put_clip(event.alert_id, video, info)
        logger.info(
            "alert %s: clip of %d frames over %.1f s (%d gaps) in %.2f s",
            event.alert_id,
            len(frames),
            window.length_s,
            len(gaps),
            info["built_s"],
            extra={"alert_id": event.alert_id, "camera_id": event.camera_id},
        )
        return info

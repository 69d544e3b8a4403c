"""The console's devices page data: each camera and terminal, when it was last heard, its frame rate and state.

Read from the liveness the receiver (terminals) and the devices stage (cameras) keep in Redis; no Kafka, no
config: the page lists what has been heard, and a device's open `device` alert shows as its state.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp import web

from alerts.device_liveness import DeviceLiveness

logger = logging.getLogger(__name__)


class DevicesApi:
    def __init__(self, liveness: DeviceLiveness) -> None:
        self.liveness = liveness

    async def devices(self, request: web.Request) -> web.StreamResponse:
        now = time.time()
        seen = await self.liveness.all()
        rows: list[dict[str, Any]] = [
            {
                "device_id": s.device_id,
                "device_kind": s.device_kind,
                "last_seen": s.at,
                "age_s": round(max(0.0, now - s.at), 1),
                "last_kind": s.kind,
                "fps": s.fps,
                "state": s.state,
            }
            for s in seen.values()
        ]
        rows.sort(key=lambda r: (r["device_kind"], r["device_id"]))
        return web.json_response({"devices": rows, "now": now})

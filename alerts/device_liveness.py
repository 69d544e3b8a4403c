"""When each device was last heard from, in Redis: the terminal-silent check and the devices page read it.

Key `{prefix}device-seen` is a hash device id -> JSON {"at": receipt time, "kind": heartbeat|event|<type>,
"device_ts": the device's clock or null}. Receipt time, not the device's clock: a terminal with a wrong clock is
still alive, and silence is measured on our side.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import redis.asyncio as aioredis

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceSeen:
    device_id: str
    at: float
    kind: str
    device_ts: float | None = None


class DeviceLiveness:
    def __init__(self, client: aioredis.Redis, prefix: str = "sentinel:") -> None:
        self.redis = client
        self.key = f"{prefix}device-seen"

    async def mark(self, device_id: str, at: float, kind: str, device_ts: float | None = None) -> None:
        value = json.dumps({"at": at, "kind": kind, "device_ts": device_ts})
        await self.redis.hset(self.key, device_id, value)

    async def all(self) -> dict[str, DeviceSeen]:
        raw = await self.redis.hgetall(self.key)
        out: dict[str, DeviceSeen] = {}
        for name, value in raw.items():
            device_id = name.decode() if isinstance(name, bytes) else str(name)
            try:
                data = json.loads(value)
                out[device_id] = DeviceSeen(device_id, float(data["at"]), str(data["kind"]), data.get("device_ts"))
            except (ValueError, KeyError, TypeError):
                logger.warning("device-seen entry for %s is unreadable; ignored", device_id)
        return out

"""When each device was last heard from, in Redis: the terminal-silent check and the devices page read it.

Key `{prefix}device-seen` is a hash device id -> JSON {"at", "kind", "device_ts", "device_kind", "fps", "state"}.
Terminals: written by the receiver at receipt time (not the device's clock: a terminal with a wrong clock is
still alive, and silence is measured on our side), kind heartbeat / event / the unused event type. Cameras:
written by the devices stage once per picture check, at the frame's capture time, with the measured frame rate
and the picture state (learning, ok, covered, moved), and marked offline when the offline rule fires.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace

import redis.asyncio as aioredis

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceSeen:
    device_id: str
    at: float
    kind: str
    device_ts: float | None = None
    device_kind: str = "terminal"
    fps: float | None = None
    state: str = "ok"


class DeviceLiveness:
    def __init__(self, client: aioredis.Redis, prefix: str = "sentinel:") -> None:
        self.redis = client
        self.key = f"{prefix}device-seen"

    async def mark(self, device_id: str, at: float, kind: str, device_ts: float | None = None) -> None:
        """A terminal was heard (its state is ok again)."""
        await self.put(DeviceSeen(device_id, at, kind, device_ts))

    async def put(self, seen: DeviceSeen) -> None:
        fields = asdict(seen)
        del fields["device_id"]
        await self.redis.hset(self.key, seen.device_id, json.dumps(fields))

    async def set_state(self, device_id: str, state: str) -> None:
        """A rule's verdict on a device already seen (offline, silent); the last-heard time stays."""
        current = (await self.all()).get(device_id)
        if current is not None:
            await self.put(replace(current, state=state))

    async def all(self) -> dict[str, DeviceSeen]:
        raw = await self.redis.hgetall(self.key)
        out: dict[str, DeviceSeen] = {}
        for name, value in raw.items():
            device_id = name.decode() if isinstance(name, bytes) else str(name)
            try:
                data = json.loads(value)
                out[device_id] = DeviceSeen(
                    device_id,
                    float(data["at"]),
                    str(data["kind"]),
                    data.get("device_ts"),
                    str(data.get("device_kind", "terminal")),
                    data.get("fps"),
                    str(data.get("state", "ok")),
                )
            except (ValueError, KeyError, TypeError):
                logger.warning("device-seen entry for %s is unreadable; ignored", device_id)
        return out

"""One-time acknowledge links for push buttons: a phone can acknowledge an alert from the notification itself.

A token is random (256 bits), bound to one alert and one channel, single-use (GETDEL) and expires; it grants
nothing but acknowledging that alert. Keys: ack-token:{token} -> JSON {alert_id, channel}.
"""

from __future__ import annotations

import json
import secrets

import redis.asyncio as aioredis


class AckTokens:
    def __init__(self, client: aioredis.Redis, ttl_s: int, prefix: str = "sentinel:") -> None:
        self.redis = client
        self.ttl_s = ttl_s
        self.prefix = prefix

    async def issue(self, alert_id: str, channel: str) -> str:
        token = secrets.token_urlsafe(32)
        value = json.dumps({"alert_id": alert_id, "channel": channel})
        await self.redis.set(f"{self.prefix}ack-token:{token}", value, ex=self.ttl_s)
        return token

    async def redeem(self, token: str) -> tuple[str, str] | None:
        """(alert id, channel) once; None for an unknown, used or expired token."""
        raw = await self.redis.getdel(f"{self.prefix}ack-token:{token}")
        if not raw:
            return None
        data = json.loads(raw)
        return str(data["alert_id"]), str(data["channel"])

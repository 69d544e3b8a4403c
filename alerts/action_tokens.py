"""One-time action links for push buttons: a phone takes a step on an alert from the notification itself.

A token is random (256 bits), bound to one alert, one channel, one action and (for a responder's buttons) one
account; it is single-use (GETDEL), expires, and grants nothing but that step on that alert. The officers'
"Acknowledge" button carries one with no account (recorded as "<channel> button"); a dispatched responder's
"On my way" / "On scene" / "Resolved" buttons carry one each, bound to them. Keys: ack-token:{token} -> JSON
{alert_id, channel, action, by} (the key keeps its first name, so links sent before the generalisation work).
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass

import redis.asyncio as aioredis

from alerts.lifecycle import Action

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Grant:
    """What a redeemed token allows: `action` on `alert_id`, by `by` (None: whoever holds the officers' channel)."""

    alert_id: str
    channel: str
    action: Action
    by: str | None = None


class ActionTokens:
    def __init__(self, client: aioredis.Redis, ttl_s: int, prefix: str = "sentinel:") -> None:
        self.redis = client
        self.ttl_s = ttl_s
        self.prefix = prefix

    async def issue(
        self, alert_id: str, channel: str, action: Action = Action.ACKNOWLEDGE, by: str | None = None
    ) -> str:
        token = secrets.token_urlsafe(32)
        value = json.dumps({"alert_id": alert_id, "channel": channel, "action": action.value, "by": by})
        await self.redis.set(f"{self.prefix}ack-token:{token}", value, ex=self.ttl_s)
        return token

    async def redeem(self, token: str, alert_id: str | None = None) -> Grant | None:
        """The grant, once; None for an unknown, used or expired token, or one presented for another alert (which
        also burns it: whoever holds a link and aims it elsewhere should not get a second try)."""
        raw = await self.redis.getdel(f"{self.prefix}ack-token:{token}")
        if not raw:
            return None
        data = json.loads(raw)
        grant = Grant(
            str(data["alert_id"]), str(data["channel"]), Action(data.get("action", "acknowledge")), data.get("by")
        )
        if alert_id is not None and alert_id != grant.alert_id:
            logger.warning("a %s link for alert %s was presented for alert %s", grant.channel, grant.alert_id, alert_id)
            return None
        return grant

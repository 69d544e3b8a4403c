"""Web Push: browsers that enabled notifications in the console get each pushed alert, even when it is closed.

Subscriptions (the browser's endpoint and keys) are kept in Redis per user; sends go through pywebpush, which
encrypts the payload (RFC 8291, aes128gcm) and signs a VAPID JWT (RFC 8292). A subscription the push service
says is gone (404/410) is dropped. Keys: push:subs hash of endpoint hash -> subscription JSON.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any, cast

import aiohttp
import redis.asyncio as aioredis
from pydantic import BaseModel, ConfigDict, Field
from pywebpush import WebPushException, webpush_async

from alerts.config import PushPolicy, WebPushConfig
from alerts.delivery.channels import DeliveryError, check_may_send
from alerts.delivery.push import push_payload, title
from alerts.models import Alert

logger = logging.getLogger(__name__)


class SubscriptionKeys(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    p256dh: str = Field(min_length=16, max_length=200)
    auth: str = Field(min_length=8, max_length=100)


class PushSubscription(BaseModel):
    """What the browser's PushManager.subscribe() returns (its JSON form), plus who subscribed."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    endpoint: str = Field(pattern=r"^https?://", max_length=2000)
    keys: SubscriptionKeys
    username: str = ""

    @property
    def id(self) -> str:
        return hashlib.sha256(self.endpoint.encode()).hexdigest()[:32]


class PushSubscriptions:
    def __init__(self, client: aioredis.Redis, prefix: str = "sentinel:") -> None:
        self.redis = client
        self.key = prefix + "push:subs"

    async def add(self, subscription: PushSubscription) -> None:
        await self.redis.hset(self.key, subscription.id, subscription.model_dump_json())  # type: ignore[misc]

    async def remove(self, subscription_id: str) -> None:
        await self.redis.hdel(self.key, subscription_id)  # type: ignore[misc]

    async def all(self) -> list[PushSubscription]:
        raw = cast(dict[bytes, bytes], await self.redis.hgetall(self.key))  # type: ignore[misc]
        return [PushSubscription.model_validate_json(v) for v in raw.values()]


class WebPushChannel:
    def __init__(self, config: WebPushConfig, subscriptions: PushSubscriptions, console_url: str | None) -> None:
        self.config = config
        self.name = config.name
        self.push_policy: PushPolicy = config.push
        self.subscriptions = subscriptions
        self.console_url = console_url
        self._session: aiohttp.ClientSession | None = None

    def wants(self, event: Alert) -> bool:
        return event.severity in self.push_policy.severities

    def payload(self, event: Alert) -> dict[str, Any]:
        """What the service worker shows: title, body, the snapshot as image, and where a tap leads."""
        data = push_payload(event, self.console_url)
        return {
            "title": title(event),
            "body": event.message,
            "url": data.get("url", f"/alerts/{event.alert_id}"),
            "image": data.get("snapshot_url", f"/api/alerts/{event.alert_id}/snapshot"),
            "alert_id": event.alert_id,
            "severity": event.severity.value,
            # the service worker's "Play clip" action; door alerts have no clip
            "clip": data.get("clip_url", f"/api/alerts/{event.alert_id}/clip") if "dwell_s" in data else None,
        }

    async def send(self, event: Alert) -> int:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.timeout_s))
        subscriptions = await self.subscriptions.all()
        if not subscriptions:
            return 1  # nobody subscribed: nothing to deliver, nothing failed
        await check_may_send(f"{self.name} {event.event_id}")  # the subscriptions came from Redis: a pause point
        body = json.dumps(self.payload(event))
        results = await asyncio.gather(*(self._push(s, body) for s in subscriptions))
        failures = [r for r in results if r]
        if len(failures) == len(subscriptions):
            raise DeliveryError(f"{self.name}: every push failed: {failures[0]}")
        return 1

    async def send_to(self, event: Alert, username: str) -> int:
        """A dispatch: the alert, with its clip link, to one responder's own subscribed phones; how many got it."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.timeout_s))
        theirs = [s for s in await self.subscriptions.all() if s.username == username]
        payload = self.payload(event)
        payload["title"] = "Dispatched to you: " + str(payload["title"])
        results = await asyncio.gather(*(self._push(s, json.dumps(payload)) for s in theirs))
        for reason in (r for r in results if r):
            logger.warning("alert %s: dispatch push to %s failed: %s", event.alert_id, username, reason)
        return sum(1 for r in results if not r)

    async def _push(self, subscription: PushSubscription, body: str) -> str:
        """Empty when delivered (or the subscription is gone and dropped); else the reason."""
        claims: dict[str, str | int] = {"sub": self.config.subject}
        try:
            reply = await webpush_async(
                subscription_info=subscription.model_dump(exclude={"username"}),
                data=body,
                vapid_private_key=self.config.vapid_private_key.get_secret_value(),
                vapid_claims=claims,
                ttl=self.config.ttl_s,
                aiohttp_session=self._session,
            )
        except WebPushException as exc:
            status = exc.response.status if exc.response is not None else None
            if status in (404, 410):
                logger.info("push subscription %s is gone; dropped", subscription.id)
                await self.subscriptions.remove(subscription.id)
                return ""
            return f"HTTP {status}: {exc}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}"
        logger.debug("pushed to %s: HTTP %s", subscription.id, getattr(reply, "status", "?"))
        return ""

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def generate_vapid_keys() -> tuple[str, str]:
    """(private, public) as base64url: the private key for the config, the public one for browsers."""
    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid02, b64urlencode

    vapid = Vapid02()
    vapid.generate_keys()
    private_value = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    public = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(private_value), b64urlencode(public)

"""HTTP receiver for access controllers: Hikvision ISAPI event pushes and the generic/ONVIF JSON format.

POST /access/hikvision   ISAPI notifications as terminals send them: JSON, XML `EventNotificationAlert`, the JSON
                         wrapped in `EventNotificationAlert`, or multipart with a picture. Heartbeats (and any
                         other event type) are answered 200: heartbeats are recorded as liveness, other types
                         counted; neither is published as a door event.
POST /access/events      one generic or ONVIF-style JSON object (see README, "Door access")
/api/watchlist           the watch-list API (streams.watchlist_api), when access.receiver.admin_token is set
Credentials: `Authorization: Bearer <token>` or `?token=<token>` (terminals that cannot set headers). A device with
its own token must use it. Every refusal is a 4xx with the reason in JSON; parse failures are also dead-lettered.
A device event is accepted once: repeats (same serialNo) answer 200 "duplicate" and publish nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from alerts.access.watchlist import WatchList
from alerts.device_liveness import DeviceLiveness
from alerts.store import AlertStore
from alerts.web_site import WebSite
from detectors.access.types import AccessEvent
from streams.access.config import AccessConfig
from streams.access.generic import parse_access_object
from streams.access.notices import DeviceNotice, NoticeKind, parse_isapi
from streams.access.vendor import (
    AccessFormatError,
    AccessNormaliser,
    PayloadTooLarge,
    UnknownDevice,
    VendorEvent,
    pseudonym_key,
)
from streams.access.watchlist_api import WatchListApi
from streams.ops.observability import Metrics

logger = logging.getLogger(__name__)

Publish = Callable[[AccessEvent], Awaitable[None]]
DeadLetter = Callable[[str, bytes], Awaitable[None]]


class ReceiverConfigError(ValueError):
    """The receiver cannot run safely with this configuration."""


class AccessReceiver:
    def __init__(
        self,
        config: AccessConfig,
        site_id: str,
        store: AlertStore,
        publish: Publish,
        dead_letter: DeadLetter,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.normaliser = AccessNormaliser(config, site_id)
        self.store = store
        self.publish = publish
        self.dead_letter = dead_letter
        self.metrics = metrics or Metrics()
        self.liveness = DeviceLiveness(store.redis, store.prefix)
        self._site = WebSite()
        self._site_token = config.receiver.token.get_secret_value() if config.receiver.token else None
        self._device_tokens = {d.id: d.token.get_secret_value() for d in config.devices if d.token is not None}
        if self._site_token is None and (not config.devices or len(self._device_tokens) < len(config.devices)):
            raise ReceiverConfigError(
                "the access receiver needs access.receiver.token (SENTINEL_ACCESS__RECEIVER__TOKEN) "
                "unless every device has its own token"
            )

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.config.receiver.max_body_bytes)
        app.router.add_post("/access/hikvision", self._hikvision)
        app.router.add_post("/access/events", self._generic)
        admin = self.config.receiver.admin_token
        if admin is not None:
            key = pseudonym_key(self.config, self.normaliser.site_id)
            WatchListApi(WatchList(self.store.redis, self.store.prefix), key, admin.get_secret_value()).add_routes(app)
        return app

    async def start(self, host: str, port: int) -> int:
        bound = await self._site.start(self.app(), host, port)
        logger.info("access receiver listening on %s:%s", host, bound)
        return bound

    async def stop(self) -> None:
        await self._site.stop()

    async def _hikvision(self, request: web.Request) -> web.Response:
        async def parse(body: bytes) -> VendorEvent | DeviceNotice:
            codes = self.config.hikvision_codes
            content_type = request.headers.get("Content-Type", "")  # with its boundary parameter
            return parse_isapi(body, content_type, codes, self.config.receiver.max_picture_bytes)

        return await self._receive(request, parse)

    async def _generic(self, request: web.Request) -> web.Response:
        async def parse(body: bytes) -> VendorEvent:
            try:
                payload = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise AccessFormatError(f"body is not valid JSON: {exc}") from None
            return parse_access_object(payload, self.config.hikvision_codes, self.config.receiver.max_picture_bytes)

        return await self._receive(request, parse)

    async def _receive(
        self, request: web.Request, parse: Callable[[bytes], Awaitable[VendorEvent | DeviceNotice]]
    ) -> web.Response:
        token = _presented_token(request)
        if token is None or not self._known_token(token):
            return self._refuse(401, "missing or wrong token")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(413, f"body over the limit of {self.config.receiver.max_body_bytes} bytes")
        try:
            vendor = await parse(body)
            if isinstance(vendor, DeviceNotice):
                return await self._notice(vendor, token)
            event = self.normaliser.normalise(vendor, received_at=time.time())
        except UnknownDevice as exc:
            await self.dead_letter(f"access receiver: {exc}", body)
            return self._refuse(403, str(exc))
        except PayloadTooLarge as exc:
            return self._refuse(413, str(exc))
        except AccessFormatError as exc:
            await self.dead_letter(f"access receiver: {exc}", body)
            return self._refuse(400, str(exc))
        own = self._device_tokens.get(event.device_id)
        if own is not None and not hmac.compare_digest(own, token):
            return self._refuse(403, f"device {event.device_id} must present its own token")
        try:
            if await self.store.redis.exists(self._seen_key(event)):
                return _json(200, {"status": "duplicate", "event_id": event.event_id})
            if vendor.picture:
                key = await self.store.put_access_picture(event.event_id, vendor.picture, self.config.picture_ttl_s)
                event = event.model_copy(update={"picture_key": key})
        except RedisError as exc:  # the device keeps the event and retries on a 5xx
            logger.warning("access event %s not taken: Redis unavailable (%s)", event.event_id, exc)
            return self._refuse(503, "store unavailable; retry later")
        try:
            await self.publish(event)
        except Exception as exc:
            logger.warning("access event %s not published: %s", event.event_id, exc)
            return self._refuse(503, "event bus unavailable; retry later")
        try:
            await self.store.redis.set(self._seen_key(event), 1, ex=self.config.dedupe_ttl_s)
            await self.liveness.mark(event.device_id, time.time(), "event", event.device_ts)
        except RedisError as exc:  # published: a repeat would be dropped by the access stage's own dedupe
            logger.warning("access event %s published but not marked seen: %s", event.event_id, exc)
        logger.info(
            "access event %s: door %s %s (%s)",
            event.event_id,
            event.door_id,
            event.result.value,
            event.vendor_event,
            extra={"stage": "access"},
        )
        return _json(200, {"status": "accepted", "event_id": event.event_id})

    async def _notice(self, notice: DeviceNotice, token: str) -> web.Response:
        """Heartbeats and other event types: 200 so the device neither retries nor backs off; nothing published."""
        device = self.normaliser.device_for(notice.device_hints)
        if device is None and not self.config.accept_unknown_devices and notice.kind is NoticeKind.HEARTBEAT:
            shown = {k: v for k, v in notice.device_hints.items() if v}
            return self._refuse(403, f"device not registered for site {self.normaliser.site_id}: {shown}")
        own = self._device_tokens.get(device.id) if device is not None else None
        if own is not None and not hmac.compare_digest(own, token):
            return self._refuse(403, f"device {device.id if device else '?'} must present its own token")
        if notice.kind is NoticeKind.UNHANDLED:
            self.metrics.access_unhandled.labels(notice.event_type).inc()
            logger.info("access notification of type %s not used; answered 200", notice.event_type)
        if device is not None:
            try:
                await self.liveness.mark(device.id, time.time(), notice.kind.value, notice.device_ts)
            except RedisError as exc:  # a missed heartbeat is harmless: the next one records it
                logger.warning("liveness of %s not recorded: %s", device.id, exc)
        status = "alive" if notice.kind is NoticeKind.HEARTBEAT else "ignored"
        return _json(200, {"status": status, "event_type": notice.event_type})

    def _known_token(self, token: str) -> bool:
        candidates = [t for t in (self._site_token, *self._device_tokens.values()) if t]
        return any(hmac.compare_digest(token, candidate) for candidate in candidates)

    def _seen_key(self, event: AccessEvent) -> str:
        return f"{self.store.prefix}access-seen:{event.event_id}"

    def _refuse(self, status: int, reason: str) -> web.Response:
        self.metrics.access_rejected.labels(str(status)).inc()
        logger.warning("access event refused (%s): %s", status, reason)
        return _json(status, {"status": "refused", "reason": reason})


def _presented_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.query.get("token") or None


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)

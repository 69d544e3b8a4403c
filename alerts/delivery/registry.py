"""The delivery channels a site's config asks for, built here so the runtime only asks for "the channels".

Each channel type registers one builder; a builder reads its own config section and returns its channels
(none when the section is absent). A new channel is one module plus one line in `BUILDERS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from alerts.action_tokens import ActionTokens
from alerts.config import AlertsConfig
from alerts.delivery.channels import Channel, WebhookChannel
from alerts.delivery.push import MqttChannel, NtfyChannel
from alerts.delivery.webpush import PushSubscriptions, WebPushChannel
from alerts.store import AlertStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelContext:
    """What a builder may use besides its config section: the site, the store (Redis) and the console's URL."""

    config: AlertsConfig
    site_id: str
    store: AlertStore

    @property
    def console_url(self) -> str | None:
        url = self.config.console.public_url
        return str(url) if url else None


def _webhooks(ctx: ChannelContext) -> list[Channel]:
    return [WebhookChannel(webhook, ctx.console_url) for webhook in ctx.config.webhooks]


def _mqtt(ctx: ChannelContext) -> list[Channel]:
    mqtt = ctx.config.mqtt
    return [] if mqtt is None else [MqttChannel(mqtt, ctx.site_id, ctx.console_url)]


def _ntfy(ctx: ChannelContext) -> list[Channel]:
    ntfy = ctx.config.ntfy
    if ntfy is None:
        return []
    tokens = ActionTokens(ctx.store.redis, ctx.config.console.session_ttl_s, ctx.store.prefix)
    return [NtfyChannel(ntfy, tokens)]


def _webpush(ctx: ChannelContext) -> list[Channel]:
    webpush = ctx.config.webpush
    if webpush is None:
        return []
    return [WebPushChannel(webpush, PushSubscriptions(ctx.store.redis, ctx.store.prefix), ctx.console_url)]


BUILDERS: dict[str, Callable[[ChannelContext], list[Channel]]] = {
    "webhook": _webhooks,
    "mqtt": _mqtt,
    "ntfy": _ntfy,
    "webpush": _webpush,
}


def build_channels(config: AlertsConfig, site_id: str, store: AlertStore) -> list[Channel]:
    """Every configured channel, in registry order."""
    ctx = ChannelContext(config, site_id, store)
    channels = [channel for build in BUILDERS.values() for channel in build(ctx)]
    logger.info("delivery channels: %s", ", ".join(channel.name for channel in channels) or "none")
    return channels

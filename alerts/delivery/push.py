"""Phone-facing channels: MQTT and ntfy, with the push rule officers asked for.

Push rule: an officer's phone hears of an incident once, when it starts; an update only when the severity
rises (a linked watch-list entry turning it red); never its end. Webhooks, which feed machines, get every step.
MQTT payload (topic `<prefix>/<site>/alerts/<severity>`, JSON): `push_payload` below.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from typing import Any

import aiohttp
import aiomqtt

from alerts.action_tokens import ActionTokens
from alerts.config import MqttConfig, NtfyConfig, PushPolicy
from alerts.delivery.channels import DeliveryError, RetryPolicy, check_may_send, post_with_retries
from alerts.models import Alert, AlertEvent, AlertPhase, Severity

logger = logging.getLogger(__name__)

SEVERITY_RANK = {Severity.GREEN: 0, Severity.YELLOW: 1, Severity.RED: 2}


def should_push(event: Alert, policy: PushPolicy, last_pushed: Severity | None) -> bool:
    """The push rule, pure: start once; an update only when the severity rises above what was pushed."""
    if event.severity not in policy.severities or event.phase is AlertPhase.END:
        return False
    if event.phase is AlertPhase.START:
        return last_pushed is None
    return last_pushed is None or SEVERITY_RANK[event.severity] > SEVERITY_RANK[last_pushed]


def push_payload(event: Alert, console_url: str | None = None) -> dict[str, Any]:
    """What a phone or a platform needs to show the alert: no boxes, no raw identifiers."""
    payload: dict[str, Any] = {
        "alert_id": event.alert_id,
        "event_id": event.event_id,
        "phase": event.phase.value,
        "rule": event.rule,
        "severity": event.severity.value,
        "risk_tier": event.risk_tier,
        "site_id": event.site_id,
        "source": event.source_id,
        "title": title(event),
        "message": event.message,
        "started_at": event.started_at,
        "ts": event.ts,
        "linked_entries": [e.model_dump(mode="json") for e in event.linked_entries],
    }
    if isinstance(event, AlertEvent):
        payload["dwell_s"] = event.dwell_s
        payload["zone"] = event.zone
        payload["risk_score"] = event.risk_score
        payload["risk_reasons"] = list(event.risk_reasons)
    if console_url:
        base = console_url.rstrip("/")
        payload["url"] = f"{base}/alerts/{event.alert_id}"
        payload["snapshot_url"] = f"{base}/api/alerts/{event.alert_id}/snapshot"
        if isinstance(event, AlertEvent):  # built just after the push goes out; the link works once it is ready
            payload["clip_url"] = f"{base}/api/alerts/{event.alert_id}/clip"
    return payload


def action_url(console_url: str, alert_id: str, token: str) -> str:
    """Where a notification's one-time button POSTs (alerts/action_tokens.py): the alert is in the path, so a
    link aimed at another alert is refused."""
    return f"{console_url.rstrip('/')}/api/act/{alert_id}/{token}"


def title(event: Alert) -> str:
    what = {"loitering": "Person at parked car", "watchlist_entry": "Watch-listed person at a door"}.get(
        event.rule, event.rule.replace("_", " ").capitalize()
    )
    raised = " (raised)" if event.phase is AlertPhase.UPDATE else ""
    return f"[{event.severity.value.upper()}] {what}{raised}"


class MqttChannel:
    """Publishes each pushed step with QoS 1 (by default); a connection per publish, retried with backoff."""

    def __init__(self, config: MqttConfig, site_id: str, console_url: str | None = None) -> None:
        self.config = config
        self.name = config.name
        self.push_policy: PushPolicy = config.push
        self.site_id = site_id
        self.console_url = console_url

    def topic(self, event: Alert) -> str:
        return f"{self.config.topic_prefix}/{event.site_id}/alerts/{event.severity.value}"

    def wants(self, event: Alert) -> bool:
        return event.severity in self.push_policy.severities

    async def send(self, event: Alert) -> int:
        body = json.dumps(push_payload(event, self.console_url))
        password = self.config.password.get_secret_value() if self.config.password else None
        delay, last_error = 0.5, ""
        for attempt in range(1, 4):
            await check_may_send(f"{self.name} {event.event_id}")
            try:
                async with aiomqtt.Client(
                    self.config.host,
                    self.config.port,
                    username=self.config.username,
                    password=password,
                    tls_context=ssl.create_default_context() if self.config.tls else None,
                    timeout=5,
                ) as client:
                    await client.publish(self.topic(event), body, qos=self.config.qos, retain=self.config.retain)
                return attempt
            except (aiomqtt.MqttError, OSError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                logger.warning("mqtt %s attempt %s for %s failed: %s", self.name, attempt, event.event_id, last_error)
                await asyncio.sleep(delay)
                delay *= 2
        raise DeliveryError(f"{self.name}: gave up after 3 attempts: {last_error}")

    async def close(self) -> None:
        return None


class NtfyChannel:
    """ntfy JSON publishing: title, message, priority, tags, a click-through, and 'Open' and 'Acknowledge'
    buttons (the latter a one-time link the ntfy server POSTs to the console, when tokens are given)."""

    def __init__(self, config: NtfyConfig, tokens: ActionTokens | None = None) -> None:
        self.config = config
        self.tokens = tokens
        self.name = config.name
        self.push_policy: PushPolicy = config.push
        self._session: aiohttp.ClientSession | None = None

    def wants(self, event: Alert) -> bool:
        return event.severity in self.push_policy.severities

    async def message(self, event: Alert) -> dict[str, Any]:
        body: dict[str, Any] = {
            "topic": self.config.topic,
            "title": title(event),
            "message": event.message,
            "priority": 5 if event.severity is Severity.RED else 4,
            "tags": ["rotating_light" if event.severity is Severity.RED else "warning", event.rule],
        }
        if self.config.console_url is not None:
            page = f"{str(self.config.console_url).rstrip('/')}/alerts/{event.alert_id}"
            body["click"] = page
            body["actions"] = [{"action": "view", "label": "Open", "url": page, "clear": False}]
            if self.tokens is not None:
                token = await self.tokens.issue(event.alert_id, self.name)
                ack = action_url(str(self.config.console_url), event.alert_id, token)
                body["actions"].append(
                    {"action": "http", "label": "Acknowledge", "url": ack, "method": "POST", "clear": True}
                )
            if isinstance(event, AlertEvent):
                clip = f"{str(self.config.console_url).rstrip('/')}/api/alerts/{event.alert_id}/clip"
                body["actions"].append({"action": "view", "label": "Clip", "url": clip, "clear": False})
        return body

    async def send(self, event: Alert) -> int:
        return await self.publish(await self.message(event))

    async def publish(self, message: dict[str, Any]) -> int:
        """POST one ntfy JSON message (its topic inside) to the server, with retries; the attempts it took.
        A dispatch uses it too, with the responder's own topic: the server and token are the site's."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.timeout_s))
        headers = {"Content-Type": "application/json"}
        if self.config.token is not None:
            headers["Authorization"] = f"Bearer {self.config.token.get_secret_value()}"
        body = json.dumps(message).encode()
        policy = RetryPolicy(self.config.max_attempts, 0.5)
        return await post_with_retries(self._session, str(self.config.url), body, headers, policy, self.name)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

"""A dispatch reaches the chosen responder on their own channels: Web Push to the phones they subscribed, and
ntfy on their own topic with one-time "On my way" / "On scene" / "Resolved" buttons.

The ntfy server and its token are the site's (`alerts.ntfy`); only the topic is the responder's, kept with their
account. A topic is a secret (anyone who knows it can read it): it is validated, and only ever logged masked.
ntfy shows at most three buttons, so the three steps are the buttons, a tap opens the alert page and the clip's
link is in the text. A responder with no channel at all is reported, so the officer knows the push went nowhere.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from alerts.action_tokens import ActionTokens
from alerts.config import RESPONDER_TOPIC
from alerts.delivery.channels import DeliveryError
from alerts.delivery.push import NtfyChannel, action_url, title
from alerts.delivery.webpush import WebPushChannel
from alerts.lifecycle import Action
from alerts.models import Alert, AlertEvent, Severity

logger = logging.getLogger(__name__)

# (action, label, clear the notification once pressed): the last step clears it, the others leave the rest
BUTTONS = (
    (Action.ON_MY_WAY, "On my way", False),
    (Action.ON_SCENE, "On scene", False),
    (Action.RESOLVE, "Resolved", True),
)


def valid_topic(topic: str) -> bool:
    return re.fullmatch(RESPONDER_TOPIC, topic) is not None


def masked(topic: str) -> str:
    """Enough to tell two topics apart in a log or on a page, not enough to read them: 'k3Xa…(24)'."""
    return f"{topic[:4]}…({len(topic)})"


def new_topic() -> str:
    """A random topic (32 characters, ~190 bits) for a responder who has none."""
    return secrets.token_urlsafe(24)


def dispatch_message(event: Alert, topic: str, console_url: str | None, buttons: dict[Action, str]) -> dict[str, Any]:
    """The ntfy JSON for a dispatch, pure: `buttons` maps each step to its one-time URL (none without a console URL)."""
    lines = [event.message] if event.message else []
    body: dict[str, Any] = {
        "topic": topic,
        "title": "Dispatched to you: " + title(event),
        "priority": 5 if event.severity is Severity.RED else 4,
        "tags": ["oncoming_police_car", event.rule],
    }
    if console_url:
        base = console_url.rstrip("/")
        body["click"] = f"{base}/alerts/{event.alert_id}"
        lines.append(f"Alert: {body['click']}")
        if isinstance(event, AlertEvent):  # door alerts have no clip
            lines.append(f"Clip: {base}/api/alerts/{event.alert_id}/clip")
        body["actions"] = [
            {"action": "http", "label": label, "url": buttons[action], "method": "POST", "clear": clear}
            for action, label, clear in BUTTONS
            if action in buttons
        ]
    body["message"] = "\n".join(lines) or title(event)
    return body


@dataclass
class DispatchReport:
    """What a dispatch push did: the channels that reached the responder, those that failed, and a note for the
    officer when it reached nobody."""

    reached: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"reached": self.reached, "failed": self.failed, "note": self.note}


class DispatchPush:
    def __init__(
        self,
        tokens: ActionTokens,
        webpush: WebPushChannel | None = None,
        ntfy: NtfyChannel | None = None,
        console_url: str | None = None,
    ) -> None:
        self.tokens = tokens
        self.webpush = webpush
        self.ntfy = ntfy
        self.console_url = console_url

    @property
    def ntfy_server(self) -> str | None:
        """Where a responder subscribes to their topic (shown on their profile page)."""
        return str(self.ntfy.config.url) if self.ntfy is not None else None

    async def channels_of(self, username: str, topic: str | None) -> list[str]:
        """The channels a dispatch to this account would go out on (none: the officer is told)."""
        out = []
        if self.webpush is not None and any(s.username == username for s in await self.webpush.subscriptions.all()):
            out.append(self.webpush.name)
        if self.ntfy is not None and topic:
            out.append(self.ntfy.name)
        return out

    async def send(self, event: Alert, username: str, topic: str | None) -> DispatchReport:
        report = DispatchReport()
        channels = await self.channels_of(username, topic)
        if self.webpush is not None and self.webpush.name in channels:
            phones = await self.webpush.send_to(event, username)
            (report.reached if phones else report.failed).append(self.webpush.name)
        if self.ntfy is not None and topic and self.ntfy.name in channels:
            try:
                await self.ntfy.publish(await self._ntfy_message(event, username, topic))
                report.reached.append(self.ntfy.name)
            except DeliveryError as exc:
                logger.warning(
                    "alert %s: dispatch to %s on ntfy %s failed: %s", event.alert_id, username, masked(topic), exc
                )
                report.failed.append(self.ntfy.name)
        if not channels:
            report.note = f"{username} has no push channel"
            if topic and self.ntfy is None:
                report.note += " (an ntfy topic is set, but alerts.ntfy is not configured)"
        elif not report.reached:
            report.note = f"the push to {username} failed ({', '.join(report.failed)})"
        logger.info("alert %s dispatched to %s: pushed on %s", event.alert_id, username, report.reached or "nothing")
        return report

    async def _ntfy_message(self, event: Alert, username: str, topic: str) -> dict[str, Any]:
        buttons: dict[Action, str] = {}
        channel = self.ntfy.name if self.ntfy is not None else "ntfy"
        if self.console_url:
            for action, _label, _clear in BUTTONS:
                token = await self.tokens.issue(event.alert_id, channel, action, by=username)
                buttons[action] = action_url(self.console_url, event.alert_id, token)
        return dispatch_message(event, topic, self.console_url, buttons)

    async def close(self) -> None:
        for channel in (self.webpush, self.ntfy):
            if channel is not None:
                await channel.close()

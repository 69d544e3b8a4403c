"""Delivery channels: a small Sink-like interface, a webhook implementation and an in-memory one for tests.

Officer-facing channels (console, push, MQTT) plug in by implementing `Channel`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from alerts.config import PushPolicy, WebhookConfig
from alerts.models import Alert, AlertEvent

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Sentinel-Signature"
CLIP_HEADER = "X-Sentinel-Clip"  # console URL (or path, without console.public_url) of the evidence clip


class DeliveryError(RuntimeError):
    """A channel gave up on an event after its retries; the message says why."""


class Superseded(DeliveryError):
    """The worker lost its delivery claim on the step (another worker sends it): this one stops sending."""


# Set by the delivery stage around one channel's send: whether this worker may still send the step (its delivery
# claim). Channels that retry ask it before every attempt, so an attempt after a freeze (a backoff sleep, a token
# issued first) is not sent once another worker took the step over. Unset (tests, escalation): always allowed.
may_send: ContextVar[Callable[[], Awaitable[bool]] | None] = ContextVar("may_send", default=None)


async def check_may_send(what: str) -> None:
    """Raise Superseded when this worker's claim on the step is gone; right before a send attempt."""
    allowed = may_send.get()
    if allowed is not None and not await allowed():
        raise Superseded(f"{what}: another worker took the step over; not sent")


class Channel(Protocol):
    """One way an alert step leaves the system (Quix Streams' sink, narrowed to what delivery needs)."""

    name: str

    @property
    def push_policy(self) -> PushPolicy | None:
        """Phone channels (push, MQTT, ntfy) carry one: an incident reaches a phone once, and again only when its
        severity rises. Machine channels (webhooks, the replay's memory) have none and get every step they want."""

    def wants(self, event: Alert) -> bool:
        """Whether this channel is interested in this step of the alert."""

    async def send(self, event: Alert) -> int:
        """Deliver the event; return the number of attempts it took or raise DeliveryError."""

    async def close(self) -> None:
        """Release connections."""


class MemoryChannel:
    """Keeps what it was sent; for tests and for the replay's own bookkeeping."""

    push_policy: PushPolicy | None = None

    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self.sent: list[Alert] = []

    def wants(self, event: Alert) -> bool:
        return True

    async def send(self, event: Alert) -> int:
        self.sent.append(event)
        return 1

    async def close(self) -> None:
        return None


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    backoff_s: float  # the first wait; doubles after each failed attempt


async def post_with_retries(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str], policy: RetryPolicy, what: str
) -> int:
    """POST until a 2xx, retrying network errors, 429 and 5xx with exponential backoff; returns the attempts taken.

    A 4xx other than 429 means the receiver refuses this body, so retrying cannot help: it fails at once.
    """
    delay, last_error, attempt = policy.backoff_s, "", 0
    for attempt in range(1, policy.attempts + 1):
        await check_may_send(what)
        try:
            async with session.post(url, data=body, headers=headers) as response:
                if response.status < 300:
                    return attempt
                last_error = f"HTTP {response.status}"
                if response.status < 500 and response.status != 429:
                    break
        except (TimeoutError, aiohttp.ClientError) as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        logger.warning("%s: attempt %s failed: %s", what, attempt, last_error)
        if attempt < policy.attempts:
            await asyncio.sleep(delay)
            delay *= 2
    raise DeliveryError(f"{what}: gave up after {attempt} attempt(s): {last_error}")


class WebhookChannel:
    """POSTs the event JSON; retries with exponential backoff on network errors and 5xx/429 answers."""

    push_policy: PushPolicy | None = None  # a machine receiver: every step it asks for

    def __init__(self, config: WebhookConfig, console_url: str | None = None) -> None:
        self.config = config
        self.console_url = console_url.rstrip("/") if console_url else ""
        self.name = config.name or f"webhook:{config.url.host}"
        self._session: aiohttp.ClientSession | None = None

    def wants(self, event: Alert) -> bool:
        return event.phase in self.config.phases

    async def send(self, event: Alert) -> int:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.timeout_s))
        body = event.model_dump_json().encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": event.event_id}
        if isinstance(event, AlertEvent):  # the body is the alert record itself; where its evidence clip will be
            headers[CLIP_HEADER] = f"{self.console_url}/api/alerts/{event.alert_id}/clip"
        if self.config.secret is not None:
            headers[SIGNATURE_HEADER] = sign(body, self.config.secret.get_secret_value())
        return await post_with_retries(
            self._session,
            str(self.config.url),
            body,
            headers,
            RetryPolicy(self.config.max_attempts, self.config.backoff_s),
            f"{self.name} {event.event_id}",
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

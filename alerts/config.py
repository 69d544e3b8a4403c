"""Settings of the alert store and the delivery channels."""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr, model_validator

from alerts.models import AlertPhase, Severity
from detectors.base import StrictModel

CHANNEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
# A responder's own ntfy topic: anyone who knows a topic can read it, so it is as long as a password
RESPONDER_TOPIC = r"^[A-Za-z0-9_-]{16,64}$"


class WebhookConfig(StrictModel):
    name: str | None = Field(default=None, pattern=CHANNEL_NAME, description="Channel name (default webhook:<host>)")
    url: AnyHttpUrl = Field(description="Receiver of alert events as JSON POSTs")
    secret: SecretStr | None = Field(
        default=None, description="When set, each body is signed: X-Sentinel-Signature: sha256=<hex HMAC>"
    )
    phases: tuple[AlertPhase, ...] = Field(
        default=(AlertPhase.START, AlertPhase.UPDATE, AlertPhase.END), description="Which alert steps are sent"
    )
    timeout_s: float = Field(default=5.0, gt=0.0, le=120.0, description="Per-attempt HTTP timeout")
    max_attempts: int = Field(default=5, ge=1, le=20, description="Attempts before a delivery is logged as failed")
    backoff_s: float = Field(default=0.5, ge=0.0, le=60.0, description="First retry delay; doubles each attempt")


class PushPolicy(StrictModel):
    """Which alert steps reach officers' phones: the start, and an update only when the severity rises."""

    severities: tuple[Severity, ...] = Field(
        default=(Severity.RED, Severity.YELLOW), min_length=1, description="Severities pushed to this channel"
    )


class MqttConfig(StrictModel):
    name: str = Field(default="mqtt", pattern=CHANNEL_NAME)
    host: str = Field(default="127.0.0.1", description="MQTT broker (Mosquitto, EMQX, the platform's own)")
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    tls: bool = Field(default=False, description="TLS to the broker (port 8883 usually)")
    topic_prefix: str = Field(
        default="sentinel", pattern=r"^[^#+]{1,100}$", description="Publishes to <prefix>/<site>/alerts/<severity>"
    )
    qos: int = Field(default=1, ge=0, le=2)
    retain: bool = Field(default=False, description="Keep the last alert per topic for late subscribers")
    push: PushPolicy = Field(default_factory=PushPolicy)


class NtfyConfig(StrictModel):
    name: str = Field(default="ntfy", pattern=CHANNEL_NAME)
    url: AnyHttpUrl = Field(
        description="ntfy server (or any ntfy-compatible push relay), e.g. https://ntfy.example.org"
    )
    topic: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Topic the officers' phones subscribe to")
    token: SecretStr | None = Field(default=None, description="Access token (Authorization: Bearer)")
    console_url: AnyHttpUrl | None = Field(
        default=None, description="Public URL of the console: pushes get 'Open' and 'Acknowledge' buttons"
    )
    timeout_s: float = Field(default=5.0, gt=0.0, le=60.0)
    max_attempts: int = Field(default=3, ge=1, le=10)
    push: PushPolicy = Field(default_factory=PushPolicy)


class WebPushConfig(StrictModel):
    """Web Push to the console's subscribed browsers and installed PWAs (VAPID, RFC 8292; payloads per RFC 8291)."""

    name: str = Field(default="webpush", pattern=CHANNEL_NAME)
    vapid_private_key: SecretStr = Field(description="From `sentinel console vapid-keys`; keep it secret and stable")
    vapid_public_key: str = Field(pattern=r"^[A-Za-z0-9_-]{80,90}$", description="Its public key (browsers get it)")
    subject: str = Field(pattern=r"^(mailto:|https://)", description="Contact for push services, mailto: or https:")
    ttl_s: int = Field(
        default=3600, ge=0, le=28 * 86400, description="How long a push service keeps an undelivered push"
    )
    timeout_s: float = Field(default=10.0, gt=0.0, le=60.0)
    push: PushPolicy = Field(default_factory=PushPolicy)


class EscalationLevel(StrictModel):
    name: str = Field(min_length=1, max_length=64, description="Who this level reaches, e.g. duty-desk")
    channels: tuple[str, ...] = Field(min_length=1, description="Channel names (webhooks, mqtt, ntfy) to re-send to")


class EscalationConfig(StrictModel):
    """An alert nobody acknowledges is re-sent, one level further each period, up to the last level."""

    ack_within_s: dict[Severity, float] = Field(
        default_factory=lambda: {Severity.RED: 120.0, Severity.YELLOW: 600.0},
        description="Time to acknowledge per severity before escalating; a severity not listed never escalates",
    )
    levels: tuple[EscalationLevel, ...] = Field(default=(), description="Escalation contacts, in order")
    check_interval_s: float = Field(default=5.0, gt=0.0, le=600.0)


class AccountConfig(StrictModel):
    username: str = Field(pattern=r"^[A-Za-z0-9._@-]{1,64}$")
    role: Literal["officer", "supervisor", "admin", "guard", "patrol"]
    password_hash: SecretStr = Field(
        description="Argon2id hash from `sentinel console hash-password`; never a password"
    )
    ntfy_topic: str | None = Field(
        default=None,
        pattern=RESPONDER_TOPIC,
        description="This responder's own ntfy topic (a secret, 16-64 of A-Za-z0-9_-): dispatches to them go there",
    )


class ConsoleConfig(StrictModel):
    """The officers' web console: live feed, alert pages, lifecycle buttons; installable as a PWA."""

    host: str = Field(default="0.0.0.0")
    port: int = Field(default=8080, ge=0, le=65535, description="Port for `sentinel run` with the console role; 0: off")
    public_url: AnyHttpUrl | None = Field(default=None, description="How phones reach it; used in push links")
    session_ttl_s: int = Field(default=12 * 3600, ge=300, le=30 * 86400, description="A login lasts one shift")
    secure_cookies: bool = Field(default=False, description="Mark the session cookie Secure (set it behind HTTPS)")
    login_max_failures: int = Field(default=5, ge=1, le=100, description="Failed logins per user (x5 per address) ...")
    login_window_s: int = Field(default=300, ge=10, le=86400, description="... within this window lock logins out")
    accounts: tuple[AccountConfig, ...] = Field(
        default=(), description="Accounts from the config; more can be added with `sentinel console add-user`"
    )


class ClipConfig(StrictModel):
    """The evidence clip of a camera alert, made from the evidence frames the detect stage keeps (docs/evidence.md)."""

    enabled: bool = Field(default=True, description="Build a clip for each camera alert")
    before_s: float = Field(
        default=10.0, ge=0.0, le=300.0, description="Seconds before the incident began: how the person came to the car"
    )
    max_s: float = Field(
        default=60.0,
        ge=5.0,
        le=600.0,
        description="Longest clip; a longer incident keeps its beginning (the live view shows the rest)",
    )
    fps: float = Field(default=5.0, gt=0.0, le=30.0, description="Frames per second at most (enough to see a hand)")
    max_width: int = Field(default=854, ge=160, le=3840, description="Frames are scaled down to this width (phones)")
    format: Literal["mp4", "webm"] = Field(
        default="mp4", description="mp4: H.264 (every phone and browser); webm: VP8 (browsers without H.264)"
    )
    quality: int = Field(default=28, ge=10, le=51, description="Encoder CRF: lower is sharper and larger")
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"] = Field(
        default="superfast", description="x264 preset (mp4): slower is smaller at the same quality, and costs CPU"
    )
    threads: int = Field(
        default=2, ge=0, le=64, description="Encoder threads (0: the encoder's own choice, 1.5 per core for x264)"
    )


class ResponseTargets(StrictModel):
    """Seconds from an alert reaching the console to each stage (community policing's 1-3-5 minutes)."""

    acknowledged: float = Field(default=60.0, gt=0.0, le=86400.0)
    dispatched: float = Field(default=180.0, gt=0.0, le=86400.0)
    on_scene: float = Field(default=300.0, gt=0.0, le=86400.0)


CLAIM_MARGIN_S = 5.0


def delivery_claim_ttl_s(session_timeout_s: float, rebalance_timeout_s: float) -> float:
    """The default delivery claim: the time the consumer group takes to hand a silent worker's partition to
    another (its session lapses, then a rebalance) plus a margin for the new owner's fetch. A holder frozen for
    less than that finishes its own step when it wakes while the new owner waits for it; one frozen longer finds
    its claim taken over and sends nothing more. A worker killed holding a claim delays its step by about the
    margin beyond the failover itself."""
    return session_timeout_s + rebalance_timeout_s + CLAIM_MARGIN_S


class AlertsConfig(StrictModel):
    cooldown_s: float = Field(
        default=300.0,
        ge=0.0,
        le=86400.0,
        description="A second alert for the same person-car pair of a camera within this time is suppressed",
    )
    retention_s: int = Field(
        default=7 * 24 * 3600, ge=60, le=365 * 24 * 3600, description="How long alerts and snapshots are kept"
    )
    frame_buffer_s: int = Field(
        default=600, ge=10, le=86400, description="How long candidate evidence frames are kept for snapshots"
    )
    feed_maxlen: int = Field(default=10000, ge=100, le=10_000_000, description="Length of the live alert feed")
    snapshot_jpeg_quality: int = Field(default=85, ge=10, le=100)
    delivery_claim_s: float | None = Field(
        default=None,
        ge=1.0,
        le=3600.0,
        description="How long a worker's claim on an alert step outlives the worker (it renews it while alive); "
        "longer than kafka.session_timeout_s. Unset: session + rebalance timeouts + 5 s (45 s by default)",
    )
    clip: ClipConfig = Field(default_factory=ClipConfig)
    response_targets_s: ResponseTargets = Field(
        default_factory=lambda: ResponseTargets(),
        description="Response-time targets from the alert reaching the console (the 1-3-5 minute standard)",
    )
    live_view_fps: float = Field(
        default=2.0,
        ge=0.0,
        le=10.0,
        description="Latest frame per camera kept for the alert page's live look-in, this many per second; 0: off",
    )
    webhooks: tuple[WebhookConfig, ...] = Field(default=(), description="HTTP receivers of alert events")
    mqtt: MqttConfig | None = Field(default=None, description="Publish alerts to an MQTT broker")
    ntfy: NtfyConfig | None = Field(default=None, description="Push alerts to phones through ntfy")
    webpush: WebPushConfig | None = Field(default=None, description="Web Push to the console's subscribed browsers")
    escalation: EscalationConfig = Field(default_factory=EscalationConfig)
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)

    def channel_names(self) -> set[str]:
        names = {w.name or f"webhook:{w.url.host}" for w in self.webhooks}
        names |= {c.name for c in (self.mqtt, self.ntfy, self.webpush) if c is not None}
        return names

    @model_validator(mode="after")
    def _escalation_names_known_channels(self) -> AlertsConfig:
        known = self.channel_names()
        for level in self.escalation.levels:
            unknown = sorted(set(level.channels) - known)
            if unknown:
                raise ValueError(
                    f"escalation level {level.name!r} names unknown channel(s) {unknown}; known: {sorted(known)}"
                )
        return self

"""Settings of the alert store and the delivery channels."""

from __future__ import annotations

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr

from alerts.models import AlertPhase


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookConfig(StrictModel):
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
    webhooks: tuple[WebhookConfig, ...] = Field(default=(), description="HTTP receivers of alert events")

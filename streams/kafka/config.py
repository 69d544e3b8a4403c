"""The `kafka` section of the site config: where the brokers are, the topics' shape, the group's timeouts and
the connection's security (docs/kafka.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from detectors.base import StrictModel


class KafkaConfig(StrictModel):
    bootstrap_servers: str | None = Field(
        default=None, description="host:port[,host:port]; unset: start the embedded Tansu broker on loopback"
    )
    topic_prefix: str = Field(default="sentinel", pattern=r"^[A-Za-z0-9._-]{1,100}$", description="Topic name prefix")
    partitions: int = Field(default=4, ge=1, le=1024, description="Partitions of each topic (cameras are the key)")
    replication_factor: int = Field(default=1, ge=1, le=7)
    group_id: str = Field(default="sentinel", min_length=1, description="Consumer group of the workers")
    rebalance_timeout_s: float = Field(
        default=10.0, ge=1.0, le=600.0, description="Group join window; short for the embedded broker"
    )
    session_timeout_s: float = Field(default=30.0, ge=3.0, le=600.0)
    fetch_max_wait_ms: int = Field(
        default=20,
        ge=1,
        le=5000,
        description="Longest a worker's fetch waits for new records; every pipeline hop can pay it once",
    )
    idempotent_producers: bool = Field(
        default=False,
        description="Idempotent producers (a retried send never writes twice); on for Apache Kafka clusters, off "
        "by default because the embedded Tansu broker lacks InitProducerId",
    )
    replay_static_assignment: bool | None = Field(
        default=None,
        description=(
            "Replay workers take every partition without joining a consumer group (no join wait). Only safe when"
            " nothing else consumes the topics; unset: on for the embedded broker, off for a configured cluster"
        ),
    )
    frames_retention_s: int = Field(
        default=3600,
        ge=60,
        le=30 * 24 * 3600,
        description="How long the brokers keep frames (large, only useful while fresh or being re-driven)",
    )
    trim_frames_every_s: float = Field(
        default=0.0,
        ge=0.0,
        le=3600.0,
        description="Detect workers delete (DeleteRecords) the frames their group has read, this often; 0: off "
        "(retention alone bounds the topic). Brokers without DeleteRecords (the embedded one) skip it",
    )
    trim_frames_keep_s: float = Field(
        default=120.0,
        ge=0.0,
        le=24 * 3600.0,
        description="Frames younger than this stay when trimmed even if read (evidence clips and the live look-in "
        "use the frames kept in Redis, so this is a margin, not a need)",
    )
    retention_s: int = Field(
        default=7 * 24 * 3600, ge=3600, le=365 * 24 * 3600, description="How long tracks, alerts, dead letters stay"
    )
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="How every Kafka client of the service connects to the cluster"
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="SCRAM-SHA-512", description="SASL mechanism (SASL_* protocols only)"
    )
    sasl_username: str | None = Field(default=None, min_length=1, description="SASL user (SASL_* protocols)")
    sasl_password: SecretStr | None = Field(
        default=None, description="SASL password; set it with SENTINEL_KAFKA__SASL_PASSWORD, never in the file"
    )
    ssl_cafile: Path | None = Field(default=None, description="CA bundle that signed the brokers' certificates")
    ssl_certfile: Path | None = Field(default=None, description="Client certificate for mutual TLS")
    ssl_keyfile: Path | None = Field(default=None, description="Key of the client certificate")

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> KafkaConfig:
        if self.security_protocol.startswith("SASL") and not (self.sasl_username and self.sasl_password):
            raise ValueError(f"security_protocol {self.security_protocol} needs sasl_username and sasl_password")
        return self

    @model_validator(mode="after")
    def _client_cert_needs_key(self) -> KafkaConfig:
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("ssl_certfile and ssl_keyfile go together")
        return self

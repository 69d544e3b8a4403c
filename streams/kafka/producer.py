"""Producer delivery settings shared by every producer of the service: acks from all in-sync replicas.

With `kafka.idempotent_producers` a retried send (a leader that moved, a timeout) is written once; brokers
that lack InitProducerId (the embedded Tansu broker) need it off.
"""

from __future__ import annotations

from typing import Any

from streams.kafka.config import KafkaConfig


def delivery_options(kafka: KafkaConfig) -> dict[str, Any]:
    """acks=all: with min.insync.replicas 2 a record survives the loss of its leader once acknowledged."""
    options: dict[str, Any] = {"acks": "all"}
    if kafka.idempotent_producers:
        options["enable_idempotence"] = True
    return options

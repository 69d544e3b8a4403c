"""The Faust application: one App per worker process, built from the site config."""

from __future__ import annotations

import logging
from enum import Enum

import faust
import faust.transport.drivers.aiokafka as faust_aiokafka

from streams.config import SiteConfig

logger = logging.getLogger(__name__)

MAX_RECORD_BYTES = 16 * 1024 * 1024  # a 4K JPEG frame fits with room to spare


class Role(str, Enum):
    """What a worker process runs; several roles can share one process."""

    INGEST = "ingest"
    DETECT = "detect"
    RULES = "rules"
    DELIVER = "deliver"


WORKER_ROLES = frozenset({Role.DETECT, Role.RULES, Role.DELIVER})


def group_id_for(config: SiteConfig, roles: frozenset[Role]) -> str:
    """Processes running the same roles share a consumer group and so split the cameras between them."""
    if roles >= WORKER_ROLES:
        return config.kafka.group_id
    return config.kafka.group_id + "-" + "-".join(sorted(r.value for r in roles))


_fetch_wait_ms = 1500
_original_worker_consumer = faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer


def _worker_consumer_with_fetch_wait(self: faust_aiokafka.AIOKafkaConsumerThread, transport: object) -> object:
    consumer = _original_worker_consumer(self, transport)
    consumer._fetch_max_wait_ms = _fetch_wait_ms  # noqa: SLF001 - Faust hard-codes 1500 ms and offers no setting
    return consumer


faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer = _worker_consumer_with_fetch_wait


def create_app(config: SiteConfig, bootstrap: str, roles: frozenset[Role]) -> faust.App:
    """Faust app for these roles; the fetch wait is set here because each hop of the pipeline pays it."""
    global _fetch_wait_ms
    kafka = config.kafka
    _fetch_wait_ms = kafka.fetch_max_wait_ms
    return faust.App(
        group_id_for(config, roles),
        broker=f"kafka://{bootstrap}",
        autodiscover=False,
        web_enabled=False,
        store="memory://",
        topic_partitions=kafka.partitions,
        topic_replication_factor=kafka.replication_factor,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        broker_rebalance_timeout=kafka.rebalance_timeout_s,
        broker_session_timeout=kafka.session_timeout_s,
        broker_heartbeat_interval=min(3.0, kafka.session_timeout_s / 3),
        producer_max_request_size=MAX_RECORD_BYTES,
        consumer_max_fetch_size=MAX_RECORD_BYTES,
        broker_commit_every=100,
        broker_commit_interval=1.0,
    )

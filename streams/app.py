"""The Faust application: one App per worker process, built from the site config."""

from __future__ import annotations

import logging
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Any

import faust
import faust.transport.drivers.aiokafka as faust_aiokafka

from streams.config import SiteConfig
from streams.kafka import read_offsets
from streams.kafka.security import faust_credentials
from streams.kafka.static_assignment import STATIC_ASSIGNMENT_ATTR, PromptTableManager

logger = logging.getLogger(__name__)

MAX_RECORD_BYTES = 16 * 1024 * 1024  # a 4K JPEG frame fits with room to spare


class Role(StrEnum):
    """What a worker process runs; several roles can share one process."""

    INGEST = "ingest"
    DETECT = "detect"
    RULES = "rules"
    DELIVER = "deliver"
    ACCESS = "access"  # the door-event receiver and the access agent
    CONSOLE = "console"  # the officers' web console (reads Redis only)
    DEVICES = "devices"  # camera and terminal health: offline, covered, moved, silent (docs/devices.md)


WORKER_ROLES = frozenset({Role.DETECT, Role.RULES, Role.DELIVER, Role.ACCESS, Role.DEVICES})


def group_id_for(config: SiteConfig, roles: frozenset[Role]) -> str:
    """Processes running the same roles share a consumer group and so split the cameras between them."""
    if roles >= WORKER_ROLES:
        return config.kafka.group_id
    return config.kafka.group_id + "-" + "-".join(sorted(r.value for r in roles))


FETCH_WAIT_ATTR = "sentinel_fetch_max_wait_ms"
_original_worker_consumer = faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer


def _worker_consumer_with_fetch_wait(self: faust_aiokafka.AIOKafkaConsumerThread, transport: Any) -> Any:
    """Faust hard-codes fetch_max_wait_ms=1500 for its worker consumer; apply the app's own value instead."""
    consumer = _original_worker_consumer(self, transport)
    wait_ms = getattr(self.app, FETCH_WAIT_ATTR, None)
    if wait_ms is not None:
        consumer._fetch_max_wait_ms = wait_ms  # noqa: SLF001 - aiokafka reads it when the fetcher starts
    return consumer


faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer = _worker_consumer_with_fetch_wait  # type: ignore[method-assign]


IDEMPOTENT_ATTR = "sentinel_idempotent_producer"
_original_producer_extra = faust_aiokafka.Producer._settings_extra


def _producer_settings_with_idempotence(self: faust_aiokafka.Producer) -> Any:
    """Faust turns idempotence on only for exactly-once; the app's `kafka.idempotent_producers` turns it on too."""
    extra = dict(_original_producer_extra(self))
    if getattr(self.app, IDEMPOTENT_ATTR, False):
        extra.update(acks="all", enable_idempotence=True)
    return extra


faust_aiokafka.Producer._settings_extra = _producer_settings_with_idempotence  # type: ignore[method-assign]


read_offsets.install()  # a partition assigned again is read in order (streams/kafka/read_offsets.py)

FAUST_DATA = Path(tempfile.gettempdir()) / "sentinel-faust"


def create_app(
    config: SiteConfig, bootstrap: str, roles: frozenset[Role], static_assignment: bool = False
) -> faust.App:
    """Faust app for these roles, with the fetch wait that each hop of the pipeline would otherwise pay.

    `static_assignment`: the only consumer of its topics (a replay) takes every partition without a group join.
    """
    FAUST_DATA.mkdir(parents=True, exist_ok=True)  # Faust makes only the last level
    kafka = config.kafka
    app = faust.App(
        group_id_for(config, roles),
        broker=f"kafka://{bootstrap}",
        broker_credentials=faust_credentials(kafka),
        autodiscover=False,
        web_enabled=False,
        store="memory://",
        datadir=str(FAUST_DATA / "{conf.name}"),  # tables live in memory anyway; keep the working tree clean
        topic_partitions=kafka.partitions,
        topic_replication_factor=kafka.replication_factor,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        broker_rebalance_timeout=kafka.rebalance_timeout_s,
        broker_session_timeout=kafka.session_timeout_s,
        # A member hears of a rebalance only at its next heartbeat, so it must beat well inside the join window:
        # at 3 s against a 2 s window a healthy worker missed the join and was expelled (Kafka tier, 3 of 9 runs).
        broker_heartbeat_interval=min(3.0, kafka.session_timeout_s / 3, kafka.rebalance_timeout_s / 3),
        producer_max_request_size=MAX_RECORD_BYTES,
        consumer_max_fetch_size=MAX_RECORD_BYTES,
        broker_commit_every=100,
        broker_commit_interval=1.0,
        TableManager=PromptTableManager if static_assignment else "faust.tables:TableManager",
    )
    setattr(app, FETCH_WAIT_ATTR, kafka.fetch_max_wait_ms)
    setattr(app, IDEMPOTENT_ATTR, kafka.idempotent_producers)
    setattr(app, STATIC_ASSIGNMENT_ATTR, static_assignment)
    return app

"""The Kafka tier: one 3-node Apache Kafka cluster (KRaft, from Maven Central) for the whole session.

Topics get replication factor 3 with min.insync.replicas 2, producers acks=all and idempotence: the settings
deploy/ ships. Each test gets its own site (topic prefix, group, Redis keys) on the shared cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from streams.kafka.cluster import KafkaCluster
from tests.integration.conftest import Site

KAFKA_SETTINGS = {"replication_factor": 3, "idempotent_producers": True}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration/kafka" in str(item.fspath):
            item.add_marker(pytest.mark.kafka)


@pytest.fixture(scope="session")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """Started once; a test that stops or kills nodes starts them again before it ends."""
    cluster = KafkaCluster(
        tmp_path_factory.mktemp("kafka"),
        nodes=3,
        overrides={"log.retention.check.interval.ms": "2000"},  # the retention test need not wait 60 s a check
        proxied=True,  # a second listener per node, reached through a proxy a test can cut (netcut.py)
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def kafka_site(
    tmp_path: Path, kafka_cluster: KafkaCluster, redis_client: redis.Redis, shared_data: Path
) -> Iterator[Any]:
    sites: list[Site] = []

    def factory(**overrides: Any) -> Site:
        kafka = {**KAFKA_SETTINGS, "bootstrap_servers": kafka_cluster.bootstrap, **overrides.pop("kafka", {})}
        site = Site(tmp_path, kafka_cluster.bootstrap, redis_client, {"kafka": kafka, **overrides})
        sites.append(site)
        return site

    yield factory
    for site in sites:
        site.cleanup()

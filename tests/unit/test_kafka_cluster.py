"""The Kafka cluster's node settings and addresses, without starting Java."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.kafka.broker import BrokerError
from streams.kafka.cluster import KafkaCluster, node_properties


def test_three_nodes_replicate_three_times_and_need_two_in_sync(tmp_path: Path) -> None:
    cluster = KafkaCluster(tmp_path, nodes=3)
    props = node_properties(cluster.nodes[1], cluster.nodes, {})
    assert props["node.id"] == "2"
    assert props["default.replication.factor"] == props["offsets.topic.replication.factor"] == "3"
    assert props["min.insync.replicas"] == props["transaction.state.log.min.isr"] == "2"
    assert props["controller.quorum.voters"].count("@127.0.0.1:") == 3
    assert props["unclean.leader.election.enable"] == "false"
    assert int(props["message.max.bytes"]) > 16 * 1024 * 1024, "a 16 MB frame record fits"
    assert cluster.bootstrap.count(",") == 2


def test_one_node_cannot_ask_for_more_replicas_than_it_has(tmp_path: Path) -> None:
    cluster = KafkaCluster(tmp_path, nodes=1)
    props = node_properties(cluster.nodes[0], cluster.nodes, {"log.retention.check.interval.ms": "1000"})
    assert props["default.replication.factor"] == props["min.insync.replicas"] == "1"
    assert props["log.retention.check.interval.ms"] == "1000", "overrides win"


def test_a_cluster_directory_keeps_its_ports(tmp_path: Path) -> None:
    (tmp_path / "nodes.json").write_text(json.dumps({"1": [1111, 2222], "2": [3333, 4444], "3": [5555, 6666]}))
    cluster = KafkaCluster(tmp_path, nodes=3)
    assert cluster.bootstrap == "127.0.0.1:1111,127.0.0.1:3333,127.0.0.1:5555"
    with pytest.raises(BrokerError, match="3-node"):
        KafkaCluster(tmp_path, nodes=1)
    with pytest.raises(ValueError, match="1 or 3"):
        KafkaCluster(tmp_path / "other", nodes=2)


def test_a_proxied_cluster_advertises_the_proxy_on_its_second_listener(tmp_path: Path) -> None:
    cluster = KafkaCluster(tmp_path, nodes=3, proxied=True)
    node = cluster.nodes[0]
    props = node_properties(node, cluster.nodes, {})
    assert f"PROXIED://127.0.0.1:{node.proxied_port}" in props["listeners"]
    assert f"PROXIED://127.0.0.1:{node.proxy_port}" in props["advertised.listeners"]
    assert "PROXIED:PLAINTEXT" in props["listener.security.protocol.map"]
    assert props["inter.broker.listener.name"] == "PLAINTEXT", "the brokers talk to each other past the proxy"
    assert cluster.proxy_routes[0] == (node.proxy_port, node.proxied_port)
    assert cluster.proxied_bootstrap.count(",") == 2 and cluster.proxied_bootstrap != cluster.bootstrap
    with pytest.raises(BrokerError, match="proxied"):
        _ = KafkaCluster(tmp_path / "plain", nodes=1).proxied_bootstrap


def test_a_proxied_cluster_keeps_its_proxy_ports(tmp_path: Path) -> None:
    (tmp_path / "nodes.json").write_text(json.dumps({"1": [1111, 2222, 3333, 4444]}))
    again = KafkaCluster(tmp_path, nodes=1, proxied=True)
    assert again.proxy_routes == [(4444, 3333)]
    assert again.nodes[0].address == "127.0.0.1:1111"

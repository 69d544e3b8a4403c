"""`sentinel kafka start|stop`: a real Apache Kafka (KRaft, from Maven Central) on loopback, without Docker."""

from __future__ import annotations

from pathlib import Path

import click

from streams.kafka.broker import BrokerError
from streams.kafka.cluster import DEFAULT_CACHE, DEFAULT_HEAP, KAFKA_VERSION, KafkaCluster

DEFAULT_DIR = DEFAULT_CACHE / "cluster"

dir_option = click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_DIR,
    show_default=True,
    help="Where the nodes keep their config, data and logs (kept between starts).",
)


@click.group("kafka")
def kafka_group() -> None:
    """Apache Kafka on this machine: 1 or 3 combined broker+controller nodes on loopback ports."""


@kafka_group.command("start")
@dir_option
@click.option("--nodes", type=click.Choice(["1", "3"]), default="1", show_default=True)
@click.option("--heap", default=DEFAULT_HEAP, show_default=True, help="Java heap of each node")
@click.option("--version", "version", default=KAFKA_VERSION, show_default=True, help="org.apache.kafka:kafka_2.13")
def start(directory: Path, nodes: str, heap: str, version: str) -> None:
    """Resolve Kafka with Maven (once, cached), format the nodes (once), start them and print the bootstrap."""
    if (directory / "pids.json").exists():
        raise click.ClickException(f"a cluster under {directory} is running; `sentinel kafka stop --dir {directory}`")
    cluster = KafkaCluster(directory, nodes=int(nodes), heap=heap, version=version)
    try:
        cluster.start()
    except BrokerError as exc:
        cluster.stop()
        raise click.ClickException(str(exc)) from None
    cluster.write_pids()
    click.echo(cluster.bootstrap)
    click.echo("# set kafka.bootstrap_servers (or SENTINEL_KAFKA__BOOTSTRAP_SERVERS) to the line above", err=True)


@kafka_group.command("stop")
@dir_option
def stop(directory: Path) -> None:
    """Stop the nodes `sentinel kafka start` left running (their data stays for the next start)."""
    stopped = KafkaCluster.stop_detached(directory)
    click.echo(f"stopped {stopped} Kafka node(s)" if stopped else f"no Kafka running under {directory}")

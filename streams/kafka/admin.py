"""Topic creation with kafka-python's admin client, so every topic exists with the configured partitions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from concurrent.futures import ThreadPoolExecutor

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaConfigurationError, TopicAlreadyExistsError

from streams.kafka.config import KafkaConfig
from streams.kafka.security import kafka_python_options
from streams.topics import TopicNames

logger = logging.getLogger(__name__)


def ensure_topics(bootstrap: str, kafka: KafkaConfig) -> TopicNames:
    topics = TopicNames(kafka.topic_prefix)
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, client_id=f"{kafka.group_id}-admin", **kafka_python_options(kafka)
    )
    try:
        existing = set(admin.list_topics())
        missing = [name for name in topics.all() if name not in existing]
        if missing:
            try:
                admin.create_topics([_new_topic(name, topics, kafka) for name in missing])
                logger.info("created topics %s", missing)
            except TopicAlreadyExistsError:
                logger.info("topics %s were created concurrently", missing)
    finally:
        admin.close()
    return topics


def _new_topic(name: str, topics: TopicNames, kafka: KafkaConfig) -> NewTopic:
    """Retention per topic: frames for an hour (they are most of the bytes), the rest for a week.

    Segments roll at a quarter of the retention, so old data can actually be deleted on time.
    """
    retention_ms = 1000 * (kafka.frames_retention_s if name == topics.frames else kafka.retention_s)
    configs = {"retention.ms": str(retention_ms), "segment.ms": str(max(60_000, retention_ms // 4))}
    return NewTopic(name, kafka.partitions, kafka.replication_factor, topic_configs=configs)


class BrokerWatchdog:
    """Checks the broker every few seconds: reachable, and still holding our topics.

    A broker that comes back without its topics (the in-memory embedded broker after a restart, or a cluster
    rebuilt from scratch) gets them recreated, so producers and the consumer group can resume. The last
    problem seen is what `/readyz` reports.
    """

    def __init__(self, bootstrap: str, kafka: KafkaConfig, interval_s: float = 3.0) -> None:
        self.bootstrap = bootstrap
        self.kafka = kafka
        self.interval_s = interval_s
        self.problem: str | None = None

    def check_once(self) -> None:
        topics = TopicNames(self.kafka.topic_prefix)
        if not self._any_listener():
            self.problem = f"broker unreachable at {self.bootstrap}"
            return
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap,
                client_id=f"{self.kafka.group_id}-watchdog",
                request_timeout_ms=3000,
                **kafka_python_options(self.kafka),
            )
        except KafkaConfigurationError:
            raise  # a programming error, not an outage
        except Exception as exc:  # kafka-python raises NoBrokersAvailable and socket errors alike
            self.problem = f"broker unreachable at {self.bootstrap}: {type(exc).__name__}"
            return
        try:
            missing = [name for name in topics.all() if name not in set(admin.list_topics())]
        except Exception as exc:
            self.problem = f"broker not answering: {type(exc).__name__}"
            return
        finally:
            admin.close()
        if missing:
            logger.warning("broker lost topics %s (an in-memory broker restarted?); recreating them", missing)
            ensure_topics(self.bootstrap, self.kafka)
        self.problem = None

    def _any_listener(self) -> bool:
        """A plain TCP connect first: kafka-python's client retries a dead broker for a long time."""
        for address in self.bootstrap.split(","):
            host, _, port = address.strip().rpartition(":")
            try:
                with socket.create_connection((host or "127.0.0.1", int(port)), timeout=2.0):
                    return True
            except (OSError, ValueError):
                continue
        return False

    async def run(self, stop: asyncio.Event) -> None:
        """Checks on a thread of its own, one at a time: a hung client never piles up threads or blocks others."""
        loop = asyncio.get_running_loop()
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="broker-watchdog")
        pending: asyncio.Future[None] | None = None
        reported: str | None = None
        try:
            while not stop.is_set():
                if pending is None or pending.done():
                    pending = loop.run_in_executor(executor, self.check_once)
                try:
                    await asyncio.wait_for(asyncio.shield(pending), timeout=15.0)
                except TimeoutError:
                    self.problem = "broker check timed out"
                if self.problem != reported:
                    if self.problem:
                        logger.warning("broker: %s", self.problem)
                    else:
                        logger.warning("broker: reachable again at %s", self.bootstrap)
                    reported = self.problem
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval_s)
        finally:
            executor.shutdown(wait=False, cancel_futures=True)

"""Broker faults on the 3-node cluster: the leader killed mid-stream, all three stopped and started, retention.

The service runs its rules and delivery workers on the VIRAT track camera; every run must notify the alert
events of the embedded broker's uninterrupted replay, each once.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from streams.config import load_config
from streams.kafka.admin import ensure_topics
from streams.kafka.cluster import KafkaCluster
from streams.sources import track_records
from tests.integration.conftest import Site, virat_tracks, wait_until
from tests.integration.kafka.workers import Process, content, events, produce, stream_done

RULES = ("--role", "rules", "--role", "deliver")
RULE = {"loitering": {"dwell_s": 5.0}}


def _site(kafka_site: Any, url: str, **kafka: Any) -> Site:
    site: Site = kafka_site(
        **RULE,
        kafka={"partitions": 1, **kafka},  # one leader for each topic: the one the test kills
        alerts={"webhooks": [{"url": url, "secret": "s3cret", "backoff_s": 0.05}]},
    )
    return site


def _admin(bootstrap: str) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)


def _leader(bootstrap: str, topic: str) -> int:
    admin = _admin(bootstrap)
    try:
        (described,) = admin.describe_topics([topic])
        return int(described["partitions"][0]["leader_id"])
    finally:
        admin.close()


async def _read_committed(bootstrap: str, group: str, tps: list[TopicPartition]) -> dict[TopicPartition, int | None]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()  # never subscribes, so it never joins the group: it only reads the offsets
    try:
        return {tp: await consumer.committed(tp) for tp in tps}
    finally:
        await consumer.stop()


def _committed(bootstrap: str, group: str, topic: str) -> int | None:
    tp = TopicPartition(topic, 0)
    return asyncio.run(_read_committed(bootstrap, group, [tp]))[tp]


def _check_notified(received: list[Any], reference: list[dict[str, Any]]) -> None:
    notified = events(received)
    repeats = {event_id: n for event_id, n in Counter(e["event_id"] for e in notified).items() if n > 1}
    assert not repeats, f"notified twice: {repeats}"
    assert content(notified) == content(reference), "every alert event of the uninterrupted run, none other"


def test_sigkill_of_the_leader_broker_loses_no_alert(
    make_site, kafka_site, kafka_cluster: KafkaCluster, webhook, tmp_path: Path
) -> None:
    url, received = webhook
    tracks = virat_tracks(tmp_path)
    reference, _ = make_site(**RULE).replay("tracks", tracks)
    site = _site(kafka_site, url)
    worker = Process(site, RULES, "worker").start()
    try:
        records = [(k, v) for k, v, _ in track_records(tracks, "leader-kill")]
        produce(site.bootstrap, f"{site.prefix}.tracks", records)
        assert wait_until(lambda: len(received) >= 2, 180), worker.tail()
        leader = _leader(site.bootstrap, f"{site.prefix}.alerts")
        kafka_cluster.kill_node(leader)  # mid-stream, while alerts are being produced and delivered
        assert wait_until(lambda: stream_done(site, "leader-kill"), 240), worker.tail()
        assert _leader(site.bootstrap, f"{site.prefix}.alerts") != leader, "another broker leads the alerts"
        wait_until(lambda: False, timeout_s=2)  # the last deliveries land
    finally:
        worker.stop()
        kafka_cluster.ensure_running()
    assert len(reference) > 2
    _check_notified(received, reference)


def test_a_full_cluster_restart_keeps_topics_and_committed_offsets(
    make_site, kafka_site, kafka_cluster: KafkaCluster, webhook, tmp_path: Path
) -> None:
    url, received = webhook
    tracks = virat_tracks(tmp_path)
    reference, _ = make_site(**RULE).replay("tracks", tracks)
    site = _site(kafka_site, url)
    group = f"{yaml_group(site)}-deliver-rules"
    records = [(k, v) for k, v, _ in track_records(tracks, "restart")]
    half = len(records) // 2
    worker = Process(site, RULES, "worker").start()
    try:
        produce(site.bootstrap, f"{site.prefix}.tracks", records[:half])
        topic = f"{site.prefix}.tracks"
        assert wait_until(lambda: _committed(site.bootstrap, group, topic) == half, 180), worker.tail()
        assert worker.stop() == 0
        before, notified_before = _committed(site.bootstrap, group, topic), len(received)

        kafka_cluster.stop()
        kafka_cluster.ensure_running()
        admin = _admin(site.bootstrap)
        try:
            assert {f"{site.prefix}.{t}" for t in ("frames", "tracks", "alerts")} <= set(admin.list_topics())
        finally:
            admin.close()
        # the group coordinator reloads its partition of __consumer_offsets first
        assert wait_until(lambda: _committed(site.bootstrap, group, topic) == before == half, 60), (
            "committed offsets survive the restart"
        )

        worker.start()
        produce(site.bootstrap, f"{site.prefix}.tracks", records[half:])
        assert wait_until(lambda: stream_done(site, "restart"), 240), worker.tail()
        wait_until(lambda: False, timeout_s=2)
    finally:
        worker.stop()
        kafka_cluster.ensure_running()
    assert 0 < notified_before < len(received), "alerts on both sides of the restart"
    _check_notified(received, reference)


def yaml_group(site: Site) -> str:
    return load_config(site.path).kafka.group_id


async def _old_then_new(bootstrap: str, topic: str, old: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        two_hours_ago = int((time.time() - 7200) * 1000)
        for i in range(old):
            await producer.send_and_wait(topic, b"old-%d" % i, key=b"cam", timestamp_ms=two_hours_ago)
        await producer.send_and_wait(topic, b"new", key=b"cam")  # rolls the segment: its first record is old
    finally:
        await producer.stop()


async def _log_start(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        return int((await consumer.beginning_offsets([tp]))[tp])
    finally:
        await consumer.stop()


def test_frames_retention_deletes_old_frames_on_the_brokers(kafka_site) -> None:
    site: Site = kafka_site(kafka={"partitions": 1, "frames_retention_s": 60})
    config = load_config(site.path)
    topics = ensure_topics(site.bootstrap, config.kafka)
    configs: dict[str, dict[str, str]] = {}

    def described() -> bool:  # a broker answers for a topic once the new topic's metadata reached it
        admin = _admin(site.bootstrap)
        try:
            found = admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, n) for n in (topics.frames, topics.alerts)],
                config_filter="all",
            )
        finally:
            admin.close()
        configs.update({n: {k: v["value"] for k, v in values.items()} for n, values in found["topic"].items()})
        return all("retention.ms" in configs.get(n, {}) for n in (topics.frames, topics.alerts))

    assert wait_until(described, 30), configs
    assert configs[topics.frames]["retention.ms"] == "60000"
    assert configs[topics.alerts]["retention.ms"] == str(7 * 24 * 3600 * 1000)
    assert configs[topics.frames]["min.insync.replicas"] == "2"

    asyncio.run(_old_then_new(site.bootstrap, topics.frames, old=10))
    assert wait_until(lambda: asyncio.run(_log_start(site.bootstrap, topics.frames)) == 10, 60), (
        "frames older than the retention are deleted; the fresh one stays"
    )


def test_a_worker_frozen_past_its_session_is_fenced_and_rejoins(make_site, kafka_site, webhook, tmp_path: Path) -> None:
    """SIGSTOP for 30 s: to the group, what a worker cut off from the brokers looks like (a real network cut is
    not built yet). Its partitions move; nothing is lost and nothing else is sent. Known gap (issue 14): a worker
    frozen in the middle of delivering one step sends that step when it wakes, after the other worker has sent it
    too; both carry the same Idempotency-Key, so a receiver drops the second. Closing it needs a delivery claim
    taken before sending; until then this test allows that one repeat and prints it."""
    url, received = webhook
    tracks = virat_tracks(tmp_path)
    other = tmp_path / "virat-a.tracks.jsonl"  # a second track camera, on the other partition
    other.write_text(tracks.read_text().replace('"camera_id":"virat-0503"', '"camera_id":"virat-a"'))
    reference, _ = make_site(**RULE).replay("tracks", tracks)
    renamed = [json.loads(json.dumps(e).replace("virat-0503", "virat-a")) for e in reference]
    site = _site(kafka_site, url, partitions=2)
    workers = [Process(site, RULES, f"worker-{i}").start() for i in range(2)]
    frozen = workers[0]
    try:
        assert wait_until(lambda: all(w.ready() for w in workers), 120), frozen.tail()
        for path, stream in ((tracks, "frozen-0503"), (other, "frozen-a")):
            produce(site.bootstrap, f"{site.prefix}.tracks", [(k, v) for k, v, _ in track_records(path, stream)])
        assert wait_until(lambda: len(received) >= 2, 180), frozen.tail()
        assert frozen.proc is not None
        frozen.proc.send_signal(signal.SIGSTOP)
        wait_until(lambda: False, timeout_s=30)  # past the 10 s session: fenced, its partition moves
        frozen.proc.send_signal(signal.SIGCONT)
        done = lambda: stream_done(site, "frozen-0503") and stream_done(site, "frozen-a")  # noqa: E731
        assert wait_until(done, 240), workers[1].tail()
        wait_until(lambda: False, timeout_s=3)  # whatever the woken worker still had in hand lands
        assert frozen.proc.poll() is None, "the woken worker carries on (it rejoins the group)"
    finally:
        if frozen.proc is not None and frozen.proc.poll() is None:
            frozen.proc.send_signal(signal.SIGCONT)
        codes = [w.stop() for w in workers]
    assert codes == [0, 0], frozen.tail()
    notified = events(received)
    repeats = {event_id: n for event_id, n in Counter(e["event_id"] for e in notified).items() if n > 1}
    print(f"\nworker frozen 30 s on Kafka: steps notified twice {repeats or 'none'}")
    assert len(repeats) <= 1 and all(n == 2 for n in repeats.values()), f"more than the one step in hand: {repeats}"
    once = list({e["event_id"]: e for e in notified}.values())
    assert content(once) == content(reference + renamed), "every alert event of the uninterrupted run, none other"

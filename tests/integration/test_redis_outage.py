"""A Redis restart while alerts arrive: the delivery stage waits it out, then stores and delivers them once."""

from __future__ import annotations

import asyncio
import subprocess
import time

import redis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from alerts.delivery.channels import MemoryChannel
from streams.app import Role
from streams.config import load_config
from streams.kafka.broker import free_port
from streams.records import encode_model
from streams.runtime import WorkerRuntime
from tests.integration.test_alert_store import event


def start_redis(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"redis-server did not start on port {port}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


async def _scenario(site, port: int, server: list[subprocess.Popen[bytes]]) -> tuple[list[str], list[bytes]]:
    config = load_config(site.path)
    memory = MemoryChannel()
    lost = event("a1" * 8)
    async with WorkerRuntime(config, site.bootstrap, frozenset({Role.DELIVER}), extra_channels=[memory]) as runtime:
        topics = runtime.services.topics
        stop(server.pop())  # Redis goes away
        producer = AIOKafkaProducer(bootstrap_servers=site.bootstrap)
        await producer.start()
        await producer.send_and_wait(topics.alerts, value=encode_model(lost), key=b"cam-1")
        await producer.stop()
        await asyncio.sleep(3)
        assert memory.sent == [], "nothing can be stored or sent while Redis is down"
        server.append(start_redis(port))  # and comes back, empty
        deadline = time.monotonic() + 60
        while not memory.sent and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        consumer = AIOKafkaConsumer(
            topics.deadletter, bootstrap_servers=site.bootstrap, auto_offset_reset="earliest", group_id=None
        )
        await consumer.start()
        letters = [m.value for batch in (await consumer.getmany(timeout_ms=1000)).values() for m in batch]
        await consumer.stop()
        return [e.event_id for e in memory.sent], letters


def test_delivery_waits_out_a_redis_restart(make_site) -> None:
    port = free_port()
    server = [start_redis(port)]
    try:
        site = make_site(redis={"url": f"redis://127.0.0.1:{port}/0"})
        delivered, letters = asyncio.run(_scenario(site, port, server))
        stored = redis.Redis(port=port).get(f"{site.key_prefix}alert:{'a1' * 8}")
    finally:
        for process in server:
            stop(process)
    assert delivered == [event("a1" * 8).event_id], "delivered once, after Redis came back"
    assert stored is not None, "stored in the restarted Redis"
    assert letters == [], "an outage is waited out, not dead-lettered"

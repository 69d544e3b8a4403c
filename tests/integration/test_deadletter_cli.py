"""`sentinel deadletters list/redrive` against a running delivery worker, the real broker and Redis."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import redis
from aiokafka import AIOKafkaProducer

from streams.config import load_config
from streams.kafka.admin import ensure_topics
from streams.records import DeadLetter, encode_model
from tests.integration.conftest import SENTINEL, wait_until
from tests.integration.test_alert_store import event


async def _produce(bootstrap: str, records: list[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for topic, value in records:
            await producer.send_and_wait(topic, value=value, key=b"cam-1")
    finally:
        await producer.stop()


def test_list_and_redrive_once(make_site, redis_client: redis.Redis, tmp_path: Path) -> None:
    site = make_site()
    ensure_topics(site.bootstrap, load_config(site.path).kafka)  # as a deployment does before producers start
    worker = subprocess.Popen(
        [str(SENTINEL), "run", "--config", str(site.path), "--role", "deliver"],
        stdout=(tmp_path / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        lost = event("f" * 16)  # an alert the delivery stage could not store while Redis was down
        letter = DeadLetter.of("deliver", "ConnectionError: Redis down", f"{site.prefix}.alerts", encode_model(lost))
        asyncio.run(
            _produce(
                site.bootstrap,
                [(f"{site.prefix}.deadletter", encode_model(letter)), (f"{site.prefix}.alerts", b"{broken")],
            )
        )
        assert wait_until(lambda: "2 dead letter(s)" in site.cli("deadletters", "list").output), "worker dead-letters"
        listing = site.cli("deadletters", "list", "--stage", "deliver").output
        assert "ConnectionError: Redis down" in listing and "invalid alert record" in listing

        dry = site.cli("deadletters", "redrive", "--reason-contains", "ConnectionError", "--dry-run").output
        assert "would re-send" in dry
        alert_key = f"{site.key_prefix}alert:{'f' * 16}"
        assert not redis_client.exists(alert_key)

        site.cli("deadletters", "redrive", "--reason-contains", "ConnectionError")
        assert wait_until(lambda: redis_client.exists(alert_key), timeout_s=90), (
            "the re-driven alert is stored\n" + (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
        )
        again = site.cli("deadletters", "redrive", "--reason-contains", "ConnectionError").output
        assert "0 re-driven, 1 already re-driven before" in again
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert worker.returncode == 0

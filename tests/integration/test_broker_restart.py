"""Stop and restart the (in-memory) broker under a running service: readiness reports it, work resumes."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
import urllib.error
from pathlib import Path
from urllib.request import urlopen

from aiokafka import AIOKafkaConsumer

from streams.kafka.broker import EmbeddedBroker, free_port
from tests.integration.conftest import CLIPS, SENTINEL, wait_until


def readiness(port: int) -> tuple[int, dict]:
    try:
        with urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except urllib.error.URLError:
        return 0, {}  # not listening yet


async def tracked_frames(bootstrap: str, topic: str, seconds: float) -> int:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None, fetch_max_wait_ms=50
    )
    await consumer.start()
    try:
        count, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            count += sum(len(batch) for batch in (await consumer.getmany(timeout_ms=500)).values())
        return count
    finally:
        await consumer.stop()


def test_service_recovers_from_a_broker_restart(make_site, tmp_path: Path) -> None:
    broker = EmbeddedBroker(port=free_port()).start()
    health = free_port()
    site = make_site(
        kafka={"bootstrap_servers": broker.bootstrap},
        cameras=[{"id": "row-a", "source": str(CLIPS / "residential_street_parked_cars.mp4"), "fps": 5}],
        observability={"host": "127.0.0.1", "port": health},
    )
    log = tmp_path / "service.log"
    service = subprocess.Popen(
        [str(SENTINEL), "run", "--config", str(site.path)], stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    tracks = f"{site.prefix}.tracks"
    try:
        assert wait_until(lambda: readiness(health)[0] == 200, 90), "ready after start"
        assert asyncio.run(tracked_frames(broker.bootstrap, tracks, 5)) > 0

        broker.stop()
        assert wait_until(lambda: readiness(health)[0] == 503, 30), "readiness reports the broker outage"
        assert "broker" in json.dumps(readiness(health)[1])

        broker = EmbeddedBroker(port=broker.port).start()  # same address, empty: its topics are gone
        assert wait_until(lambda: readiness(health)[0] == 200, 60), "ready again once the broker is back"
        assert asyncio.run(tracked_frames(broker.bootstrap, tracks, 20)) > 0, "frames flow again"
        assert service.poll() is None
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            service.wait(timeout=30)
        except subprocess.TimeoutExpired:
            service.kill()
            raise
        broker.stop()
    output = log.read_text(errors="replace")
    assert service.returncode == 0, output[-2000:]
    assert "broker: " in output and "broker: reachable again" in output, "the outage and the recovery are logged"
    assert "recreating them" in output
    assert output.count("Unable connect to node") <= 10, "a broker outage does not flood the log"

"""Worker and ingest processes of one site on the Kafka cluster, their metrics, and the alert events they notify."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import yaml
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from kafka.admin import KafkaAdminClient

from streams.app import MAX_RECORD_BYTES
from streams.kafka.broker import free_port
from tests.integration.conftest import SENTINEL, Site

WORKER_ROLES = ("--role", "detect", "--role", "rules", "--role", "deliver")
IDS = ("alert_id", "event_id", "stream_id")  # derived from the stream id, which differs between runs


def partition_of(key: str, partitions: int) -> int:
    return int(DefaultPartitioner()(key.encode(), list(range(partitions)), list(range(partitions))))


class Process:
    """`sentinel run` with these roles and its own health port; restartable, killable like a crashed machine."""

    def __init__(
        self, site: Site, roles: tuple[str, ...], name: str, bootstrap: str | None = None, verbose: bool = False
    ) -> None:
        """`bootstrap` other than the site's: e.g. the proxy addresses, for a worker the test cuts off;
        `verbose` logs the group's rebalances and the stages' progress too."""
        self.verbose = verbose
        self.port = free_port()
        self.log = site.tmp_path / f"{name}.log"
        self.config = site.path.with_name(f"{site.path.stem}-{name}.yaml")
        data = yaml.safe_load(site.path.read_text())
        data["observability"] = {"host": "127.0.0.1", "port": self.port}
        if bootstrap is not None:
            data["kafka"]["bootstrap_servers"] = bootstrap
        self.config.write_text(yaml.safe_dump(data))
        self.roles = roles
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as handle:  # the child keeps its own descriptor; nothing here drains a pipe
            self.proc = subprocess.Popen(
                [str(SENTINEL), *(["-v"] if self.verbose else []), "run", "--config", str(self.config), *self.roles],
                stdout=handle,
                stderr=handle,
            )
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def ready(self) -> bool:
        try:
            return bool(urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status == 200)
        except OSError:
            return False

    def processed(self) -> dict[str, float]:
        """Frames through the model so far, by camera (shed frames are not counted)."""
        return self._counts("sentinel_frames_processed_total")

    def seen(self) -> dict[str, float]:
        """Frames taken off the partition, by camera: processed or shed as stale (only the owner sheds them)."""
        processed, shed = self.processed(), self._counts("sentinel_frames_shed_total")
        return {camera: processed.get(camera, 0.0) + shed.get(camera, 0.0) for camera in {*processed, *shed}}

    def delivered(self) -> float:
        """Alert steps this worker delivered so far (every channel)."""
        metrics = self._metrics()
        found = re.findall(r'sentinel_deliveries_total\{channel="[^"]+",status="delivered"\} (\S+)', metrics)
        return sum(float(value) for value in found)

    def _counts(self, name: str) -> dict[str, float]:
        found = re.findall(name + r'\{camera="([^"]+)"\} (\S+)', self._metrics())
        return {camera: float(value) for camera, value in found}

    def _metrics(self) -> str:
        try:
            return str(urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2).read().decode())
        except OSError:
            return ""

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def owner_of(camera: str, workers: list[Process], timeout_s: float = 20.0) -> Process | None:
    """The worker whose count of the camera's frames grows while the other's does not: the one holding it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        before = [w.seen().get(camera, 0.0) for w in workers]
        time.sleep(1.0)
        grew = [w for w, b in zip(workers, before, strict=True) if w.seen().get(camera, 0.0) > b]
        if len(grew) == 1:
            return grew[0]
    return None


async def _produce(bootstrap: str, topic: str, records: Iterable[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        max_request_size=MAX_RECORD_BYTES,
        linger_ms=5,
        acks="all",
        enable_idempotence=True,
    )
    await producer.start()
    try:
        for key, value in records:
            await producer.send(topic, value=value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


def produce(bootstrap: str, topic: str, records: Iterable[tuple[bytes, bytes]]) -> None:
    asyncio.run(_produce(bootstrap, topic, records))


def events(received: list[tuple[dict[str, str], bytes]]) -> list[dict[str, Any]]:
    return [json.loads(body) for _, body in list(received)]


def content(items: Iterable[dict[str, Any]]) -> list[str]:
    """Alert events without the ids derived from the stream id, sorted: what the officer is told."""
    return sorted(json.dumps({k: v for k, v in e.items() if k not in IDS}, sort_keys=True) for e in items)


def stop_between_notifications(worker: Process, site: Site, received: list[Any]) -> None:
    """SIGSTOP at a moment when every notification the receiver got is also recorded as sent (or its step as
    delivered); the worker may be anywhere else, holding a step's delivery claim before or after its send.

    The other moment (the receiver has it, the worker has not recorded it) is the window at-least-once
    delivery cannot close; the webhook's Idempotency-Key header is there for receivers to close it.
    """
    assert worker.proc is not None
    for _ in range(100):
        worker.proc.send_signal(signal.SIGSTOP)
        time.sleep(0.05)  # responses already on the wire land
        posted = {e["event_id"] for e in events(received)}
        if all(_recorded(site, event_id) for event_id in posted):
            return
        worker.proc.send_signal(signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError("never found a moment without a notification in flight")


def middle_step_gap(reference: list[dict[str, Any]]) -> float:
    """A capture time between the middle two alert steps of the uninterrupted run: a fault made after the
    records up to it are in, and before the rest go in, lands among the camera's alerts."""
    steps = sorted({float(e["ts"]) for e in reference})
    assert len(steps) >= 2, f"the track camera raises alert steps at two times at least: {steps}"
    return (steps[len(steps) // 2 - 1] + steps[len(steps) // 2]) / 2


def split_between_alert_steps(
    records: Iterable[tuple[bytes, bytes, int]], reference: list[dict[str, Any]]
) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """The track records up to `middle_step_gap`, and the rest (the end-of-stream marker last)."""
    split = middle_step_gap(reference)
    pairs = [(key, value) for key, value, _ in records]
    cut = next((i for i, (_, value) in enumerate(pairs) if json.loads(value)["ts"] > split), len(pairs))
    return pairs[:cut], pairs[cut:]


def _recorded(site: Site, event_id: str) -> bool:
    keys = (f"{site.key_prefix}{kind}:{event_id}" for kind in ("delivered", "sent"))
    return any(site.redis.exists(key) for key in keys)


def kill_between_notifications(worker: Process, site: Site, received: list[Any]) -> None:
    """SIGKILL at a moment when every notification the receiver got is recorded (see stop_between_notifications)."""
    stop_between_notifications(worker, site, received)
    worker.kill()


def claims_held(site: Site) -> int:
    """Delivery claims in Redis now (a worker holds each on a step it is delivering)."""
    return sum(1 for _ in site.redis.scan_iter(match=f"{site.key_prefix}claim:*"))


def stream_done(site: Site, stream_id: str) -> bool:
    return bool(site.redis.exists(f"{site.key_prefix}stream-done:{stream_id}"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def write_figures(path: Path, figures: dict[str, Any]) -> None:
    path.write_text(json.dumps(figures, indent=2))


def group_members(bootstrap: str, group: str) -> dict[str, Any]:
    """The group's members as its coordinator has them: member id to the member's description (its client
    host and the partitions it was assigned)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        described = admin.describe_groups([group])[group]
    finally:
        admin.close()
    return {m["member_id"]: m for m in described.get("members", [])}

"""Scale-out: detect throughput of one consumer group as workers (and the cores they bring) are added.

Each setting starts its detect workers as separate `sentinel run --role detect` processes in one consumer group
on the embedded broker, optionally each pinned to its own core (`taskset`), waits until all are ready, then
sends 16 cameras' worth of the street clip (5 fps, 1280 wide, every camera balanced two to a partition) as a
replay backlog, so nothing is shed and the workers run flat out. Throughput is frames processed per second,
from the first frame done to the last, summed over the workers' own counters. Motion gating is off, so every
frame costs the model. Settings: one worker on one core; two workers on a core each; one worker on all cores.

    .venv/bin/python -m bench.scale_out [--seconds-of-video 10] [--cameras 16] [--bootstrap HOST:PORT | --compare-kafka]

With --compare-kafka each setting runs on the embedded broker and then on a 3-node Apache Kafka cluster
started by the bench (the Kafka tier's settings), and the table shows both with their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import urlopen

import yaml
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from bench.pipeline import cluster_settings
from streams.app import MAX_RECORD_BYTES
from streams.kafka.broker import EmbeddedBroker, free_port
from streams.kafka.cluster import KafkaCluster
from streams.records import decode_frame, encode_frame
from streams.sources import video_records

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("YOLO_OFFLINE", "1")  # never download weights or pip-install extras

CLIP = ROOT.parent / "shared" / "clips" / "street_people_1080p.mp4"
SENTINEL = Path(sys.executable).parent / "sentinel"
PARTITIONS = 8


def balanced_cameras(count: int) -> list[str]:
    """Camera ids that the default partitioner spreads evenly, so a worker's share is its partitions' share."""
    partitioner, per_partition, out = DefaultPartitioner(), count // PARTITIONS, []
    taken = [0] * PARTITIONS
    all_partitions = list(range(PARTITIONS))
    for i in range(10_000):
        name = f"cam-{i:03d}"
        partition = partitioner(name.encode(), all_partitions, all_partitions)
        if taken[partition] < per_partition:
            taken[partition] += 1
            out.append(name)
        if len(out) == count:
            return out
    raise RuntimeError("could not balance the cameras")


def processed(port: int) -> float:
    try:
        metrics = urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return 0.0
    return sum(float(v) for v in re.findall(r"^sentinel_frames_processed_total\{[^}]*\} (\S+)$", metrics, re.M))


def ready(port: int) -> bool:
    try:
        return urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).status == 200
    except OSError:
        return False


async def send(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=MAX_RECORD_BYTES, linger_ms=5)
    await producer.start()
    try:
        for key, value in records:
            await producer.send(topic, value=value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


def camera_records(cameras: list[str], seconds: float, run: str) -> list[tuple[bytes, bytes]]:
    """Every camera's frames (the clip's first `seconds`, 5 fps, 1280 wide), interleaved as live cameras send."""
    clip = [decode_frame(value) for _, value, _ in video_records(CLIP, "x", "x", 5.0, 0.0, 85, 1280)]
    out = []
    for header, jpeg in clip[: int(seconds * 5)]:
        for camera in cameras:  # the same JPEG for every camera, each under its own header
            own = header.model_copy(update={"camera_id": camera, "stream_id": f"{camera}-{run}"})
            out.append((camera.encode(), encode_frame(own, jpeg)))
    return out


@dataclass(frozen=True)
class Broker:
    """Where a measurement runs: its name in the table, its address, and the service's Kafka settings for it."""

    name: str
    bootstrap: str
    settings: dict = field(default_factory=dict)


def cluster_broker(name: str, bootstrap: str) -> Broker:
    """A Kafka cluster with the tested settings (bench.pipeline.cluster_settings)."""
    settings = {k: v for k, v in cluster_settings(bootstrap).items() if k != "bootstrap_servers"}
    return Broker(name, bootstrap, settings)


@contextlib.contextmanager
def brokers(bootstrap: str | None, compare_kafka: bool) -> Iterator[list[Broker]]:
    """The broker(s) to measure on: a given cluster, the embedded one, or both it and a 3-node cluster."""
    if bootstrap:
        yield [cluster_broker(f"Apache Kafka at {bootstrap}", bootstrap)]
        return
    with contextlib.ExitStack() as stack:
        embedded = stack.enter_context(EmbeddedBroker())
        found = [Broker("embedded Tansu", embedded.bootstrap)]
        if compare_kafka:
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="sentinel-bench-kafka-"))
            cluster = stack.enter_context(KafkaCluster(Path(directory), nodes=3))
            found.append(cluster_broker(f"Apache Kafka {cluster.version}, 3 nodes", cluster.bootstrap))
        yield found


def measure(broker: Broker, cores: list[str | None], cameras: list[str], seconds: float, work: Path) -> float:
    """Frames per second of one group of detect workers, one per entry of `cores` (a taskset core list or None)."""
    bootstrap = broker.bootstrap
    tag = uuid.uuid4().hex[:8]
    ports = [free_port() for _ in cores]
    procs, logs = [], []
    for i, (port, core) in enumerate(zip(ports, cores, strict=True)):
        config = work / f"site-{tag}-{i}.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "site_id": "bench",
                    "kafka": {
                        "bootstrap_servers": bootstrap,
                        "topic_prefix": f"b{tag}",
                        "group_id": f"g{tag}",
                        "partitions": PARTITIONS,
                        "rebalance_timeout_s": 2,
                        "session_timeout_s": 10,
                        **broker.settings,
                    },
                    "redis": {"key_prefix": f"sentinel-bench-{tag}:"},
                    "detector": {"motion": {"enabled": False}},
                    "accept_unknown_cameras": True,
                    "observability": {"host": "127.0.0.1", "port": port},
                }
            )
        )
        log = (work / f"detect-{tag}-{i}.log").open("wb")
        logs.append(log)
        command = [str(SENTINEL), "run", "--config", str(config), "--role", "detect"]
        procs.append(subprocess.Popen((["taskset", "-c", core] if core else []) + command, stdout=log, stderr=log))
    try:
        deadline = time.monotonic() + 240
        while not all(ready(p) for p in ports):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise SystemExit(f"workers did not become ready; logs in {work}")
            time.sleep(0.5)
        time.sleep(3.0)  # let the group settle after the last join
        records = camera_records(cameras, seconds, tag)
        asyncio.run(send(bootstrap, f"b{tag}.frames", records))
        first = last = None
        done = 0.0
        deadline = time.monotonic() + 600
        while done < len(records) and time.monotonic() < deadline:
            done = sum(processed(p) for p in ports)
            now = time.monotonic()
            if done and first is None:
                first = (now, done)
            last = (now, done)
            time.sleep(0.2)
        if first is None or last is None or last[0] <= first[0]:
            raise SystemExit("no frames processed")
        return (last[1] - first[1]) / (last[0] - first[0])
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
        for log in logs:
            log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds-of-video", type=float, default=10.0, help="Clip seconds each camera sends")
    parser.add_argument("--cameras", type=int, default=16)
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--bootstrap", help="a Kafka cluster (host:port,...) instead of the embedded broker")
    choice.add_argument(
        "--compare-kafka",
        action="store_true",
        help="each setting on the embedded broker and on a 3-node Apache Kafka cluster started here, alternately",
    )
    args = parser.parse_args()
    if shutil.which("taskset") is None:
        raise SystemExit("taskset (util-linux) is needed to pin workers to cores")
    cores = os.cpu_count() or 1
    cameras = balanced_cameras(args.cameras)
    settings: list[tuple[str, list[str | None]]] = [
        ("1 worker, pinned to 1 core", ["0"]),
        (f"{min(2, cores)} workers, 1 core each", [str(i) for i in range(min(2, cores))]),
        (f"1 worker, all {cores} cores", [None]),
    ]
    print(
        f"machine: {platform.machine()}, {cores} cores; {len(cameras)} cameras x {args.seconds_of_video:g} s at 5 fps"
    )
    print("(the broker and this script share the same cores)\n")
    with brokers(args.bootstrap, args.compare_kafka) as found, tempfile.TemporaryDirectory() as tmp:
        header = "| detect workers | " + " | ".join(f"{b.name} frames/s | vs 1 worker on 1 core" for b in found)
        if len(found) == 2:
            header += " | Kafka / Tansu"
        print(header + " |")
        print("| --- |" + " --- |" * (header.count(" | ")))
        bases: dict[str, float] = {}
        for name, pinning in settings:
            cells, rates = [], []
            for broker in found:  # alternately, so a load change on the machine hits both brokers alike
                fps = measure(broker, pinning, cameras, args.seconds_of_video, Path(tmp))
                base = bases.setdefault(broker.name, fps)
                cells.append(f"{fps:.1f} | {fps / base:.2f}x")
                rates.append(fps)
            if len(rates) == 2:
                cells.append(f"{rates[1] / rates[0]:.2f}")
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()

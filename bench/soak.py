"""Soak: `sentinel run` (all roles) on looped shared clips as live cameras, for an hour or two.

Every minute it prints the RSS of the worker and of its broker(s), frames sent / processed / shed (too old) /
dropped in that minute, the largest consumer lag, alert events and dead letters so far, read from the service's
/metrics. By default the broker is the embedded Tansu, which keeps every record in memory (no retention), so its
RSS grows with the frames sent. With `--kafka` the service runs on an Apache Kafka cluster started here
(streams/kafka/cluster.py: 3 KRaft nodes, replication 3, min ISR 2, acks=all, idempotent producers, the
settings of the Kafka test tier), and each line also shows the brokers' disk, which frames retention bounds.

    .venv/bin/python -m bench.soak [--minutes 60] [--cameras 4] [--fps 5] [--kafka [--frames-retention-s 900]]

Not part of CI. One camera shows a real person held beside a real parked car (composite of the shared clips,
dwell threshold 8 s on that camera) so alerts keep coming; the others loop the shared clips.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import yaml

from bench.pipeline import cluster_settings
from streams.kafka.broker import free_port
from streams.kafka.cluster import KafkaCluster

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("YOLO_OFFLINE", "1")  # never download weights or pip-install extras

SHARED = ROOT.parent / "shared"
HEADER = (
    "| minute | worker RSS MB | broker RSS MB | broker disk MB | sent/min | processed/min | shed/min | dropped/min |"
    " max lag | alert starts | events | dead letters |"
)
CLIPS = ["street_people_1080p.mp4", "residential_street_parked_cars.mp4", "virat_plaza_people_seated.avi"]


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident memory of the worker process, and of its descendants (the embedded Tansu broker), in MB."""
    own, children_total, pending = 0, 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            if current == pid:
                own = rss
            else:
                children_total += rss
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pending.extend(int(c) for c in children)
        except (OSError, AttributeError):
            continue
    return own / 1024, children_total / 1024


def scrape(port: int) -> dict[str, float]:
    """Sums of each metric family of interest (over labels), and the max consumer lag."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    sums: dict[str, float] = {}
    lag = 0.0
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        family = name.split("{")[0]
        if family == "sentinel_consumer_lag":
            lag = max(lag, float(value))
        elif family.endswith("_total"):
            sums[family] = sums.get(family, 0.0) + float(value)
            phase = re.search(r'phase="(\w+)"', name)
            if family == "sentinel_alert_events_total" and phase:
                key = f"alerts_{phase.group(1)}"
                sums[key] = sums.get(key, 0.0) + float(value)
    sums["lag"] = lag
    return sums


def cluster_rss_mb(cluster: KafkaCluster) -> float:
    """Resident memory of all Kafka nodes together, in MB."""
    return sum(rss_mb(pid)[0] for pid in cluster.pids())


def disk_mb(directory: Path) -> float:
    """Disk used under `directory` (the brokers' log dirs: every replica of every topic), in MB.

    Blocks, not sizes: Kafka preallocates 10 MB sparse index files per segment, which use almost no disk.
    """
    return sum(f.stat().st_blocks * 512 for f in directory.rglob("*") if f.is_file()) / 1e6


@contextlib.contextmanager
def kafka_cluster(enabled: bool) -> Iterator[KafkaCluster | None]:
    """A fresh 3-node cluster in a temporary directory for the soak's length, stopped cleanly after."""
    if not enabled:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="sentinel-soak-kafka-") as directory:
        with KafkaCluster(Path(directory), nodes=3) as cluster:
            yield cluster


def write_config(path: Path, cameras: int, fps: float, port: int, kafka: dict | None = None) -> None:
    from detectors.config import OpenVinoModelConfig
    from detectors.vision.model import load_detector
    from streams.evaluation.composite import compose_person_at_car

    composite = compose_person_at_car(
        Path("/tmp/sentinel-soak-person-at-car.mp4"),
        load_detector(OpenVinoModelConfig()),
        SHARED / "clips" / CLIPS[0],
        SHARED / "clips" / CLIPS[1],
        seconds=40,
        fps=10,
    )
    entries = [{"id": "soak-at-car", "source": str(composite.path), "fps": fps, "loitering": {"dwell_s": 8}}]
    for index in range(cameras - 1):
        entries.append({"id": f"soak-{index}", "source": str(SHARED / "clips" / CLIPS[index % 3]), "fps": fps})
    config = {
        "site_id": "soak",
        "cameras": entries,
        "observability": {"host": "127.0.0.1", "port": port},
        "alerts": {"console": {"host": "127.0.0.1", "port": free_port()}},
    }
    if kafka:
        config["kafka"] = kafka
    path.write_text(yaml.safe_dump(config))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--kafka", action="store_true", help="run on a 3-node Apache Kafka cluster started here")
    parser.add_argument(
        "--frames-retention-s",
        type=int,
        default=900,
        help="with --kafka: frames retention, short enough that the disk's plateau shows within the soak",
    )
    args = parser.parse_args()
    with kafka_cluster(args.kafka) as cluster:
        soak(args, cluster)


def soak(args: argparse.Namespace, cluster: KafkaCluster | None) -> None:
    """Runs the service for the soak's length and prints one table row a minute."""
    port = free_port()
    config = Path("/tmp/sentinel-soak.yaml")
    kafka = None
    if cluster is not None:
        kafka = {**cluster_settings(cluster.bootstrap), "frames_retention_s": args.frames_retention_s}
        retention = args.frames_retention_s
        print(f"Apache Kafka {cluster.version}: 3 nodes at {cluster.bootstrap}; frames retention {retention} s")
    write_config(config, args.cameras, args.fps, port, kafka)
    log = open("/tmp/sentinel-soak.log", "w")  # noqa: SIM115 - kept open for the child's lifetime
    service = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "sentinel"), "run", "--config", str(config)], stdout=log, stderr=log
    )
    print(
        f"soak: {args.cameras} cameras x {args.fps:g} fps for {args.minutes:g} min; service log /tmp/sentinel-soak.log"
    )
    print(HEADER)
    print("|" + " --- |" * HEADER.count(" | ") + " --- |")
    previous: dict[str, float] = {}
    started = time.monotonic()
    try:
        for minute in range(1, int(args.minutes) + 1):
            time.sleep(max(0.0, started + minute * 60 - time.monotonic()))
            if service.poll() is not None:
                raise SystemExit(f"the service exited with {service.returncode}; see /tmp/sentinel-soak.log")
            try:
                now = scrape(port)
            except OSError as exc:
                print(f"| {minute} | metrics unreachable: {exc} |", flush=True)
                continue
            sent, processed, shed, dropped = (
                int(now.get(f"sentinel_frames_{kind}_total", 0) - previous.get(f"sentinel_frames_{kind}_total", 0))
                for kind in ("sent", "processed", "shed", "dropped")
            )
            worker_mb, broker_mb = rss_mb(service.pid)
            disk = "-"
            if cluster is not None:
                broker_mb, disk = cluster_rss_mb(cluster), f"{disk_mb(cluster.directory):.0f}"
            print(
                f"| {minute} | {worker_mb:.0f} | {broker_mb:.0f} | {disk} | {sent} | {processed} | {shed} | "
                f"{dropped} | "
                f"{now['lag']:.0f} | {now.get('alerts_start', 0):.0f} | "
                f"{now.get('sentinel_alert_events_total', 0):.0f} | {now.get('sentinel_dead_letters_total', 0):.0f} |",
                flush=True,
            )
            previous = now
    finally:
        service.send_signal(signal.SIGTERM)
        print(f"service exit code after SIGTERM: {service.wait(timeout=60)}")


if __name__ == "__main__":
    main()

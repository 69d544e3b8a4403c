"""Pipeline benchmark: model-only frames/s vs end-to-end frames/s through the broker on the same frames.

Prints, in one run: model-only fps (YOLO predict on decoded frames, the physical limit here), end-to-end fps
(video decode + JPEG encode + Kafka + decode + YOLO + ByteTrack + rules + Redis), their ratio, per-frame
capture-to-tracks latency, capture-to-alert latency at live pace for forced alerts on a composite clip (a real
person held beside a real parked car), and tracks-to-alert latency (VIRAT ground truth, dwell 5 s).

    .venv/bin/python -m bench.pipeline [--clip PATH] [--fps 30] [--frames 150] [--max-width 1280]
                                       [--bootstrap HOST:PORT,... | --compare-kafka]

With --compare-kafka the end-to-end measures run on the embedded broker and then on a 3-node Apache Kafka
cluster started by the bench (the Kafka tier's settings), in one process, and print side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import time
from pathlib import Path

from detectors.config import UltralyticsModelConfig
from detectors.vision.backend import Detector
from detectors.vision.model import load_detector
from streams.agents import DETECT_BATCH
from streams.app import WORKER_ROLES, Role
from streams.config import CameraConfig, load_config
from streams.evaluation.virat import virat_track_frames
from streams.ingest import encode_jpeg, file_frames
from streams.kafka.cluster import KafkaCluster
from streams.replay import Replayer, replay_stream_id
from streams.runtime import WorkerRuntime, kafka_bootstrap
from streams.sources import track_records, video_records
from streams.stages.decoding import decode_jpeg, jpeg_reduction

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("YOLO_OFFLINE", "1")  # never download weights or pip-install extras

SHARED = ROOT.parent / "shared"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def pipeline_images(clip: Path, fps: float, limit: int, camera: CameraConfig, config) -> list:
    """The frames exactly as the detect stage hands them to the model: encoded by ingest, decoded (reduced)."""
    images = []
    for _, frame in zip(range(limit), file_frames(str(clip), fps, 0.0), strict=False):
        jpeg, width, height = encode_jpeg(frame.image, camera.jpeg_quality, camera.max_width)
        images.append(decode_jpeg(jpeg, jpeg_reduction(config.detector, width, height)))
    return images


def model_only(detector: Detector, images: list) -> float:
    """Model + NMS alone on decoded frames, in the detect agent's micro-batches: the physical limit."""
    detector.detect_many(images[:DETECT_BATCH])  # warm-up
    started = time.perf_counter()
    for i in range(0, len(images), DETECT_BATCH):
        detector.detect_many(images[i : i + DETECT_BATCH])
    return len(images) / (time.perf_counter() - started)


def own_phase(config, name: str):
    """The config of one bench phase, with its own consumer group and topics.

    The phases run one after another on one broker. Sharing a group and topics, a later phase's worker read the
    earlier ones' records it was not configured for (on Kafka the group's offsets persist): the VIRAT phase
    dead-lettered the paced camera's 151 track records. Phase-own topics keep each measure to its own records.
    """
    kafka = config.kafka.model_copy(
        update={"group_id": f"{config.kafka.group_id}-{name}", "topic_prefix": f"{config.kafka.topic_prefix}-{name}"}
    )
    return config.model_copy(update={"kafka": kafka})


def cluster_settings(bootstrap: str) -> dict:
    """The settings the Kafka tier of the tests runs: replication 3 on three brokers, idempotent producers."""
    brokers = len(bootstrap.split(","))
    return {"bootstrap_servers": bootstrap, "replication_factor": min(3, brokers), "idempotent_producers": True}


def limited(records, limit: int):
    """The first `limit` frames of a recording, then its end marker restamped to follow them."""
    from streams.records import FrameHeader, decode_frame, encode_frame

    last = None
    for key, value, seq in records:
        header, jpeg = decode_frame(value)
        if header.end_of_stream or seq >= limit:
            end = FrameHeader(**{**last.model_dump(), "seq": last.seq + 1, "end_of_stream": True})
            yield key, encode_frame(end, b""), end.seq
            return
        last = header
        yield key, value, seq


async def end_to_end(config, clip: Path, fps: float, limit: int, detector: Detector, max_width: int | None):
    # Equal work for the ratio: every frame through the model, as model-only does (bench/cameras.py measures
    # what motion gating saves).
    motion = config.detector.motion.model_copy(update={"enabled": False})
    config = config.model_copy(update={"detector": config.detector.model_copy(update={"motion": motion})})
    camera = CameraConfig(id="bench-cam", fps=fps, max_width=max_width)
    config = config.with_camera(camera)
    stream_id = replay_stream_id(camera.id, clip, fps, time.time())  # fresh stream each run
    with kafka_bootstrap(config) as bootstrap:
        async with WorkerRuntime(
            own_phase(config, "video"), bootstrap, frozenset(WORKER_ROLES), detector=detector
        ) as runtime:
            replayer = Replayer(bootstrap, runtime.services.topics, runtime.services.store, progress=False)
            records = limited(
                video_records(clip, camera.id, stream_id, fps, 0.0, camera.jpeg_quality, camera.max_width), limit
            )
            video = await replayer.run(runtime.services.topics.frames, records, stream_id)
            # The same frames captured and encoded beforehand, as a separate ingest process would send them.
            stream_pre = stream_id + "-pre"
            started = time.perf_counter()
            encoded = list(
                limited(
                    video_records(clip, camera.id, stream_pre, fps, 0.0, camera.jpeg_quality, camera.max_width), limit
                )
            )
            ingest_fps = (len(encoded) - 1) / (time.perf_counter() - started)
            worker = await replayer.run(runtime.services.topics.frames, iter(encoded), stream_pre)
        # Capture-to-alert at live pace: a person held at a parked car (composite of the shared clips),
        # 5 frames/s as a camera sends them, every rule firing (start and each 0.5 s update) timed.
        paced = await paced_alert_latency(config, detector, bootstrap)
        tracks_path = Path("/tmp/sentinel-bench-virat.jsonl")
        with tracks_path.open("w") as handle:
            for frame in virat_track_frames(
                SHARED / "tracks" / "VIRAT_S_050301_03_000933_001046.viratdata.objects.txt", "bench-virat", 30.0
            ):
                if frame.seq % 3 == 0:
                    handle.write(frame.model_dump_json() + "\n")
        forced = config.model_copy(update={"loitering": config.loitering.model_copy(update={"dwell_s": 5.0})})
        forced = forced.with_camera(CameraConfig(id="bench-virat"))
        async with WorkerRuntime(
            own_phase(forced, "virat"), bootstrap, frozenset({Role.RULES, Role.DELIVER})
        ) as runtime:
            replayer = Replayer(bootstrap, runtime.services.topics, runtime.services.store, progress=False)
            sid = replay_stream_id("bench-virat", tracks_path, time.time())
            tracks = await replayer.run(runtime.services.topics.tracks, track_records(tracks_path, sid), sid)
    return video, worker, ingest_fps, tracks, paced


async def paced_alert_latency(config, detector: Detector, bootstrap: str):
    from streams.evaluation.composite import compose_person_at_car

    clip = compose_person_at_car(
        Path("/tmp/sentinel-bench-person-at-car.mp4"),
        detector,
        SHARED / "clips" / "street_people_1080p.mp4",
        SHARED / "clips" / "residential_street_parked_cars.mp4",
        seconds=30,
        fps=5,
    )
    camera = CameraConfig(id="bench-paced", fps=5)
    rules = config.loitering.model_copy(update={"dwell_s": 5.0, "update_interval_s": 0.5})
    paced = config.model_copy(update={"loitering": rules}).with_camera(camera)
    async with WorkerRuntime(
        own_phase(paced, "paced"), bootstrap, frozenset(WORKER_ROLES), detector=detector
    ) as runtime:
        replayer = Replayer(bootstrap, runtime.services.topics, runtime.services.store, progress=False, pace_fps=5)
        sid = replay_stream_id(camera.id, clip.path, time.time())
        records = video_records(clip.path, camera.id, sid, 5, 0.0, camera.jpeg_quality, camera.max_width)
        return await replayer.run(runtime.services.topics.frames, records, sid)


def p50_p95_ms(values: list[float]) -> str:
    return f"{pct(values, 0.5) * 1000:.0f} / {pct(values, 0.95) * 1000:.0f} ms"


def broker_rows(config, args, detector: Detector, model_fps: float) -> list[tuple[str, str]]:
    """The end-to-end measures on one broker: (measure, value) rows."""
    video, worker, ingest_fps, tracks, paced = asyncio.run(
        end_to_end(config, args.clip, args.fps, args.frames, detector, args.max_width)
    )
    e2e_fps = (video.frames_processed - 1) / video.wall_s
    worker_fps = (worker.frames_processed - 1) / worker.wall_s
    starts = tracks.alert_latencies_s
    live = paced.alert_latencies_s
    return [
        ("end-to-end through the broker (decode+encode+Kafka+YOLO+track+rules+Redis)", f"{e2e_fps:.1f} frames/s"),
        ("ratio end-to-end / model-only", f"{e2e_fps / model_fps:.2f}"),
        ("ingest alone (H.264 decode + sample + JPEG encode, 1 thread)", f"{ingest_fps:.1f} frames/s"),
        (
            "end-to-end, frames pre-encoded by ingest (Kafka+JPEG decode+YOLO+track+rules+Redis)",
            f"{worker_fps:.1f} frames/s",
        ),
        ("ratio end-to-end (pre-encoded) / model-only", f"{worker_fps / model_fps:.2f}"),
        ("frame sent -> tracks out, p50 / p95", p50_p95_ms(video.frame_latencies_s)),
        (f"live pace (5 fps): frame sent -> alert event out ({len(live)} rule firings), p50 / p95", p50_p95_ms(live)),
        ("live pace (5 fps): frame sent -> tracks out, p50 / p95", p50_p95_ms(paced.frame_latencies_s)),
        (f"track frame sent -> alert event out ({len(starts)} forced, no model), p50 / p95", p50_p95_ms(starts)),
        ("rules + delivery throughput (VIRAT tracks)", f"{(tracks.frames_processed - 1) / tracks.wall_s:.0f} frames/s"),
    ]


def on_kafka(config, bootstrap: str):
    """`config` pointed at a Kafka cluster with the tested settings (replication, idempotent producers)."""
    return config.model_copy(update={"kafka": config.kafka.model_copy(update=cluster_settings(bootstrap))})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", type=Path, default=SHARED / "clips" / "street_people_1080p.mp4")
    parser.add_argument("--fps", type=float, default=30.0, help="sampling rate (30 = every frame of the clip)")
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument(
        "--max-width", type=int, default=1280, help="the camera's detect width (cameras[].max_width; default 1280)"
    )
    brokers = parser.add_mutually_exclusive_group()
    brokers.add_argument(
        "--bootstrap",
        help="a Kafka cluster (host:port,...; e.g. from `sentinel kafka start --nodes 3`) instead of the embedded "
        "broker: topics replicated min(3, brokers) times, idempotent producers",
    )
    brokers.add_argument(
        "--compare-kafka",
        action="store_true",
        help="measure on the embedded broker and on a 3-node Apache Kafka cluster started here, side by side",
    )
    args = parser.parse_args()
    config = load_config(None)
    if args.bootstrap:
        config = on_kafka(config, args.bootstrap)
    detector = load_detector(config.detector.model)
    camera = CameraConfig(id="bench-cam", max_width=args.max_width)
    images = pipeline_images(args.clip, args.fps, args.frames, camera, config)
    model_fps = model_only(detector, images)
    ultralytics_fps = model_only(load_detector(UltralyticsModelConfig(type="ultralytics")), images)
    columns: dict[str, list[tuple[str, str]]] = {}
    if args.compare_kafka:
        columns["embedded Tansu"] = broker_rows(config, args, detector, model_fps)
        with tempfile.TemporaryDirectory(prefix="sentinel-bench-kafka-") as directory:
            with KafkaCluster(Path(directory), nodes=3) as cluster:
                columns[f"Apache Kafka {cluster.version}, 3 nodes"] = broker_rows(
                    on_kafka(config, cluster.bootstrap), args, detector, model_fps
                )
    else:
        name = f"Apache Kafka at {args.bootstrap}" if args.bootstrap else "embedded Tansu"
        columns[name] = broker_rows(config, args, detector, model_fps)
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"model {detector.path.name} imgsz {config.detector.model.imgsz}"
    )
    print(f"clip: {args.clip.name}, {len(images)} frames at {args.fps:g} fps sampling, sent {args.max_width} px wide")
    print("| measure | " + " | ".join(columns) + " |")
    print("| --- |" + " --- |" * len(columns))
    model_rows = [
        (f"model-only, {config.detector.model.type} backend (the physical limit)", f"{model_fps:.1f} frames/s"),
        ("model-only, ultralytics predictor one frame at a time (for comparison)", f"{ultralytics_fps:.1f} frames/s"),
    ]
    for measure, value in model_rows:
        print(f"| {measure} | " + " | ".join(value for _ in columns) + " |")
    for index, (measure, _) in enumerate(next(iter(columns.values()))):
        print(f"| {measure} | " + " | ".join(rows[index][1] for rows in columns.values()) + " |")


if __name__ == "__main__":
    main()

"""Camera capacity: the largest number of 5 fps cameras one worker sustains with consumer lag bounded.

For each scene (static: one frame of the parked-cars clip held still; busy: the street clip looped; sparse:
the VIRAT plaza looped, a few small people moving in a still scene) and each gating setting (off, on, on with
mosaics of the moving parts), N cameras send pre-encoded frames at their frame rate on the wall clock, stamped with the
capture time, through the embedded broker into one worker (detect + rules + deliver). A run of N passes when
the worker keeps up: what is still in flight when the last frame is sent drains within 2 s, and the frames
processed in the second half of the run are at least 97 % of those sent. Frames are sent as
live ones, so an overloaded worker sheds stale frames (`detector.shed_after_s`) instead of falling behind
without bound; the shed count is printed with the lag, and a run that sheds more than 3 % has not kept up.
N grows until a run fails. Also prints the worker's RSS with 8 cameras.

    .venv/bin/python -m bench.cameras [--seconds 30] [--fps 5] [--scenes static,busy] [--gating "on;on, adaptive rate"]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer

from detectors.vision.backend import Detector
from detectors.vision.model import load_detector
from streams.app import MAX_RECORD_BYTES, WORKER_ROLES
from streams.config import CameraConfig, SiteConfig, load_config
from streams.ingest import encode_jpeg, file_frames
from streams.records import FrameHeader, encode_frame
from streams.runtime import WorkerRuntime, kafka_bootstrap

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("YOLO_OFFLINE", "1")  # never download weights or pip-install extras

SHARED = ROOT.parent / "shared" / "clips"


SCENES = {  # what each scene is: the clip, and whether its first frame is held still
    "static": ("residential_street_parked_cars.mp4", True),
    "busy": ("street_people_1080p.mp4", False),
    "sparse": ("virat_plaza_people_seated.avi", False),
}
# (scene, motion settings, first N, step): gating on and off, and mosaics where motion is local
VARIANTS = (
    ("static", {"enabled": True}, 8, 4),
    ("static", {"enabled": False}, 4, 2),
    ("busy", {"enabled": True}, 4, 2),
    ("busy", {"enabled": False}, 4, 2),
    ("sparse", {"enabled": True}, 4, 2),
    ("sparse", {"enabled": True, "mosaic": True}, 4, 2),
    ("static", {"enabled": True, "rate": True}, 8, 4),  # "rate": detector.rate on (adaptive detection rate)
    ("busy", {"enabled": True, "rate": True}, 4, 2),
    ("sparse", {"enabled": True, "rate": True}, 4, 2),
)


def scene_jpegs(kind: str, fps: float, max_width: int) -> list[tuple[bytes, int, int]]:
    """JPEGs as ingest sends them, with their width and height (the header's, which choose how the detect stage
    decodes): a clip's frames looped, or the parked-cars clip's first frame (640x352) held."""
    clip, held = SCENES[kind]
    frames = [f.image for f in file_frames(str(SHARED / clip), fps, 0.0)]
    if held:
        frames = frames[:1]
    return [encode_jpeg(image, 85, max_width) for image in frames]


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def processed(runtime: WorkerRuntime, counter: str = "frames_processed") -> float:
    samples = (s for m in getattr(runtime.metrics, counter).collect() for s in m.samples)
    return sum(s.value for s in samples if s.name.endswith("_total"))


async def run_cameras(
    config: SiteConfig,
    detector: Detector,
    jpegs: list[tuple[bytes, int, int]],
    cameras: int,
    fps: float,
    seconds: float,
) -> tuple[bool, float, float, int, float]:
    """(kept up, seconds to drain after the last send, share processed in the second half, frames shed, RSS MB)."""
    ids = [f"cam-{i:02d}" for i in range(cameras)]
    run = uuid.uuid4().hex[:8]  # a new stream per run: saved state of an earlier run must not apply
    config = config.model_copy(update={"cameras": tuple(CameraConfig(id=c, fps=fps) for c in ids)})
    with kafka_bootstrap(config) as bootstrap:
        async with WorkerRuntime(config, bootstrap, frozenset(WORKER_ROLES), detector=detector) as runtime:
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=MAX_RECORD_BYTES, linger_ms=5)
            await producer.start()
            topic = runtime.services.topics.frames  # type: ignore[union-attr]
            sent, half_sent, half_done = 0, 0, 0.0
            started = time.time()
            try:
                for seq in range(int(seconds * fps)):
                    await asyncio.sleep(max(0.0, started + seq / fps - time.time()))
                    if seq == int(seconds * fps / 2):
                        half_sent, half_done = sent, processed(runtime)
                    jpeg, width, height = jpegs[seq % len(jpegs)]
                    for camera in ids:
                        header = FrameHeader(
                            camera_id=camera,
                            stream_id=f"bench-{camera}-{run}",
                            seq=seq,
                            ts=time.time(),
                            width=width,
                            height=height,
                            fps=fps,
                            live=True,
                        )
                        await producer.send(topic, encode_frame(header, jpeg), key=camera.encode())
                        sent += 1
                await producer.flush()
                flushed = time.time()
                while processed(runtime) + processed(runtime, "frames_shed") < sent and time.time() - flushed < 10:
                    await asyncio.sleep(0.1)
                drain_s = time.time() - flushed  # a worker that keeps up drains what is in flight at once
                done = processed(runtime)
            finally:
                await producer.stop()
            share = (done - half_done) / max(1, sent - half_sent)
            shed = int(processed(runtime, "frames_shed"))
            kept_up = drain_s <= 2.0 and share >= 0.97 and shed <= 0.03 * sent
            return kept_up, drain_s, share, shed, rss_mb()


async def search(
    base: SiteConfig, detector: Detector, fps: float, seconds: float, scenes: set[str], labels: set[str] | None
) -> None:
    """All runs in one event loop: Faust and its helpers keep state bound to the loop they first ran on."""
    rss_at_8: dict[str, float] = {}
    for scene, settings, start, step in VARIANTS:
        motion_settings = {k: v for k, v in settings.items() if k != "rate"}
        rate = base.detector.rate.model_copy(update={"enabled": bool(settings.get("rate"))})
        motion = base.detector.motion.model_copy(update=motion_settings)
        label = "off" if not motion.enabled else "on, mosaics" if motion.mosaic else "on"
        label += ", adaptive rate" if rate.enabled else ""
        if scene not in scenes or (labels is not None and label not in labels):
            continue
        jpegs = scene_jpegs(scene, fps, 1280)
        detector_config = base.detector.model_copy(update={"motion": motion, "rate": rate})
        config = base.model_copy(update={"detector": detector_config})
        tried, best, n = [], 0, start
        while True:
            ok, drain_s, share, shed, rss = await run_cameras(config, detector, jpegs, n, fps, seconds)
            tried.append(f"{n}: {drain_s:.1f} s / {share:.2f} / {shed}{'' if ok else ' (behind)'}")
            if n == 8:
                rss_at_8[f"{scene}, gating {label}"] = rss
            if not ok:
                break
            best, n = n, n + step
        print(f"| {scene} | {label} | {'; '.join(tried)} | {best} |", flush=True)
    for name, rss in rss_at_8.items():
        print(f"worker RSS with 8 cameras ({name}): {rss:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--scenes", default=",".join(SCENES), help=f"comma-separated, of {', '.join(SCENES)}")
    parser.add_argument(
        "--gating", help="only these gating settings, ;-separated: off;on;on, mosaics;on, adaptive rate (default: all)"
    )
    args = parser.parse_args()
    scenes = set(args.scenes.split(","))
    if not scenes <= set(SCENES):
        parser.error(f"unknown scene in {args.scenes!r}")
    base = load_config(None)
    detector = load_detector(base.detector.model)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores; {args.seconds:g} s per run at {args.fps:g} fps")
    print("| scene | gating | N cameras: drain after last send / processed share (2nd half) / shed | largest N |")
    print("| --- | --- | --- | --- |")
    labels = set(args.gating.split(";")) if args.gating else None
    asyncio.run(search(base, detector, args.fps, args.seconds, scenes, labels))


if __name__ == "__main__":
    main()

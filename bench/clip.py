"""Evidence clip: how long after an alert starts its clip is ready, alone and while the worker serves cameras.

A 20 s clip at 5 fps (100 real 1280x720 frames of the shared street clip, kept in the real Redis with a person and
a car box each, as the detect stage keeps them) is built by `ClipMaker` the way the delivery stage builds it after
the alert's start is stored. First alone, then while one worker (detect + rules + deliver, embedded broker) serves
N cameras at 5 fps from the parked-cars clip (`bench/cameras.py`'s run): it prints clip-ready p50/p95/max and
whether the worker kept up (drain after the last frame <= 2 s, >= 97 % of the second half processed).
`--compare-presets ultrafast,superfast,veryfast` instead builds the clips alone with each x264 preset in turn
(alternating, so a change in the machine's load hits each alike) and prints CPU seconds, wall seconds and size.

    .venv/bin/python -m bench.clip [--alerts 20] [--cameras 4] [--seconds 40] [--compare-presets P1,P2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

from alerts.config import ClipConfig
from alerts.evidence.clip import encode_objects
from alerts.evidence.clip_maker import ClipMaker
from alerts.models import AlertEvent, AlertPhase
from alerts.store import AlertStore
from bench.cameras import run_cameras, scene_jpegs
from bench.pipeline import pct
from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject
from detectors.vision.model import load_detector
from streams.config import load_config
from streams.runtime import make_store

os.environ.setdefault("YOLO_OFFLINE", "1")

CLIP_S, FPS = 20.0, 5.0


async def seed(store: AlertStore, camera: str, stream: str, start: float) -> None:
    """100 real frames as the detect stage keeps them: JPEG, capture time, the boxes of a person and a car."""
    jpegs = scene_jpegs("busy", FPS, 1280)
    objects = [
        TrackedObject(track_id=7, cls=ObjectClass.PERSON, box=Box(x1=600, y1=300, x2=660, y2=460), confidence=0.9),
        TrackedObject(track_id=100, cls=ObjectClass.CAR, box=Box(x1=500, y1=380, x2=800, y2=520), confidence=0.9),
    ]
    for seq in range(int(CLIP_S * FPS)):
        jpeg = jpegs[seq % len(jpegs)][0]
        await store.put_frame(camera, stream, seq, jpeg, 600, ts=start + seq / FPS, boxes=encode_objects(objects))


def alert(n: int, camera: str, stream: str, start: float, config: ClipConfig) -> AlertEvent:
    """An alert whose clip window (before_s before it began, to its start) is the 20 s of seeded frames."""
    began = start + config.before_s
    return AlertEvent(
        alert_id=f"bench-clip-{uuid.uuid4().hex[:8]}-{n}",
        event_id=f"bench-{n}",
        phase=AlertPhase.START,
        rule="loitering",
        site_id="bench",
        camera_id=camera,
        stream_id=stream,
        started_at=began,
        ts=start + CLIP_S - 0.01,
        dwell_s=start + CLIP_S - began,
        person_track_id=7,
        vehicle_track_id=100,
        person_box=(600, 300, 660, 460),
        vehicle_box=(500, 380, 800, 520),
        frame_seq=99,
        frame_width=1280,
        frame_height=720,
    )


async def build_clips_timed(
    maker: ClipMaker, count: int, gap_s: float, start: float, camera: str, stream: str
) -> tuple[list[float], list[float]]:
    """(wall seconds, process CPU seconds) per clip: on a shared machine the CPU time is the figure that holds."""
    walls, cpus = [], []
    for n in range(count):
        began, cpu = time.perf_counter(), time.process_time()
        info = await maker.make(alert(n, camera, stream, start, maker.config))
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - cpu)
        assert info is not None and info["frames"] == int(CLIP_S * FPS), info
        await asyncio.sleep(gap_s)
    return walls, cpus


async def compare_presets(
    store: AlertStore, config: ClipConfig, presets: list[str], alerts: int, start: float, camera: str, stream: str
) -> None:
    """The same clips with each preset in turn, round after round: CPU and wall seconds per clip, and its size."""
    makers = {p: ClipMaker(store, ClipConfig.model_validate({**config.model_dump(), "preset": p})) for p in presets}
    cpus: dict[str, list[float]] = {p: [] for p in presets}
    walls: dict[str, list[float]] = {p: [] for p in presets}
    sizes: dict[str, int] = {}
    for n in range(alerts):
        for preset, maker in makers.items():
            event = alert(n, camera, stream, start, maker.config)
            began, cpu = time.perf_counter(), time.process_time()
            info = await maker.make(event)
            walls[preset].append(time.perf_counter() - began)
            cpus[preset].append(time.process_time() - cpu)
            assert info is not None and info["frames"] == int(CLIP_S * FPS), info
            sizes[preset] = len(await store.get_clip(event.alert_id) or b"")
    for preset in presets:
        print(
            f"{preset:>10}: CPU s per clip p50 {pct(cpus[preset], 0.5):.2f}, p95 {pct(cpus[preset], 0.95):.2f}; "
            f"wall p50 {pct(walls[preset], 0.5):.2f} s, p95 {pct(walls[preset], 0.95):.2f} s; "
            f"{sizes[preset] / 1024:.0f} KB per {CLIP_S:.0f} s clip ({alerts} clips each)",
            flush=True,
        )
    print(f"load average while measured: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)


def report(label: str, ready: list[float]) -> None:
    print(
        f"{label}: clip ready after alert start p50 {pct(ready, 0.5):.2f} s, p95 {pct(ready, 0.95):.2f} s, "
        f"max {max(ready):.2f} s over {len(ready)} clips of {CLIP_S:.0f} s at {FPS:.0f} fps",
        flush=True,
    )


async def main_async(alerts: int, cameras: int, seconds: float, presets: list[str] | None = None) -> None:
    config = load_config(None)
    clip_config = config.alerts.clip.model_copy(update={"fps": FPS})
    prefix = f"sentinel-bench-clip-{uuid.uuid4().hex[:6]}:"
    store = make_store(config.model_copy(update={"redis": config.redis.model_copy(update={"key_prefix": prefix})}))
    camera, stream, start = "bench-cam", "bench-stream", time.time() - 300
    try:
        await seed(store, camera, stream, start)
        if presets:
            await compare_presets(store, clip_config, presets, alerts, start, camera, stream)
            return
        maker = ClipMaker(store, clip_config)
        walls, cpus = await build_clips_timed(maker, alerts, 0.0, start, camera, stream)
        print(f"x264 preset {clip_config.preset}, {clip_config.threads} encoder threads", flush=True)
        report("alone", walls)
        print(f"alone: CPU seconds per clip p50 {pct(cpus, 0.5):.2f}, p95 {pct(cpus, 0.95):.2f}", flush=True)
        print(f"load average while measured: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        if not cameras:
            return
        detector = load_detector(config.detector.model)
        jpegs = scene_jpegs("static", FPS, 1280)
        gap = max(0.0, (seconds - 5) / alerts - 1.0)  # spread the clips over the run

        async def clips_during_run() -> None:  # reported as soon as done: the worker's teardown may take long
            walls, cpus = await build_clips_timed(maker, alerts, gap, start, camera, stream)
            report(f"with {cameras} cameras at {FPS:.0f} fps", walls)
            print(f"with cameras: CPU seconds per clip p50 {pct(cpus, 0.5):.2f} (the worker's too)", flush=True)

        worker, _ = await asyncio.gather(
            run_cameras(config, detector, jpegs, cameras, FPS, seconds), clips_during_run()
        )
        kept_up, drain_s, share, shed, _ = worker
        print(
            f"worker with {cameras} cameras while clips were built: kept up {kept_up} "
            f"(drain {drain_s:.1f} s, second half processed {share:.2f}, shed {shed})",
            flush=True,
        )
    finally:
        keys = [k async for k in store.redis.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await store.redis.delete(*keys)
        await store.redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20)
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--alone", action="store_true", help="Only the clips, without the worker and its cameras")
    parser.add_argument(
        "--compare-presets",
        default="",
        help="Comma-separated x264 presets (e.g. ultrafast,superfast,veryfast): the clips alone, each preset in turn",
    )
    args = parser.parse_args()
    presets = [p.strip() for p in args.compare_presets.split(",") if p.strip()]
    asyncio.run(main_async(args.alerts, 0 if args.alone else args.cameras, args.seconds, presets))


if __name__ == "__main__":
    main()

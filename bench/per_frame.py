"""Per-frame CPU outside the model, OpenVINO YOLO backend: the old Python path against the in-graph one.

On the same decoded frames, alternating the two paths batch by batch in one run (so the machine's load hits both
alike), prints per frame: our pre-processing CPU ms (letterbox, caller thread), post-processing CPU ms (decode +
NMS + detections, caller thread), the output copy in OpenVINO's callback threads, the model (process CPU minus
ours) and wall ms; then how far the two paths' boxes are apart. CPU is thread/process CPU time, never wall, so
other work on the box does not inflate it.

    .venv/bin/python -m bench.per_frame [--clip PATH] [--frames 100] [--rounds 3]

Two frame sets: the clip's frames as decoded (1080p: the letterbox resizes) and the frames as the detect stage
gets them from a 1280-wide ingest (JPEG decoded at 1/2: 640x360, the letterbox only pads).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from bench.pipeline import pipeline_images
from detectors.config import OpenVinoModelConfig
from detectors.vision.yolo_openvino import OpenVinoDetector
from streams.agents import DETECT_BATCH
from streams.config import CameraConfig, load_config

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "clips" / "street_people_1080p.mp4"


def clip_frames(clip: Path, limit: int) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(clip))
    frames = []
    while len(frames) < limit:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def run_once(detector: OpenVinoDetector, images: list[np.ndarray]) -> dict[str, float]:
    """One pass over the frames; ms per frame for each part."""
    for key in detector.cpu_s:
        detector.cpu_s[key] = 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(images), DETECT_BATCH):
        detector.detect_many(images[i : i + DETECT_BATCH])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    ours = sum(detector.cpu_s.values())
    n = len(images) / 1000.0
    return {
        "pre": detector.cpu_s["pre"] / n,
        "post": detector.cpu_s["post"] / n,
        "callback": detector.cpu_s["callback"] / n,
        "outside": ours / n,
        "model": (cpu - ours) / n,
        "wall": wall / n,
    }


def box_gap(old: OpenVinoDetector, new: OpenVinoDetector, images: list[np.ndarray]) -> tuple[float, int, int]:
    """Largest corner distance (px) between matched boxes of the two paths, and the detection counts."""
    worst, count_old, count_new = 0.0, 0, 0
    for i in range(0, len(images), DETECT_BATCH):
        batch = images[i : i + DETECT_BATCH]
        for a, b in zip(old.detect_many(batch), new.detect_many(batch), strict=True):
            count_old, count_new = count_old + len(a), count_new + len(b)
            for det in a:
                same = [d for d in b if d.cls == det.cls]
                if same:
                    gaps = [
                        max(abs(det.box.x1 - d.box.x1), abs(det.box.y1 - d.box.y1),
                            abs(det.box.x2 - d.box.x2), abs(det.box.y2 - d.box.y2))
                        for d in same
                    ]  # fmt: skip
                    worst = max(worst, min(gaps))
    return worst, count_old, count_new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="alternating passes of each path per frame set")
    args = parser.parse_args()
    config = load_config(None)
    model = config.detector.model
    if not isinstance(model, OpenVinoModelConfig):
        model = OpenVinoModelConfig()
    old, new = OpenVinoDetector(model, in_graph=False), OpenVinoDetector(model, in_graph=True)
    sets = {
        "1080p decoded": clip_frames(args.clip, args.frames),
        "detect stage (640x360)": pipeline_images(
            args.clip, 30.0, args.frames, CameraConfig(id="b", max_width=1280), config
        ),
    }
    print(f"{platform.node()} {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, {time.strftime('%F %T')}")
    print(
        f"{args.clip.name}, {args.frames} frames, batches of {DETECT_BATCH}, {args.rounds} alternating rounds, medians"
    )
    header = f"{'frames':24} {'path':10} {'pre':>6} {'post':>6} {'callbk':>6} {'outside':>8} {'model':>7} {'wall':>6}"
    print("CPU ms per frame (pre/post: caller thread; callbk: OpenVINO threads; model: process CPU minus ours)")
    print(header)
    for name, images in sets.items():
        old.detect_many(images[:DETECT_BATCH])  # warm-up
        new.detect_many(images[:DETECT_BATCH])
        runs: dict[str, list[dict[str, float]]] = {"old": [], "in-graph": []}
        for _ in range(args.rounds):
            runs["old"].append(run_once(old, images))
            runs["in-graph"].append(run_once(new, images))
        for path, results in runs.items():
            med = {key: statistics.median(r[key] for r in results) for key in results[0]}
            print(
                f"{name:24} {path:10} {med['pre']:6.2f} {med['post']:6.2f} {med['callback']:6.2f} "
                f"{med['outside']:8.2f} {med['model']:7.2f} {med['wall']:6.2f}"
            )
        worst, count_old, count_new = box_gap(old, new, images)
        print(f"{name:24} boxes: old {count_old}, in-graph {count_new}, largest corner gap {worst:.2f} px")


if __name__ == "__main__":
    main()

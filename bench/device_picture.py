"""Device picture checks on the shared clips: the margins behind the covered/moved defaults, and their cost.

For each clip (sampled at 4 frames a second, at most 1280 px wide as ingest sends it), the reference is learned
from the first 8 samples of the camera's view (85 % of the width), then every sample is measured as it is, made
dark, covered by a uniform patch, and with the view turned (the window 15 % of the width further right).
Prints, per clip and state, the worst case toward a false decision: spread (grey levels), share of the usual
edges, share of static edges in place and view slide (share of the width); then the time of one check
(decode small + measure + compare) on a 1280x720 JPEG.

    .venv/bin/python -m bench.device_picture
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from detectors.devices.picture import edge_match, picture_stats, static_edges, view_shift
from streams.ingest import encode_jpeg, file_frames
from streams.stages.devices import decode_small

CLIPS = "/work/shared/clips/"
NAMES = ("residential_street_parked_cars.mp4", "street_people_1080p.mp4", "virat_plaza_people_seated.avi")


def samples(name: str) -> list[np.ndarray]:
    out = []
    for frame in file_frames(CLIPS + name, 4.0, 0.0):
        image = frame.image
        if image.shape[1] > 1280:
            image = cv2.resize(image, (1280, round(image.shape[0] * 1280 / image.shape[1])))
        out.append(image)
    return out


def main() -> None:
    print(f"{'clip':38} {'state':8} {'spread':>7} {'edges':>6} {'in place':>8} {'slide':>6}")
    for name in NAMES:
        images = samples(name)
        keep = int(images[0].shape[1] * 0.85)
        view = [i[:, :keep] for i in images]
        stats = [picture_stats(i) for i in view]
        reference = static_edges([s.edges for s in stats[:8]])
        grey = np.mean(np.stack([s.grey for s in stats[:8]]), axis=0).astype(np.float32)
        usual = float(np.mean([s.edge_density for s in stats[:8]]))
        states = {
            "as is": (view, min),
            "dark": ([(i * 0.03).astype(np.uint8) for i in view], max),
            "covered": ([_cover(i) for i in view], max),
            "turned": ([i[:, i.shape[1] - keep :] for i in images], max),
        }
        for state, (frames, worst) in states.items():
            measured = [picture_stats(f) for f in frames]
            spread = worst(s.spread for s in measured)
            edges = worst(s.edge_density / usual for s in measured)
            in_place = worst(edge_match(reference, s.edges) for s in measured)
            slide = (max if state == "as is" else min)(view_shift(grey, s.grey) for s in measured)
            print(f"{name:38} {state:8} {spread:7.1f} {edges:6.2f} {in_place:8.2f} {slide:6.3f}")
    jpeg, width, _ = encode_jpeg(cv2.resize(samples(NAMES[1])[0], (1280, 720)), 85, None)
    started, runs = time.perf_counter(), 200
    for _ in range(runs):
        small = decode_small(jpeg, width)
        assert small is not None
        s = picture_stats(small)
        edge_match(s.edges, s.edges)
        view_shift(s.grey, s.grey)
    print(f"one check of a 1280x720 JPEG: {(time.perf_counter() - started) / runs * 1000:.2f} ms")


def _cover(image: np.ndarray) -> np.ndarray:
    out = image.copy()
    out[int(image.shape[0] * 0.08) :, :] = (70, 72, 75)
    return out


if __name__ == "__main__":
    main()

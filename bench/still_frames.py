"""CPU per frame of what a gated camera's frame costs before the model: JPEG decode + motion gate.

The old path decodes every frame in colour (at the detect stage's reduction) and the gate shrinks it to its 320 px
grey; the new one decodes a frame the gate is expected to find still straight to grey at about the gate's width and
decodes it in colour only if the gate passes it (`streams/stages/frame_decoder.py`: its `grey_scale` choice, for a
camera without the adaptive rate, and its `through_gate` step, called here as the stage calls them). Scenes: the
camera-capacity bench's static scene (the parked-cars clip's first frame held, 640x352), the street clip's first
frame held (1280x720, as a 1080p camera sends it at 1280), and the street clip itself (people walking: every frame
passes the gate). The gate's whole look comes every `--interval` s (3: the adaptive rate's idle state, what a still
scene with nobody in view gets). Rounds alternate old and new over the same frames, so other work on the machine
hits both alike; CPU is this thread's CPU time, never wall. Medians.

    .venv/bin/python -m bench.still_frames [--frames 150] [--rounds 7] [--interval 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

from detectors.config import MotionConfig
from detectors.vision.motion import MotionGate
from streams.config import DetectorConfig
from streams.ingest import encode_jpeg, file_frames
from streams.records import FrameHeader
from streams.stages.decoding import decode_jpeg, jpeg_reduction
from streams.stages.frame_decoder import FrameDecoder, grey_scale

CLIPS = Path(__file__).resolve().parents[1].parent / "shared" / "clips"
FPS = 5.0


def scene(clip: str, frames: int, hold: bool) -> list[tuple[FrameHeader, bytes]]:
    """The frames as a camera sends them, with their headers (made here, outside the timed loop)."""
    images = [
        f.image for f, _ in zip(file_frames(str(CLIPS / clip), FPS, 0.0), range(1 if hold else frames), strict=False)
    ]
    jpegs = [encode_jpeg(image, 85, 1280) for image in images]
    out = []
    for seq in range(frames):
        jpeg, width, height = jpegs[seq % len(jpegs)]
        out.append(
            (
                FrameHeader(camera_id="c", stream_id="s", seq=seq, ts=seq / FPS, width=width, height=height, fps=FPS),
                jpeg,
            )
        )
    return out


def run(frames: list[tuple[FrameHeader, bytes]], new: bool, interval: float) -> tuple[float, int, int]:
    """CPU ms per frame, colour decodes, looks: one camera's frames through decode + gate, as the stage does."""
    gate = MotionGate(MotionConfig(max_interval_s=interval))
    colour = looks = 0
    started = time.thread_time()
    for header, jpeg in frames:
        ts = header.ts
        reduction = jpeg_reduction(DetectorConfig(), header.width, header.height)
        if new:
            grey = grey_scale(header, gate, None)
            decoded = decode_jpeg(jpeg, grey or reduction, grey > 0)
            assert decoded is not None
            decision, image = FrameDecoder.through_gate(gate, decoded, grey, header, jpeg, reduction, None)
            colour += not grey or image is not None
        else:
            image = decode_jpeg(jpeg, reduction)
            assert image is not None
            colour += 1
            decision = gate.decide(image, ts)
        if decision.run:
            looks += 1
            gate.looked_at_whole(ts)
    return (time.thread_time() - started) * 1e3 / len(frames), colour, looks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=150, help="frames per scene and round (5 fps)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--interval", type=float, default=3.0, help="the gate's longest gap between whole looks (s)")
    args = parser.parse_args()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M')} {platform.processor() or platform.machine()}, {os.cpu_count()} cores, ",
        end="",
    )
    print(f"load {os.getloadavg()[0]:.2f}; {args.frames} frames x {args.rounds} rounds, interval {args.interval} s")
    scenes = {
        "static (parked cars held, 640x352)": scene("residential_street_parked_cars.mp4", args.frames, hold=True),
        "street held (1280x720)": scene("street_people_1080p.mp4", args.frames, hold=True),
        "busy (street clip, 1280x720)": scene("street_people_1080p.mp4", args.frames, hold=False),
    }
    print(f"{'CPU ms per frame, decode + gate':38} {'old':>7} {'new':>7} {'saved':>6}  colour decodes old/new  looks")
    for name, jpegs in scenes.items():
        old, new = [], []
        for _ in range(args.rounds):
            old.append(run(jpegs, False, args.interval))
            new.append(run(jpegs, True, args.interval))
        o, n = statistics.median(r[0] for r in old), statistics.median(r[0] for r in new)
        print(f"{name:38} {o:7.3f} {n:7.3f} {1 - n / o:6.0%}  {old[0][1]:>10}/{new[0][1]:<10}  {new[0][2]}")
    print(f"load {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()

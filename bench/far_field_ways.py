"""Variants of the far-field camera config scored in one run against the VIRAT clip's ground truth.

Each variant is a camera `detector` section (docs/people-detection.md) run through the live detect stage by
`streams/evaluation/ground_truth_eval.py`, the code of `sentinel eval-tracks`: the motion gate, tracker
buffer and matching, crop count and size, the model's input size, and person continuity before switches are
counted. Prints the eval-tracks table, cost included (CPU ms per frame, cameras at 5 fps per 2 cores); timings
are only comparable within one run on a shared machine.

    .venv/bin/python -m bench.far_field_ways [--match REGEX]
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from detectors.config import ContinuityConfig, MotionConfig, PersonVehicleBikeModelConfig
from detectors.vision.confirmation import ConfirmConfig
from detectors.vision.crops import CropConfig
from detectors.vision.model import load_detector
from detectors.vision.people_pass import CameraDetectorConfig
from streams.cli.eval_tracks import CLIP, LOW_SCORE_TRACKER, OBJECTS
from streams.config import CameraConfig
from streams.evaluation.ground_truth_eval import Method, load_clip, report, run_method

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("YOLO_OFFLINE", "1")

LOW = PersonVehicleBikeModelConfig(type="person_vehicle_bike", confidence=0.1)
GATE_OFF = MotionConfig(enabled=False)
FINE_GATE = MotionConfig(width=640, area_ratio=0.0001)
FAR = CameraDetectorConfig(tracker=LOW_SCORE_TRACKER, crops=CropConfig(), confirm=ConfirmConfig())


def way(name: str, model: PersonVehicleBikeModelConfig = LOW, **section: object) -> Method:
    camera = CameraConfig(id="eval", detector=FAR.model_copy(update=section))
    return Method(name, model, camera=camera)


def variants() -> list[Method]:
    longer = LOW_SCORE_TRACKER.model_copy(update={"lost_buffer_s": 6.0})
    looser = LOW_SCORE_TRACKER.model_copy(update={"match_thresh": 0.9})
    wide = LOW.model_copy(update={"imgsz": 1280, "input_height": 720})
    lower = LOW.model_copy(update={"confidence": 0.07})
    lower_tracker = LOW_SCORE_TRACKER.model_copy(update={"track_high_thresh": 0.07, "new_track_thresh": 0.07})
    faint = LOW.model_copy(update={"confidence": 0.05})
    two_pass = LOW_SCORE_TRACKER.model_copy(update={"track_high_thresh": 0.2, "new_track_thresh": 0.2})
    return [
        way("recommended, site gate (320 px)"),
        way("gate at 640 px, 0.01 %", motion=FINE_GATE),
        way("no gate", motion=GATE_OFF),
        way("no gate, track buffer 6 s", motion=GATE_OFF, tracker=longer),
        way("no gate, match_thresh 0.9", motion=GATE_OFF, tracker=looser),
        way("no gate, 5 crops", motion=GATE_OFF, crops=CropConfig(max_crops=5)),
        way("no gate, confirm after 2 frames", motion=GATE_OFF, confirm=ConfirmConfig(min_frames=2)),
        Method(
            "no gate, continuity gap 8 s, shift 1.5 heights",
            LOW,
            camera=CameraConfig(id="eval", detector=FAR.model_copy(update={"motion": GATE_OFF})),
            continuity=ContinuityConfig(max_gap_s=8.0, max_shift_ratio=1.5),
        ),
        way("no gate, model reshaped 1280x720 + 3 crops", wide, motion=GATE_OFF),
        way("no gate, 3x crops", motion=GATE_OFF, crops=CropConfig(zoom=3.0)),
        way("no gate, candidates from 0.07", lower, motion=GATE_OFF, tracker=lower_tracker),
        way("no gate, boxes from 0.05 extend tracks (ByteTrack low-score pass)", faint, motion=GATE_OFF),
        way("no gate, ByteTrack 0.2 high / 0.05 low", faint, motion=GATE_OFF, tracker=two_pass),
        way("no gate, confirmed by a 0.5 score (from 0.35)", motion=GATE_OFF, confirm=ConfirmConfig(strong_score=0.5)),
        way(
            "no gate, confirmed by a 0.5 score or a 0.3-height move",
            motion=GATE_OFF,
            confirm=ConfirmConfig(strong_score=0.5, min_move_ratio=0.3),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--match", default="", help="Run only the variants whose name this regular expression finds")
    args = parser.parse_args()
    clip = load_clip(ROOT / CLIP, ROOT / OBJECTS)
    chosen = [m for m in variants() if re.search(args.match, m.name)]
    results = []
    for method in chosen:
        detector = load_detector(method.model)
        detector.detect(clip.frames[0][1])  # warm up: compilation is not per-frame cost
        results.append(run_method(detector, method, clip))
        print(f"done: {method.name}", flush=True)
    print(report(results))


if __name__ == "__main__":
    main()

"""Person recall of the detector on hand-checked frames of the shared clips, with and without sliced inference.

Each labelled frame (tests/data/person_labels.json) is sent as ingest sends it (downscaled to the camera's
`max_width`, JPEG-encoded at quality 85, decoded) and run through the model whole or as tiles merged back
(`streams/people_eval.py`, the code of `sentinel eval-people`, on the detect stage's own slicing), at the
model's default confidence. Prints recall (overall, and for people under 64 px tall), precision, model runs and
milliseconds per frame, for more ways of running the model than `sentinel eval-people` compares.

    .venv/bin/python bench/person_recall.py [--labels tests/data/person_labels.json] [--clips ../shared/clips]
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

from detectors.config import OpenVinoModelConfig
from detectors.vision.model import load_detector
from detectors.vision.person_recall import load_labels
from detectors.vision.slicing import SlicingConfig
from streams.evaluation.people_eval import Variant, read_frames, report, run_variant

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("YOLO_OFFLINE", "1")  # never download weights or pip-install extras

VARIANTS = (
    Variant("whole frame, 1280 wide (default)", 1280, None),
    Variant("whole frame, native size", None, None),
    Variant("2x2 tiles + frame, 1280 wide", 1280, SlicingConfig(rows=2, cols=2)),
    Variant("2x2 tiles + frame, native size", None, SlicingConfig(rows=2, cols=2)),
    Variant("3x3 tiles + frame, native size", None, SlicingConfig(rows=3, cols=3)),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=Path, default=ROOT / "tests" / "data" / "person_labels.json")
    parser.add_argument("--clips", type=Path, default=ROOT.parent / "shared" / "clips")
    parser.add_argument("--model", type=Path, default=None, help="OpenVINO IR folder (default: the shared model)")
    args = parser.parse_args()
    frames = list(load_labels(args.labels).frames)
    images = read_frames(args.clips, frames)
    config = OpenVinoModelConfig(path=args.model) if args.model else OpenVinoModelConfig()
    detector = load_detector(config)
    detector.detect_many([images[0]])  # warm up
    people = sum(len(f.people) for f in frames)
    print(f"{platform.machine()}, {os.cpu_count()} cores; model {detector.path}, confidence {config.confidence}")
    print(f"{len(frames)} labelled frames, {people} people, from {len({f.clip for f in frames})} clips\n")
    print(report([run_variant(detector, variant, images, frames) for variant in VARIANTS]))


if __name__ == "__main__":
    main()

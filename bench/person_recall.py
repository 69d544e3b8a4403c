"""Person recall of the detector on hand-checked frames of the shared clips, with and without sliced inference.

Each labelled frame (tests/data/person_labels.json) is sent as ingest sends it (downscaled to the camera's
`max_width`, JPEG-encoded at quality 85, decoded) and run through the model whole or as tiles merged back
(`detectors/slicing.py`, the detect stage's own code), at the model's default confidence. Prints recall
(overall, and for people under 64 px tall), precision, the people missed, model runs and milliseconds per frame.

    .venv/bin/python bench/person_recall.py [--labels tests/data/person_labels.json] [--clips ../shared/clips]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("YOLO_OFFLINE", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from detectors.config import OpenVinoModelConfig  # noqa: E402
from detectors.model import Detector, load_detector  # noqa: E402
from detectors.person_recall import FrameLabels, Score, load_labels, score_frame  # noqa: E402
from detectors.slicing import SlicingConfig, merge_parts, parts  # noqa: E402
from streams.ingest import encode_jpeg  # noqa: E402
from streams.stages import decode_jpeg, scale_detection  # noqa: E402


@dataclass(frozen=True)
class Variant:
    name: str
    max_width: int | None  # the camera's detect resolution (None: native)
    slicing: SlicingConfig | None


VARIANTS = (
    Variant("whole frame, 1280 wide (default)", 1280, None),
    Variant("whole frame, native size", None, None),
    Variant("2x2 tiles + frame, 1280 wide", 1280, SlicingConfig(rows=2, cols=2)),
    Variant("2x2 tiles + frame, native size", None, SlicingConfig(rows=2, cols=2)),
    Variant("3x3 tiles + frame, native size", None, SlicingConfig(rows=3, cols=3)),
)


def read_frame(clips: Path, labels: FrameLabels) -> np.ndarray:
    capture = cv2.VideoCapture(str(clips / labels.clip))
    capture.set(cv2.CAP_PROP_POS_FRAMES, labels.frame)
    ok, image = capture.read()
    capture.release()
    if not ok:
        raise SystemExit(f"cannot read frame {labels.frame} of {clips / labels.clip}")
    return image


def run_variant(
    detector: Detector, variant: Variant, images: list[np.ndarray], frames: list[FrameLabels]
) -> tuple[dict[str, Score], float, float]:
    """Score per clip, model runs per frame and milliseconds per frame for one way of running the model."""
    by_clip: dict[str, Score] = {}
    runs = 0
    started = time.perf_counter()
    for image, labels in zip(images, frames, strict=True):
        jpeg, width, _ = encode_jpeg(image, 85, variant.max_width)
        sent = decode_jpeg(jpeg, 1)
        assert sent is not None
        cut = parts(sent, variant.slicing)
        runs += len(cut)
        found = merge_parts([o for o, _ in cut], detector.detect_many(p for _, p in cut), variant.slicing)
        factor = image.shape[1] / width
        found = [scale_detection(d, factor) for d in found] if factor != 1 else found
        by_clip[labels.clip] = by_clip.get(labels.clip, Score()) + score_frame(found, labels)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return by_clip, runs / len(frames), elapsed_ms / len(frames)


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=Path, default=ROOT / "tests" / "data" / "person_labels.json")
    parser.add_argument("--clips", type=Path, default=ROOT.parent / "shared" / "clips")
    parser.add_argument("--model", type=Path, default=None, help="OpenVINO IR folder (default: the shared model)")
    args = parser.parse_args()
    label_set = load_labels(args.labels)
    frames = list(label_set.frames)
    images = [read_frame(args.clips, f) for f in frames]
    config = OpenVinoModelConfig(path=args.model) if args.model else OpenVinoModelConfig()
    detector = load_detector(config)
    detector.detect_many([images[0]])  # warm up
    people = sum(len(f.people) for f in frames)
    print(f"{platform.machine()}, {os.cpu_count()} cores; model {detector.path}, confidence {config.confidence}")
    print(f"{len(frames)} labelled frames, {people} people, from {len({f.clip for f in frames})} clips\n")
    print("| variant | recall | recall, people < 64 px | precision | false people | model runs / frame | ms / frame |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    per_clip: dict[str, dict[str, Score]] = {}
    for variant in VARIANTS:
        by_clip, runs, ms = run_variant(detector, variant, images, frames)
        per_clip[variant.name] = by_clip
        total = sum(by_clip.values(), Score())
        print(
            f"| {variant.name} | {fmt(total.recall)} ({total.found}/{total.people}) | {fmt(total.small_recall)} "
            f"({total.small_found}/{total.small_people}) | {fmt(total.precision)} | {total.false_people} | "
            f"{runs:.0f} | {ms:.0f} |"
        )
    print("\nRecall per clip (found / people, false people):")
    for name, by_clip in per_clip.items():
        cells = ", ".join(f"{clip}: {s.found}/{s.people}, {s.false_people} false" for clip, s in by_clip.items())
        print(f"- {name}: {cells}")


if __name__ == "__main__":
    main()

"""Person recall of the configured detector on hand-labelled frames: whole frame against sliced, per clip.

A site checks whether its own cameras need slicing by labelling a few frames (the format of
`tests/data/person_labels.json`, scored by `detectors/person_recall.py`) and running `sentinel eval-people`.
Each frame goes the way a live one does: downscaled to the camera's detect width, JPEG-encoded, decoded, cut
into the parts the detect stage would run (`detectors/slicing.py`), and the boxes brought back to the labels'
native pixels.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detectors.types import Detection
from detectors.vision.backend import Detector
from detectors.vision.person_recall import FrameLabels, Score, score_frame
from detectors.vision.slicing import SlicingConfig, merge_parts, parts
from streams.ingest import SourceError, encode_jpeg, read_frame
from streams.stages.decoding import decode_jpeg, scale_detection

logger = logging.getLogger(__name__)


class LabelledFrameError(RuntimeError):
    """A labelled frame that cannot be read from its clip; the message names the clip and the frame."""


@dataclass(frozen=True)
class Variant:
    """One way of running the model on a camera's frames."""

    name: str
    max_width: int | None  # the camera's detect width; None keeps the native size
    slicing: SlicingConfig | None


@dataclass(frozen=True)
class VariantResult:
    variant: Variant
    by_clip: dict[str, Score]
    runs_per_frame: float
    ms_per_frame: float

    @property
    def total(self) -> Score:
        return sum(self.by_clip.values(), Score())


def read_frames(clips: Path, frames: list[FrameLabels]) -> list[np.ndarray]:
    """The labelled frames, read from their clips in `clips`."""
    try:
        return [read_frame(clips / labels.clip, labels.frame) for labels in frames]
    except SourceError as exc:
        raise LabelledFrameError(str(exc)) from None


def detect_as_sent(detector: Detector, image: np.ndarray, variant: Variant) -> tuple[list[Detection], int]:
    """What the detect stage would find on this frame sent by ingest, in the frame's native pixels, and how
    many model runs it took."""
    jpeg, width, _ = encode_jpeg(image, 85, variant.max_width)
    sent = decode_jpeg(jpeg, 1)
    if sent is None:
        raise LabelledFrameError("the frame did not survive JPEG encoding")
    cut = parts(sent, variant.slicing)
    found = merge_parts([offset for offset, _ in cut], detector.detect_many(p for _, p in cut), variant.slicing)
    factor = image.shape[1] / width
    return ([scale_detection(d, factor) for d in found] if factor != 1 else found), len(cut)


def run_variant(
    detector: Detector, variant: Variant, images: list[np.ndarray], frames: list[FrameLabels]
) -> VariantResult:
    by_clip: dict[str, Score] = {}
    runs = 0
    started = time.perf_counter()
    for image, labels in zip(images, frames, strict=True):
        found, used = detect_as_sent(detector, image, variant)
        runs += used
        by_clip[labels.clip] = by_clip.get(labels.clip, Score()) + score_frame(found, labels)
    elapsed_ms = (time.perf_counter() - started) * 1000
    logger.info("%s: %d frames scored", variant.name, len(frames))
    return VariantResult(variant, by_clip, runs / len(frames), elapsed_ms / len(frames))


def report(results: list[VariantResult]) -> str:
    """A Markdown table (recall, small people, precision, false people, cost) and recall per clip."""

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    lines = [
        "| how the model runs | recall | recall, people < 64 px | precision | false people | model runs / frame "
        "| ms / frame |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        t = result.total
        lines.append(
            f"| {result.variant.name} | {fmt(t.recall)} ({t.found}/{t.people}) | {fmt(t.small_recall)} "
            f"({t.small_found}/{t.small_people}) | {fmt(t.precision)} | {t.false_people} | "
            f"{result.runs_per_frame:.0f} | {result.ms_per_frame:.0f} |"
        )
    lines.append("\nRecall per clip (found / people, false people):")
    for result in results:
        cells = ", ".join(f"{clip}: {s.found}/{s.people}, {s.false_people} false" for clip, s in result.by_clip.items())
        lines.append(f"- {result.variant.name}: {cells}")
    return "\n".join(lines)

"""Detection and tracking of people on a real clip against the dataset's own ground truth (VIRAT objects files).

What `sentinel eval-tracks` runs: the clip sampled at the camera's rate, each frame sent as ingest sends it
(downscaled to the detect width, JPEG), run through a way of detecting (`Method`: a backend, slicing, zoomed
crops around motion and live tracks), tracked with ByteTrack, joined by person continuity as the rules stage
does, and scored per frame and per person by `detectors/ground_truth.py`. CPU time per frame is measured
with the process's own clock (every thread, OpenVINO's included), so cameras per box follows from it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from detectors.behaviour.continuity import PersonContinuity
from detectors.config import ContinuityConfig, ModelConfig, OpenVinoModelConfig, TrackerConfig
from detectors.geometry import Box
from detectors.types import Detection, ObjectClass, TrackFrame
from detectors.vision.backend import Detector
from detectors.vision.confirmation import CandidateConfirmation, ConfirmConfig
from detectors.vision.crops import CropConfig, grey, moving_boxes, plan_crops, track_interest
from detectors.vision.ground_truth import FrameCounts, People, TrackScore, score_frame, score_tracks
from detectors.vision.slicing import SlicingConfig, merge, parts, shifted
from detectors.vision.tracking import CameraTracker
from streams.evaluation.virat import read_virat_objects
from streams.ingest import SourceError, encode_jpeg, open_capture
from streams.stages.detect import decode_jpeg, scale_detection

logger = logging.getLogger(__name__)

VIRAT_PERSON = 1
CAMERA_FPS = 5.0  # the product's default sampling rate (cameras[].fps)
CORES = 2


@dataclass(frozen=True)
class Method:
    """One way of finding people on a camera's frames."""

    name: str
    model: ModelConfig = field(default_factory=OpenVinoModelConfig)
    max_width: int | None = 1280
    slicing: SlicingConfig | None = None
    crops: CropConfig | None = None
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    confirm: ConfirmConfig | None = None


@dataclass(frozen=True)
class MethodResult:
    method: Method
    detections: FrameCounts  # every box the detector returned
    tracks: FrameCounts  # what the rules get: confirmed tracks, after continuity
    track_score: TrackScore
    runs_per_frame: float
    wall_ms: float
    cpu_ms: float

    @property
    def cameras_per_box(self) -> float:
        """Cameras at 5 fps the CPU time allows on a 2-core box, detection and tracking only."""
        return CORES * 1000 / (self.cpu_ms * CAMERA_FPS) if self.cpu_ms else 0.0


@dataclass(frozen=True)
class Clip:
    """The sampled frames of a clip with their ground-truth people (native pixels)."""

    frames: list[tuple[int, np.ndarray]]
    truth: Mapping[int, People]
    fps: float  # of the sampled frames


def load_clip(video: Path, objects: Path, fps: float = CAMERA_FPS) -> Clip:
    """Every k-th frame of the clip (k from its own frame rate, so about `fps`) with the people of those frames."""
    annotations = read_virat_objects(objects)
    capture = open_capture(str(video))
    try:
        native = capture.get(cv2.CAP_PROP_FPS) or 30.0
        every = max(1, round(native / fps))
        frames = []
        index = 0
        while True:
            ok, image = capture.read()
            if not ok:
                break
            if index % every == 0:
                frames.append((index, image))
            index += 1
    finally:
        capture.release()
    if not frames:
        raise SourceError(f"no frames read from {video}")
    truth = {
        index: {oid: box for oid, kind, box in annotations.get(index, []) if kind == VIRAT_PERSON}
        for index, _ in frames
    }
    return Clip(frames, truth, native / every)


def run_method(detector: Detector, method: Method, clip: Clip) -> MethodResult:
    tracker = CameraTracker(method.tracker, clip.fps)
    continuity = PersonContinuity(ContinuityConfig())
    confirmation = CandidateConfirmation(method.confirm) if method.confirm else None
    merging = method.slicing or SlicingConfig()
    input_h, input_w = getattr(detector, "input_size", (detector.input_side, detector.input_side))
    detections, tracked = FrameCounts(), FrameCounts()
    ours: dict[int, People] = {}
    previous: np.ndarray | None = None
    live: list[Box] = []
    runs = 0
    wall = cpu = 0.0
    for index, image in clip.frames:
        jpeg, width, _ = encode_jpeg(image, 85, method.max_width)
        sent = decode_jpeg(jpeg, 1)
        assert sent is not None
        factor = image.shape[1] / width
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        cut = parts(sent, method.slicing)
        if method.crops is not None:
            now = grey(sent)
            interest = track_interest(live, method.crops.track_margin)
            if previous is not None:
                interest += moving_boxes(previous, now, sent.shape[1], method.crops)
            previous = now
            crop = (round(input_w / method.crops.zoom), round(input_h / method.crops.zoom))
            for x1, y1, x2, y2 in plan_crops(interest, (sent.shape[1], sent.shape[0]), crop, method.crops.max_crops):
                cut.append(((x1, y1), sent[y1:y2, x1:x2]))
        found_parts = detector.detect_many(p for _, p in cut)
        offsets = [offset for offset, _ in cut]
        found = merge(
            [[shifted(d, dx, dy) for d in g] for (dx, dy), g in zip(offsets, found_parts, strict=True)], merging
        )
        objects = tracker.update(found)
        if confirmation is not None:
            objects = confirmation.filter(objects)
        frame = continuity.resolve(
            TrackFrame(
                camera_id="eval",
                stream_id="eval",
                seq=index,
                ts=index / clip.fps,
                width=width,
                height=sent.shape[0],
                objects=objects,
            )
        )
        wall += time.perf_counter() - wall_start
        cpu += time.process_time() - cpu_start
        runs += len(cut)
        people = [_native(o.box, factor) for o in frame.objects if o.cls is ObjectClass.PERSON]
        live = [o.box for o in frame.objects if o.cls is ObjectClass.PERSON]  # sent pixels
        ours[index] = {o.track_id: _native(o.box, factor) for o in frame.objects if o.cls is ObjectClass.PERSON}
        truth = list(clip.truth[index].values())
        detections += score_frame(_people(found, factor), truth)
        tracked += score_frame([(b, 1.0) for b in people], truth)
    count = len(clip.frames)
    logger.info("%s: %d frames", method.name, count)
    return MethodResult(
        method,
        detections,
        tracked,
        score_tracks(clip.truth, ours, clip.fps),
        runs / count,
        wall * 1000 / count,
        cpu * 1000 / count,
    )


def _native(box: Box, factor: float) -> Box:
    return box.scaled(factor) if factor != 1 else box


def _people(found: list[Detection], factor: float) -> list[tuple[Box, float]]:
    return [
        (scale_detection(d, factor).box if factor != 1 else d.box, d.confidence)
        for d in found
        if d.cls is ObjectClass.PERSON
    ]


def report(results: list[MethodResult], band: str = "40-90 px") -> str:
    """Markdown: per-frame recall/precision (all people and the `band`), track coverage of walkers, ID
    switches, IDF1, and the cost."""

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    lines = [
        f"| method | frame recall (all) | frame recall {band} | frame precision {band} | raw detections: recall / "
        f"precision {band} | walkers covered >= 70 % | walker coverage (min / median) | ID switches / walker / min "
        "(max) | IDF1 | model runs / frame | ms / frame (wall, CPU) | cameras at 5 fps per 2 cores |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        t, b, d = r.tracks.total, r.tracks.bins[band], r.detections.bins[band]
        walkers = r.track_score.walkers()
        cover = sorted(p.coverage for p in walkers)
        good = sum(c >= 0.7 for c in cover)
        median = cover[len(cover) // 2] if cover else 0.0
        rate = max((p.switches_per_minute for p in walkers), default=0.0)
        mean_rate = sum(p.switches_per_minute for p in walkers) / len(walkers) if walkers else 0.0
        lines.append(
            f"| {r.method.name} | {fmt(t.recall)} ({t.found}/{t.people}) | {fmt(b.recall)} ({b.found}/{b.people}) | "
            f"{fmt(b.precision)} ({b.false} false) | {fmt(d.recall)} / {fmt(d.precision)} | {good}/{len(walkers)} | "
            f"{cover[0] if cover else 0:.2f} / {median:.2f} | {mean_rate:.1f} ({rate:.1f}) | "
            f"{r.track_score.idf1:.2f} | {r.runs_per_frame:.1f} | {r.wall_ms:.0f}, {r.cpu_ms:.0f} | "
            f"{r.cameras_per_box:.1f} |"
        )
    lines.append("\nPer person (coverage, switches; * walks at least one body height):")
    for r in results:
        cells = ", ".join(
            f"{p.person_id}{'*' if p.walks else ''} {p.median_height:.0f}px {p.coverage:.2f}/{p.switches}"
            for p in r.track_score.people
        )
        lines.append(f"- {r.method.name}: {cells}")
    return "\n".join(lines)

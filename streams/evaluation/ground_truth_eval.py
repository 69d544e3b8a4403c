"""Detection and tracking of people on a real clip against the dataset's own ground truth (VIRAT objects files).

What `sentinel eval-tracks` runs: the clip sampled at the camera's rate, each frame sent as ingest sends it
(downscaled to the camera's detect width, JPEG), through the live detect stage (`streams/stages/detect.py`: the
motion gate, the camera's detector, zoomed crops, ByteTrack, candidate confirmation, all from the camera's
config), joined by person continuity as the rules stage does, and scored per frame and per person by
`detectors/vision/ground_truth.py`. There is no second implementation: a way scored here is a camera config.
CPU time per frame is measured with the process's own clock (every thread, OpenVINO's included), so cameras per
box follows from it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from detectors.behaviour.continuity import PersonContinuity
from detectors.behaviour.loitering import trusted_person
from detectors.config import (
    ContinuityConfig,
    LoiterConfig,
    ModelConfig,
    MotionConfig,
    OpenVinoModelConfig,
    TrackerConfig,
)
from detectors.geometry import Box
from detectors.types import Detection, ObjectClass
from detectors.vision.backend import Detector
from detectors.vision.detection_rate import DetectionRateConfig
from detectors.vision.ground_truth import MIN_IOU, FrameCounts, People, TrackScore, score_frame, score_tracks
from streams.config import CameraConfig, DetectorConfig, SiteConfig
from streams.evaluation.virat import read_virat_objects
from streams.ingest import SourceError, encode_jpeg, open_capture
from streams.records import FrameHeader
from streams.stages.decoding import scale_detection
from streams.stages.detect import DetectStage

logger = logging.getLogger(__name__)

VIRAT_PERSON = 1
CAMERA_FPS = 5.0  # the product's default sampling rate (cameras[].fps)
CORES = 2


@dataclass(frozen=True)
class Method:
    """One way of finding people on a camera's frames: the site's model and tracker, and the camera's config
    (detect width, slicing, and its own `detector` section: model, tracker, crops, confirmation)."""

    name: str
    model: ModelConfig = field(default_factory=OpenVinoModelConfig)
    camera: CameraConfig = field(default_factory=lambda: CameraConfig(id="eval"))
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    motion: MotionConfig = field(default_factory=MotionConfig)
    continuity: ContinuityConfig = field(default_factory=ContinuityConfig)
    rate: DetectionRateConfig = field(default_factory=DetectionRateConfig)
    loitering: LoiterConfig = field(default_factory=LoiterConfig)  # the site's; the camera's overrides on top

    def site(self) -> SiteConfig:
        detector = DetectorConfig(model=self.model, tracker=self.tracker, motion=self.motion, rate=self.rate)
        return SiteConfig(
            detector=detector, continuity=self.continuity, loitering=self.loitering, cameras=(self.camera,)
        )


@dataclass(frozen=True)
class Look:
    """What one sampled frame gave, in native pixels: every person box the detector returned (with its score)
    and the confirmed person tracks after continuity. Kept so a run can be scored again at another IoU."""

    index: int
    found: tuple[tuple[Box, float], ...]
    tracked: People
    scores: Mapping[int, float] = field(default_factory=dict)  # each tracked person's score in this look


@dataclass(frozen=True)
class MethodResult:
    method: Method
    detections: FrameCounts  # every box the detector returned
    tracks: FrameCounts  # what the rules get: confirmed tracks, after continuity
    track_score: TrackScore
    runs_per_frame: float
    wall_ms: float
    cpu_ms: float
    looks: tuple[Look, ...] = ()
    min_iou: float = MIN_IOU  # a box matches a true person at this IoU or more
    trusted: FrameCounts = field(default_factory=FrameCounts)  # the tracks the loitering rule judges

    @property
    def cameras_per_box(self) -> float:
        """Cameras at 5 fps the CPU time allows on a 2-core box: JPEG decode, detection and tracking."""
        return CORES * 1000 / (self.cpu_ms * CAMERA_FPS) if self.cpu_ms else 0.0


@dataclass(frozen=True)
class Clip:
    """The sampled frames of a clip with their ground-truth people (native pixels)."""

    frames: list[tuple[int, np.ndarray]]
    truth: Mapping[int, People]
    fps: float  # of the sampled frames


def load_clip(video: Path, objects: Path, fps: float = CAMERA_FPS) -> Clip:
    """Every k-th frame of the clip (k from its own frame rate, so about `fps`) with the people of those frames."""
    annotations = read_virat_objects(objects).frames
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


class _Counting:
    """The detector with a count of the images it was given (model runs per frame)."""

    def __init__(self, inner: Detector) -> None:
        self.inner = inner
        self.path = inner.path
        self.input_side = inner.input_side
        self.input_size = getattr(inner, "input_size", (inner.input_side, inner.input_side))
        self.runs = 0

    def detect(self, image: np.ndarray) -> list[Detection]:
        self.runs += 1
        return self.inner.detect(image)

    def detect_many(self, images: Iterable[np.ndarray]) -> list[list[Detection]]:
        def counted() -> Iterator[np.ndarray]:
            for image in images:
                self.runs += 1
                yield image

        return self.inner.detect_many(counted())


def run_method(detector: Detector, method: Method, clip: Clip) -> MethodResult:
    """The clip through the detect stage configured as `method` says; `detector` is the site's model, loaded."""
    return asyncio.run(_run(detector, method, clip))


async def _run(detector: Detector, method: Method, clip: Clip) -> MethodResult:
    counting = _Counting(detector)
    site = method.site()
    stage = DetectStage(site, counting, store=None)
    camera = method.camera.id
    continuity = PersonContinuity(site.continuity)
    looks: list[Look] = []
    wall = cpu = 0.0
    try:
        for position, (index, image) in enumerate(clip.frames):
            jpeg, width, height = encode_jpeg(image, method.camera.jpeg_quality, method.camera.max_width)
            header = FrameHeader(
                camera_id=camera,
                stream_id="eval",
                seq=position,
                ts=position / clip.fps,
                width=width,
                height=height,
                fps=clip.fps,
            )
            factor = image.shape[1] / width
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            frame = continuity.resolve(await stage.process(header, jpeg))
            wall += time.perf_counter() - wall_start
            cpu += time.process_time() - cpu_start
            state = stage.export_state(camera)
            found = list(getattr(state, "last_detections", []))
            persons = [o for o in frame.objects if o.cls is ObjectClass.PERSON]
            people = {o.track_id: _native(o.box, factor) for o in persons}
            scores = {o.track_id: o.confidence for o in persons}
            looks.append(Look(index, tuple(_people(found, factor)), people, scores))
    finally:
        stage.close()
    count = len(clip.frames)
    logger.info("%s: %d frames", method.name, count)
    return _scored(method, tuple(looks), clip, MIN_IOU, counting.runs / count, wall * 1000 / count, cpu * 1000 / count)


def rescore(result: MethodResult, clip: Clip, min_iou: float, loitering: LoiterConfig | None = None) -> MethodResult:
    """The same run scored with boxes matching true people from `min_iou`: how much of a shortfall is boxes
    that sit on a person but not where the dataset drew them (VIRAT's boxes are interpolated between key frames
    and drawn to the ground behind occluders; a model boxes what it sees). With `loitering`, the tracks are also
    judged by that config's score gate instead of the camera's."""
    method = result.method
    if loitering is not None:
        camera = method.camera.model_copy(update={"loitering": {}})
        method = replace(method, camera=camera, loitering=loitering)
    return _scored(method, result.looks, clip, min_iou, result.runs_per_frame, result.wall_ms, result.cpu_ms)


def _scored(
    method: Method, looks: tuple[Look, ...], clip: Clip, min_iou: float, runs: float, wall_ms: float, cpu_ms: float
) -> MethodResult:
    detections, tracked, trusted = FrameCounts(), FrameCounts(), FrameCounts()
    gate = _RuleScoreGate(method.site().loiter_for(method.camera.id))
    for look in looks:
        truth = list(clip.truth[look.index].values())
        detections += score_frame(look.found, truth, min_iou)
        tracked += score_frame([(b, 1.0) for b in look.tracked.values()], truth, min_iou)
        judged = [(b, 1.0) for i, b in look.tracked.items() if gate.trusted(i, look.scores.get(i, 0.0))]
        trusted += score_frame(judged, truth, min_iou)
    ours = {look.index: look.tracked for look in looks}
    track_score = score_tracks(clip.truth, ours, clip.fps, min_iou)
    return MethodResult(method, detections, tracked, track_score, runs, wall_ms, cpu_ms, looks, min_iou, trusted)


class _RuleScoreGate:
    """The loitering rule's judgement of each person track (`trusted_person`, with the camera's loitering
    config): a person the detector tracks but the rule does not trust is never alerted on, so the table shows
    what the rule gets too."""

    def __init__(self, config: LoiterConfig) -> None:
        self.config = config
        self._scores: dict[int, deque[float]] = defaultdict(lambda: deque(maxlen=config.score_history))

    def trusted(self, person_id: int, score: float) -> bool:
        return trusted_person(self._scores[person_id], score, self.config)


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
    switches, IDF1, and the cost; led by the IoU the boxes were matched at."""

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    matched_at = sorted({r.min_iou for r in results})
    lines = [
        "Boxes match a true person at IoU >= " + " / ".join(f"{v:g}" for v in matched_at) + ":\n",
        "| "
        + " | ".join(
            (
                "method",
                "frame recall (all)",
                "false boxes (all sizes)",
                f"frame recall {band}",
                f"frame precision {band}",
                f"raw detections: recall / precision {band}",
                f"trusted by the loitering rule: recall / precision {band} (median score from)",
                "walkers covered >= 70 %",
                "walker coverage (min / median)",
                "ID switches / walker / min (max)",
                "IDF1",
                "model runs / frame",
                "ms / frame (wall, CPU)",
                "cameras at 5 fps per 2 cores",
            )
        )
        + " |",
        "| --- " * 14 + "|",
    ]
    for r in results:
        t, b, d, g = r.tracks.total, r.tracks.bins[band], r.detections.bins[band], r.trusted.bins[band]
        gate = r.method.site().loiter_for(r.method.camera.id).min_person_score
        walkers = r.track_score.walkers()
        cover = sorted(p.coverage for p in walkers)
        median = cover[len(cover) // 2] if cover else 0.0
        rate = max((p.switches_per_minute for p in walkers), default=0.0)
        mean_rate = sum(p.switches_per_minute for p in walkers) / len(walkers) if walkers else 0.0
        cells = (
            r.method.name,
            f"{fmt(t.recall)} ({t.found}/{t.people})",
            str(t.false),
            f"{fmt(b.recall)} ({b.found}/{b.people})",
            f"{fmt(b.precision)} ({b.false} false)",
            f"{fmt(d.recall)} / {fmt(d.precision)}",
            f"{fmt(g.recall)} / {fmt(g.precision)} ({gate:g})",
            f"{sum(c >= 0.7 for c in cover)}/{len(walkers)}",
            f"{cover[0] if cover else 0:.2f} / {median:.2f}",
            f"{mean_rate:.1f} ({rate:.1f})",
            f"{r.track_score.idf1:.2f}",
            f"{r.runs_per_frame:.1f}",
            f"{r.wall_ms:.0f}, {r.cpu_ms:.0f}",
            f"{r.cameras_per_box:.1f}",
        )
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("\nPer person (coverage, switches; * walks at least one body height):")
    for r in results:
        people = ", ".join(
            f"{p.person_id}{'*' if p.walks else ''} {p.median_height:.0f}px {p.coverage:.2f}/{p.switches}"
            for p in r.track_score.people
        )
        lines.append(f"- {r.method.name}: {people}")
    return "\n".join(lines) + "\n"

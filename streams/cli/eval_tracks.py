"""`sentinel eval-tracks`: the ways of finding people, scored on a real clip against its own ground truth.

A site picks a camera's way of detecting by measurement on its own footage (docs/people-detection.md): this
prints, for the configured model (with the camera's slicing) and the built-in ways, per-frame recall and
precision by person size, track coverage, ID switches, IDF1 and the cost per frame.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from detectors.config import (
    CombinedModelConfig,
    MotionConfig,
    OpenVinoModelConfig,
    PedestrianAdasModelConfig,
    PersonVehicleBikeModelConfig,
    TrackerConfig,
)
from detectors.types import ObjectClass
from detectors.vision.backend import ModelLoadError
from detectors.vision.confirmation import ConfirmConfig
from detectors.vision.crops import CropConfig
from detectors.vision.detection_rate import DetectionRateConfig
from detectors.vision.ground_truth import MIN_IOU
from detectors.vision.model import load_detector
from detectors.vision.motion_candidates import CandidateConfig
from detectors.vision.people_pass import CameraDetectorConfig
from streams.config import CameraConfig, ConfigError, load_config
from streams.evaluation.ground_truth_eval import Method, load_clip, report, rescore, run_method
from streams.evaluation.virat import ViratFormatError
from streams.ingest import SourceError

logger = logging.getLogger(__name__)

CLIP = Path("../shared/clips/VIRAT_S_010005_04_000299_000323.mp4")
OBJECTS = Path("../shared/tracks/VIRAT_S_010005_04_000299_000323.viratdata.objects.txt")
# Low-score candidates: every box from 0.1 starts or extends a track, and the score is not fused into the
# matching cost (at 0.1 it would make every match cost more than match_thresh). Confirmation keeps clutter out.
LOW_SCORE_TRACKER = TrackerConfig(track_high_thresh=0.1, track_low_thresh=0.05, new_track_thresh=0.1, fuse_score=False)
# The far-field camera's: every box that reaches the tracker starts or extends a track, from 0.05 (the weak
# ones only where something moved: `candidates`), score not fused (as above).
MOTION_CANDIDATE_TRACKER = TrackerConfig(
    track_high_thresh=0.05, track_low_thresh=0.05, new_track_thresh=0.05, fuse_score=False
)


# The far-field camera's override of the loitering rule's score gate (`cameras[].loitering`). The site's 0.45 is
# a median of YOLO11n scores on people it sees whole; pedestrian-detection-adas scores a 40-90 px walker 0.1-0.4,
# so at 0.45 the rule would judge 50 of the 127 people-in-frames the camera tracks on the VIRAT plaza (walkers
# 5 and 8 never). The camera's confirmation already judges its tracks over frames; the gate stays at the score
# from which its candidates count anywhere (`candidates.min_score`), so a track mostly of weak, motion-only
# boxes is still not judged (docs/people-detection.md, "What the rules get").
FAR_FIELD_LOITERING = {"min_person_score": 0.1}


def far_field_model(pvb_path: Path | None = None, adas_path: Path | None = None) -> CombinedModelConfig:
    """The recommended far-field camera's model: adas people from 0.05 on every image (those under 0.1 kept only
    where something moved, `far_field().candidates`), pvb cars from its own 0.4 on the whole frame only."""
    people = PedestrianAdasModelConfig(type="pedestrian_adas", path=adas_path, confidence=0.05)
    cars = PersonVehicleBikeModelConfig(type="person_vehicle_bike", path=pvb_path, classes=(ObjectClass.CAR,))
    return CombinedModelConfig(type="combined", members=(people, cars), others_min_width=640)


def far_field(pvb_path: Path | None = None, adas_path: Path | None = None) -> CameraDetectorConfig:
    """The recommended `cameras[].detector` section for a wide view of people under 100 px tall
    (docs/people-detection.md): people from pedestrian-detection-adas-0002 on the frame and three 2x crops
    around motion and live tracks, candidates from 0.1 (from 0.05 where a moving blob covers a third of the
    box) confirmed; cars from the person-vehicle-bike model at its own 0.4 on the whole frame only (the adas
    model finds no vehicles; cars are large); no motion gate (at the gate's 320 px a 50 px person's step often
    counts as still); no adaptive rate (at one look a second its walkers are never confirmed: recall 0.29 ->
    0.07 on the VIRAT plaza, `bench.far_field_ways --set rate`)."""
    return CameraDetectorConfig(
        model=far_field_model(pvb_path, adas_path),
        tracker=MOTION_CANDIDATE_TRACKER,
        motion=MotionConfig(enabled=False),
        crops=CropConfig(),
        candidates=CandidateConfig(),
        confirm=ConfirmConfig(),
        rate=DetectionRateConfig(enabled=False),
    )


def builtin_methods(pvb_path: Path | None = None, adas_path: Path | None = None) -> list[Method]:
    """The ways measured in docs/people-detection.md, cheapest first; the last is the recommended one. Each is a
    site model plus a camera config, run through the live detect stage."""
    pvb = PersonVehicleBikeModelConfig(type="person_vehicle_bike", path=pvb_path)
    adas = PedestrianAdasModelConfig(type="pedestrian_adas", path=adas_path)
    recommended = far_field(pvb_path, adas_path)
    low = pvb.model_copy(update={"confidence": 0.1})
    # crops and confirmation on the site's model, candidates from 0.1 (the pvb camera as measured)
    section = recommended.model_copy(update={"model": None, "candidates": None, "tracker": LOW_SCORE_TRACKER})
    gate_off = CameraDetectorConfig(motion=MotionConfig(enabled=False))
    return [
        Method("YOLO11n whole frame (default)", OpenVinoModelConfig()),
        Method("OMZ pvb 864x480", pvb),
        Method(
            "OMZ adas 1344x768 whole frame, no gate",
            adas.model_copy(update={"imgsz": 1344, "input_height": 768}),
            camera=CameraConfig(id="eval", detector=gate_off),
        ),
        Method(
            "OMZ pvb 864x480 + 3 zoomed crops, candidates confirmed (the previous far-field camera)",
            low,
            camera=CameraConfig(id="eval", detector=section),
        ),
        Method(
            "OMZ adas people + 3 zoomed crops, candidates confirmed; pvb cars on the frame (recommended far-field)",
            far_field_model(
                pvb_path, adas_path
            ),  # the site's model too, so the camera's own is the detector given (loaded once)
            camera=CameraConfig(id="eval", detector=recommended, loitering=FAR_FIELD_LOITERING),
        ),
    ]


@click.command("eval-tracks")
@click.option("--clip", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=CLIP, show_default=True)
@click.option(
    "--objects",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=OBJECTS,
    show_default=True,
    help="The clip's ground truth: a VIRAT objects file (object_id duration frame x y w h type; type 1 person).",
)
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--camera",
    "camera_id",
    help="Score the configured site with this camera's settings: detect width, slicing, its own detector section.",
)
@click.option("--fps", type=float, default=5.0, show_default=True, help="Rate the clip is sampled at (the camera's).")
@click.option("--builtin/--no-builtin", default=True, show_default=True, help="Also score the built-in ways.")
@click.option(
    "--min-iou",
    "min_ious",
    type=click.FloatRange(0.05, 0.95),
    multiple=True,
    default=(MIN_IOU,),
    show_default=True,
    help="IoU from which a box matches a true person; repeat for one table each from the same run (0.3 shows "
    "what is lost to where the dataset drew its boxes rather than to missed people).",
)
def evaluate_tracks(
    clip: Path,
    objects: Path,
    config_path: Path | None,
    camera_id: str | None,
    fps: float,
    builtin: bool,
    min_ious: tuple[float, ...],
) -> None:
    """Per-frame recall/precision by person size, track coverage, ID switches and IDF1 on a ground-truth clip."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    try:
        config = load_config(config_path)
        data = load_clip(clip, objects, fps)
    except (ConfigError, ViratFormatError, SourceError) as exc:
        raise click.ClickException(str(exc)) from None
    camera = config.camera(camera_id) if camera_id else None
    if camera_id and camera is None:
        raise click.BadParameter(f"no camera {camera_id!r} in the config", param_hint="--camera")
    configured = Method(
        f"configured: {config.detector.model.type}" + (f", camera {camera_id}" if camera_id else ""),
        config.detector.model,
        camera=camera or CameraConfig(id="eval"),
        tracker=config.detector.tracker,
        motion=config.detector.motion,
        continuity=config.continuity,
        rate=config.detector.rate,
        loitering=config.loitering,
    )
    methods = [configured] + (builtin_methods() if builtin else [])
    people = sum(len(p) for p in data.truth.values())
    click.echo(f"{clip.name}: {len(data.frames)} frames at {data.fps:.1f} fps, {people} people in them")
    results = []
    for method in methods:
        try:
            detector = load_detector(method.model)
        except ModelLoadError as exc:
            raise click.ClickException(str(exc)) from None
        detector.detect(data.frames[0][1])  # warm up: compilation is not per-frame cost
        results.append(run_method(detector, method, data))
    for min_iou in min_ious:
        click.echo(report([rescore(r, data, min_iou) for r in results]))

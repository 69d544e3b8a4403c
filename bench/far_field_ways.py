"""Variants of the far-field camera config scored in one run against the VIRAT clip's ground truth.

Each variant is a camera `detector` section (docs/people-detection.md) run through the live detect stage by
`streams/evaluation/ground_truth_eval.py`, the code of `sentinel eval-tracks`: the motion gate, tracker
buffer and matching, crop count and size, the model's input size, and person continuity before switches are
counted. Prints the eval-tracks table, cost included (CPU ms per frame, cameras at 5 fps per 2 cores); timings
are only comparable within one run on a shared machine.

    .venv/bin/python -m bench.far_field_ways [--set pvb|adas|rate|motion] [--match REGEX] [--fps 5] [--min-iou 0.5 ...]

`--set rate`: the adaptive detection rate off and on, for the site's default camera and the far-field one.

`--set adas`: the pedestrian-detection-adas-0002 ways (whole frame native and 2x, crops and confirmation,
combined with the person-vehicle-bike model) beside the recommended camera, in one run.

`--set motion`: the recommended camera with weak person boxes (0.05-0.1) kept where something moved
(`candidates`), with YOLO11n people as another member in the crops, and with lost tracks coasting
(`tracker.coast_s`).
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import replace
from pathlib import Path

from detectors.config import (
    CombinedModelConfig,
    ContinuityConfig,
    MemberModelConfig,
    ModelConfig,
    MotionConfig,
    OpenVinoModelConfig,
    PedestrianAdasModelConfig,
    PersonVehicleBikeModelConfig,
)
from detectors.types import ObjectClass
from detectors.vision.confirmation import ConfirmConfig
from detectors.vision.crops import CropConfig
from detectors.vision.detection_rate import DetectionRateConfig
from detectors.vision.ground_truth import MIN_IOU
from detectors.vision.model import load_detector
from detectors.vision.motion_candidates import CandidateConfig
from detectors.vision.people_pass import CameraDetectorConfig
from detectors.vision.slicing import SlicingConfig
from streams.cli.eval_tracks import CLIP, LOW_SCORE_TRACKER, OBJECTS, far_field, far_field_model
from streams.config import CameraConfig
from streams.evaluation.ground_truth_eval import Method, load_clip, report, rescore, run_method

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("YOLO_OFFLINE", "1")

LOW = PersonVehicleBikeModelConfig(type="person_vehicle_bike", confidence=0.1)
GATE_OFF = MotionConfig(enabled=False)
FINE_GATE = MotionConfig(width=640, area_ratio=0.0001)
FAR = CameraDetectorConfig(tracker=LOW_SCORE_TRACKER, crops=CropConfig(), confirm=ConfirmConfig())


def way(name: str, model: ModelConfig = LOW, **section: object) -> Method:
    camera = CameraConfig(id="eval", detector=FAR.model_copy(update=section))
    return Method(name, model, camera=camera)


def far_field_way(name: str) -> Method:
    """The recommended far-field camera as `eval-tracks` runs it (`far_field()`, its model loaded as the site's)."""
    return Method(name, far_field_model(), camera=CameraConfig(id="eval", detector=far_field()))


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


ADAS = PedestrianAdasModelConfig(type="pedestrian_adas")
ADAS_LOW = ADAS.model_copy(update={"confidence": 0.1})
ADAS_2X = ADAS.model_copy(update={"imgsz": 1344, "input_height": 768})
VEHICLES = (ObjectClass.CAR, ObjectClass.TRUCK, ObjectClass.BUS, ObjectClass.MOTORCYCLE)
PVB_CARS = PersonVehicleBikeModelConfig(type="person_vehicle_bike", classes=(ObjectClass.CAR,))  # from 0.4
YOLO_VEHICLES = OpenVinoModelConfig(classes=VEHICLES)  # the site's YOLO11n at its own 0.25


def combined(*members: MemberModelConfig, frame_only: bool = False) -> CombinedModelConfig:
    """`frame_only`: the members after the first look at the whole frame only, not at the 336 px crops."""
    return CombinedModelConfig(type="combined", members=members, others_min_width=640 if frame_only else 0)


def adas_ways() -> list[Method]:
    """Whole-frame rows have no crops or confirmation (the site's tracker), as the whole-frame pvb rows."""
    plain = CameraDetectorConfig(motion=GATE_OFF)
    low_cars = LOW.model_copy(update={"classes": (ObjectClass.CAR,)})
    return [
        way("recommended before (pvb 864x480, crops, confirmed)", motion=GATE_OFF),
        Method("adas 672x384 whole frame", ADAS, camera=CameraConfig(id="eval", detector=plain)),
        Method("adas 1344x768 whole frame", ADAS_2X, camera=CameraConfig(id="eval", detector=plain)),
        way(
            "adas 1344x768, candidates confirmed, no crops",
            ADAS_2X.model_copy(update={"confidence": 0.1}),
            motion=GATE_OFF,
            crops=None,
        ),
        way("adas 672x384, 3 crops, candidates confirmed (people only)", ADAS_LOW, motion=GATE_OFF),
        way(
            "adas 672x384, 5 crops, candidates confirmed (people only)",
            ADAS_LOW,
            motion=GATE_OFF,
            crops=CropConfig(max_crops=5),
        ),
        way("adas people + pvb cars from 0.1, 3 crops, confirmed", combined(ADAS_LOW, low_cars), motion=GATE_OFF),
        way("adas people + pvb cars from 0.4, 3 crops, confirmed", combined(ADAS_LOW, PVB_CARS), motion=GATE_OFF),
        way("adas people + YOLO11n vehicles, 3 crops, confirmed", combined(ADAS_LOW, YOLO_VEHICLES), motion=GATE_OFF),
        way("adas + pvb people (NMS), pvb cars, 3 crops, confirmed", combined(ADAS_LOW, LOW), motion=GATE_OFF),
        way(
            "adas people (3 crops) + pvb cars from 0.4 on the frame only, confirmed",
            combined(ADAS_LOW, PVB_CARS, frame_only=True),
            motion=GATE_OFF,
        ),
        way(
            "adas people (3 crops) + YOLO11n vehicles on the frame only, confirmed",
            combined(ADAS_LOW, YOLO_VEHICLES, frame_only=True),
            motion=GATE_OFF,
        ),
    ]


def rate_ways() -> list[Method]:
    """The adaptive detection rate (`detector.rate`) off and on, for the site's default camera (YOLO11n on the
    whole frame, and with 2x2 slicing) and for the recommended far-field camera. This clip has no car, so every
    walker is far from one and the rate is at its lowest."""
    off, on = DetectionRateConfig(enabled=False), DetectionRateConfig(enabled=True)
    sliced = CameraConfig(id="eval", slicing=SlicingConfig())
    far = far_field_way("far-field camera")
    far_on = far.camera.model_copy(update={"detector": far_field().model_copy(update={"rate": on})})
    return [
        Method("YOLO11n whole frame (site default), rate off", OpenVinoModelConfig(), rate=off),
        Method("YOLO11n whole frame (site default), rate on", OpenVinoModelConfig(), rate=on),
        Method("YOLO11n 2x2 tiles + frame, rate off", OpenVinoModelConfig(), camera=sliced, rate=off),
        Method("YOLO11n 2x2 tiles + frame, rate on", OpenVinoModelConfig(), camera=sliced, rate=on),
        replace(far, name="far-field camera, rate off (its section's setting)"),
        replace(far, name="far-field camera, rate on", camera=far_on),
    ]


def motion_ways() -> list[Method]:
    """Issue 18, run 6: weak person boxes kept where something moved (A, `candidates`) and YOLO11n people in
    the crops (B), each against the camera recommended until then in one run; the row "from 0.05 ... (30%);
    they start tracks too" is `far_field()` since."""
    people, cars = far_field_model().members
    people = people.model_copy(update={"confidence": 0.1})
    before = combined(people, cars, frame_only=True)  # recommended until run 6: candidates from 0.1 anywhere
    base = far_field().model_copy(update={"candidates": None, "tracker": LOW_SCORE_TRACKER})

    def camera(name: str, model: ModelConfig, **section: object) -> Method:
        section = {"model": model, **section}  # the camera's own model is the site's: loaded once
        return Method(name, model, camera=CameraConfig(id="eval", detector=base.model_copy(update=section)))

    def weak(floor: float, overlap: float, starts: bool = True) -> Method:
        """Boxes from `floor` to 0.1 kept where a moving blob covers `overlap` of them; with `starts` the
        tracker starts tracks from them too (else ByteTrack's low-score pass only extends live tracks)."""
        model = combined(people.model_copy(update={"confidence": floor}), cars, frame_only=True)
        tracker = LOW_SCORE_TRACKER.model_copy(update={"track_low_thresh": min(floor, 0.05)})
        if starts:
            tracker = tracker.model_copy(update={"track_high_thresh": floor, "new_track_thresh": floor})
        name = f"A: adas from {floor}, boxes under 0.1 kept where moving ({overlap:.0%}); " + (
            "they start tracks too" if starts else "they only extend tracks"
        )
        candidates = CandidateConfig(motion_min_score=floor, motion_overlap=overlap)
        return camera(name, model, candidates=candidates, tracker=tracker)

    def yolo(score: float) -> Method:
        yolo_people = OpenVinoModelConfig(classes=(ObjectClass.PERSON,), confidence=score)
        name = f"B: adas + YOLO11n people from {score} on frame and crops, pvb cars (also on crops)"
        return camera(name, combined(people, yolo_people, cars))

    return [
        camera("recommended until run 6 (adas from 0.1 + crops, confirmed; pvb cars)", before),
        weak(0.05, 0.1, starts=False),
        weak(0.05, 0.3, starts=False),
        weak(0.05, 0.1),
        weak(0.05, 0.3),
        weak(0.05, 0.5),
        weak(0.03, 0.3),
        yolo(0.1),
        yolo(0.25),
        far_field_way("recommended since run 6 (far_field())"),
        coasting(0.4),
        coasting(1.0),
    ]


def coasting(seconds: float) -> Method:
    """Issue 18: the recommended far-field camera with confirmed tracks lost up to `seconds` still output at
    their Kalman-predicted box (`tracker.coast_s`)."""
    far = far_field_way(f"recommended (far_field()), lost tracks coast {seconds} s")
    section = far.camera.detector
    assert section is not None and section.tracker is not None  # far_field() sets both
    tracker = section.tracker.model_copy(update={"coast_s": seconds})
    return replace(
        far, camera=far.camera.model_copy(update={"detector": section.model_copy(update={"tracker": tracker})})
    )


def iou(text: str) -> float:
    value = float(text)
    if not 0.05 <= value <= 0.95:
        raise argparse.ArgumentTypeError(f"{value} is not an IoU between 0.05 and 0.95")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--set", dest="ways", choices=("pvb", "adas", "rate", "motion"), default="pvb", help="Which ways"
    )
    parser.add_argument("--match", default="", help="Run only the variants whose name this regular expression finds")
    parser.add_argument("--fps", type=float, default=5.0, help="Rate the clip is sampled at (the camera's)")
    parser.add_argument(
        "--min-iou",
        type=iou,
        action="append",
        help="IoU from which a box matches a true person (0.5); repeat for a table each from the same run",
    )
    args = parser.parse_args()
    clip = load_clip(ROOT / CLIP, ROOT / OBJECTS, args.fps)
    ways = {"adas": adas_ways, "rate": rate_ways, "pvb": variants, "motion": motion_ways}[args.ways]()
    chosen = [m for m in ways if re.search(args.match, m.name)]
    results = []
    for method in chosen:
        detector = load_detector(method.model)
        detector.detect(clip.frames[0][1])  # warm up: compilation is not per-frame cost
        results.append(run_method(detector, method, clip))
        print(f"done: {method.name}", flush=True)
    for min_iou in args.min_iou or [MIN_IOU]:
        print(report([rescore(r, clip, min_iou) for r in results]))


if __name__ == "__main__":
    main()

"""Composite clips for forced alerts on real video: a real parked car pasted beside a real person.

None of the shared clips shows a person at a parked car. To exercise the video path's alert and its
snapshot, a composite is made from real footage: one frame of the street clip held still (its people then
stand still) with the parked car cut from the residential clip pasted beside the largest person. The
model must detect both; nothing is labelled by hand. Used by the demo, a test and the benchmark, and always
labelled as synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from detectors.geometry import Box
from detectors.types import ObjectClass
from detectors.vision.backend import Detector
from streams.ingest import read_frame


@dataclass(frozen=True)
class Composite:
    path: Path
    fps: float
    seconds: float
    car_box: Box
    person_box: Box


def _car_sprite(detector: Detector, car_clip: Path) -> np.ndarray:
    frame = read_frame(car_clip, 0)
    cars = [d.box for d in detector.detect(frame) if d.cls is ObjectClass.CAR and d.confidence >= 0.6]
    best = max(cars, key=lambda b: b.width * b.height)
    return frame[int(best.y1) : int(best.y2), int(best.x1) : int(best.x2)].copy()


def compose_person_at_car(
    out: Path, detector: Detector, street_clip: Path, car_clip: Path, seconds: float = 20.0, fps: float = 10.0
) -> Composite:
    scene = read_frame(street_clip, 0)
    people = [d.box for d in detector.detect(scene) if d.cls is ObjectClass.PERSON and d.confidence >= 0.5]
    person = max(people, key=lambda b: b.height)
    sprite = _car_sprite(detector, car_clip)
    car_w = int(person.height * 1.6)  # a car is about 1.6 times as long as a person is tall, seen side-on
    car_h = max(8, int(sprite.shape[0] * car_w / sprite.shape[1]))
    sprite = cv2.resize(sprite, (car_w, car_h), interpolation=cv2.INTER_CUBIC)
    frame_h, frame_w = scene.shape[:2]
    foot_x, foot_y = person.foot_point()
    left_side = foot_x - person.width / 2 - car_w - 4 >= 0
    x1 = int(foot_x - person.width / 2 - car_w - 4) if left_side else int(min(frame_w - car_w, person.x2 + 4))
    y1 = int(min(frame_h - car_h, foot_y + 4 - car_h))
    canvas = scene.copy()
    canvas[y1 : y1 + car_h, x1 : x1 + car_w] = sprite
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), fps, (frame_w, frame_h))
    for _ in range(int(seconds * fps)):
        writer.write(canvas)
    writer.release()
    return Composite(out, fps, seconds, Box(x1=x1, y1=y1, x2=x1 + car_w, y2=y1 + car_h), person)

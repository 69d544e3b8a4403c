"""Person recall of a detector against hand-checked labels: the labels' format, and the scoring (pure).

Scoring follows the usual detection benchmarks: detections, strongest first, each take the unmatched labelled
person they overlap most, if by at least `min_iou`; a detection left over that lies mostly inside an `ignore`
box (a mannequin, a person cut to a pair of legs by the frame edge) counts neither way; every other one is a
false person. Recall is counted overall and for small people, whom sliced inference is for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from detectors.geometry import Box
from detectors.types import Detection, ObjectClass

SMALL_PERSON_PX = 64  # people shorter than this (in frame pixels) are "small": about 21 px at a 640 input from 1920


class FrameLabels(BaseModel):
    """The people in one frame of a clip, as a person checking it by eye boxed them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clip: str = Field(min_length=1, description="File name of the clip (looked up in the clips folder)")
    frame: int = Field(ge=0, description="0-based frame index in the clip")
    people: tuple[Box, ...] = Field(description="Every recognisable person, [x1, y1, x2, y2] in native pixels")
    ignore: tuple[Box, ...] = Field(default=(), description="Regions where a found person is neither right nor wrong")

    @field_validator("people", "ignore", mode="before")
    @classmethod
    def _boxes_from_lists(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return [Box(x1=b[0], y1=b[1], x2=b[2], y2=b[3]) if isinstance(b, list | tuple) else b for b in value]
        return value


class LabelSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    about: str = Field(description="How the labels were made, for whoever trusts the figures")
    frames: tuple[FrameLabels, ...] = Field(min_length=1)


def load_labels(path: Path) -> LabelSet:
    return LabelSet.model_validate(json.loads(path.read_text(encoding="utf-8")))


@dataclass
class Score:
    """Counts over one frame or many; `+` adds them up."""

    people: int = 0
    found: int = 0
    small_people: int = 0
    small_found: int = 0
    false_people: int = 0
    ignored: int = 0
    missed: list[Box] = field(default_factory=list)

    def __add__(self, other: Score) -> Score:
        return Score(
            self.people + other.people,
            self.found + other.found,
            self.small_people + other.small_people,
            self.small_found + other.small_found,
            self.false_people + other.false_people,
            self.ignored + other.ignored,
            self.missed + other.missed,
        )

    @property
    def recall(self) -> float | None:
        return self.found / self.people if self.people else None

    @property
    def small_recall(self) -> float | None:
        return self.small_found / self.small_people if self.small_people else None

    @property
    def precision(self) -> float | None:
        claimed = self.found + self.false_people
        return self.found / claimed if claimed else None


def score_frame(detections: list[Detection], labels: FrameLabels, min_iou: float = 0.5) -> Score:
    """Match one frame's person detections to its labels (greedy, strongest first, as COCO's evaluation does)."""
    people = sorted((d for d in detections if d.cls == ObjectClass.PERSON), key=lambda d: -d.confidence)
    unmatched = list(labels.people)
    score = Score(people=len(labels.people), small_people=sum(_small(p) for p in labels.people))
    for detection in people:
        best = max(unmatched, key=detection.box.iou, default=None)
        if best is not None and detection.box.iou(best) >= min_iou:
            unmatched.remove(best)
            score.found += 1
            score.small_found += _small(best)
        elif any(detection.box.intersection(region) >= 0.5 * detection.box.area for region in labels.ignore):
            score.ignored += 1
        else:
            score.false_people += 1
    score.missed = unmatched
    return score


def _small(person: Box) -> int:
    return int(person.height < SMALL_PERSON_PX)

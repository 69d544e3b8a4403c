"""`sentinel find-fixtures`: one camera's recording through the live detect stage, configured as that camera,
and the places where "people" stood still for minutes (`detectors/vision/fixtures.py`), as object-filter masks
for the operator to review, each with a snapshot of its strongest look."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from detectors.vision.backend import Detector
from detectors.vision.fixtures import Fixture, FixtureFinder
from streams.config import SiteConfig
from streams.ingest import file_frames
from streams.records import decode_frame
from streams.sources import video_records
from streams.stages.detect import DetectStage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scan:
    fixtures: list[Fixture]
    looks: int
    frame_width: int  # of the frames the detect stage saw: the fixtures' boxes are in their pixels


def scan_recording(config: SiteConfig, camera_id: str, recording: Path, detector: Detector, min_seconds: float) -> Scan:
    """The recording sampled at the camera's fps, sent as ingest sends it, through the detect stage."""
    return asyncio.run(_scan(config, camera_id, recording, detector, min_seconds))


async def _scan(config: SiteConfig, camera_id: str, recording: Path, detector: Detector, min_seconds: float) -> Scan:
    camera = config.camera(camera_id)
    if camera is None:
        raise KeyError(camera_id)
    stage = DetectStage(config, detector, store=None)
    finder = FixtureFinder(camera.fps, min_seconds)
    frame_width = 0
    records = video_records(recording, camera_id, "fixtures", camera.fps, 0.0, camera.jpeg_quality, camera.max_width)
    try:
        for _, value, _ in records:  # as ingest sends them
            header, jpeg = decode_frame(value)
            frame = await stage.process(header, jpeg)
            if not frame.end_of_stream:
                finder.add(frame.ts, frame.objects, frame.width, frame.height)
                frame_width = frame.width
    finally:
        stage.close()
    return Scan(finder.fixtures(), finder.looks, frame_width)


def write_snapshots(scan: Scan, recording: Path, fps: float, directory: Path) -> list[Path]:
    """fixture-N.jpg for each fixture: the frame of its strongest look read again from the recording (nothing is
    held during the scan), cut out with a box height around the box, enlarged so a 50 px "person" can be judged."""
    wanted = {round(f.best_ts, 6): (number, f) for number, f in enumerate(scan.fixtures, start=1)}
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for captured in file_frames(str(recording), fps, 0.0):
        hit = wanted.pop(round(captured.ts, 6), None)
        if hit is not None:
            number, fixture = hit
            path = directory / f"fixture-{number}.jpg"
            cv2.imwrite(str(path), _cut(captured.image, fixture, scan.frame_width))
            written.append(path)
        if not wanted:
            break
    return written


def _cut(image: np.ndarray, fixture: Fixture, frame_width: int) -> np.ndarray:
    factor = image.shape[1] / frame_width if frame_width else 1.0
    box = fixture.best.scaled(factor) if factor != 1 else fixture.best
    margin = box.height
    x1, y1 = max(0, int(box.x1 - margin)), max(0, int(box.y1 - margin))
    x2, y2 = min(image.shape[1], int(box.x2 + margin)), min(image.shape[0], int(box.y2 + margin))
    crop = image[y1:y2, x1:x2].copy()
    cv2.rectangle(crop, (int(box.x1) - x1, int(box.y1) - y1), (int(box.x2) - x1, int(box.y2) - y1), (0, 255, 0), 1)
    scale = max(1, round(240 / max(crop.shape[0], 1)))
    return cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)


def report(camera_id: str, scan: Scan, snapshots: Path | None) -> str:
    """A table of the fixtures and the `filters` section that masks them, to paste into the site config."""
    if not scan.fixtures:
        return f"camera {camera_id}: no person stood still that long in {scan.looks} looks"
    lines = [
        "| fixture | seconds (share of looks) | foot point (x, y) | height | median score | track ids |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for number, f in enumerate(scan.fixtures, start=1):
        lines.append(
            f"| {number} | {f.seconds:.0f} ({f.share:.0%}) | ({f.foot[0]:.3f}, {f.foot[1]:.3f}) | {f.height:.3f} | "
            f"{f.score:.2f} | {', '.join(map(str, f.track_ids))} |"
        )
    where = f"snapshots in {snapshots}" if snapshots else "run with --snapshots DIR to see each"
    lines += ["", f"Review each ({where}); add the masks of fixtures only to the camera's filters:", ""]
    lines += ["cameras:", f"  - id: {camera_id}"]
    lines += ["    filters:", "      - classes: [person]", "        mask:"]
    for number, f in enumerate(scan.fixtures, start=1):
        corners = ", ".join(f"[{x}, {y}]" for x, y in f.mask())
        lines.append(f"          - [{corners}]  # fixture {number}")
    return "\n".join(lines)

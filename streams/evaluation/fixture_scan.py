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

from detectors.types import ObjectClass, TrackFrame
from detectors.vision.backend import Detector
from detectors.vision.fixtures import Fixture, FixtureFinder
from streams.config import SiteConfig
from streams.ingest import encode_jpeg, file_frames
from streams.records import FrameHeader
from streams.stages.detect import DetectStage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scan:
    fixtures: list[Fixture]
    looks: int
    snapshots: dict[int, np.ndarray]  # track id -> its strongest look, cut out with its box drawn


def scan_recording(config: SiteConfig, camera_id: str, recording: Path, detector: Detector, min_seconds: float) -> Scan:
    """The recording sampled at the camera's fps, sent as ingest sends it, through the detect stage."""
    return asyncio.run(_scan(config, camera_id, recording, detector, min_seconds))


async def _scan(config: SiteConfig, camera_id: str, recording: Path, detector: Detector, min_seconds: float) -> Scan:
    camera = config.camera(camera_id)
    if camera is None:
        raise KeyError(camera_id)
    stage = DetectStage(config, detector, store=None)
    finder = FixtureFinder(camera.fps, min_seconds)
    best: dict[int, tuple[float, np.ndarray]] = {}
    try:
        for seq, captured in enumerate(file_frames(str(recording), camera.fps, 0.0)):
            jpeg, width, height = encode_jpeg(captured.image, camera.jpeg_quality, camera.max_width)
            header = FrameHeader(
                camera_id=camera_id,
                stream_id="fixtures",
                seq=seq,
                ts=captured.ts,
                width=width,
                height=height,
                fps=camera.fps,
            )
            frame = await stage.process(header, jpeg)
            finder.add(frame.ts, frame.objects, frame.width, frame.height)
            _keep_strongest(best, frame, captured.image)
    finally:
        stage.close()
    return Scan(finder.fixtures(), finder.looks, {track: crop for track, (_, crop) in best.items()})


def _keep_strongest(best: dict[int, tuple[float, np.ndarray]], frame: TrackFrame, image: np.ndarray) -> None:
    """Each person track's strongest look so far, cut out of the full frame with twice its box around it."""
    factor = image.shape[1] / frame.width
    for obj in frame.objects:
        if obj.cls is not ObjectClass.PERSON or obj.confidence <= best.get(obj.track_id, (-1.0, None))[0]:
            continue
        box = obj.box.scaled(factor) if factor != 1 else obj.box
        margin = box.height
        x1, y1 = max(0, int(box.x1 - margin)), max(0, int(box.y1 - margin))
        x2, y2 = min(image.shape[1], int(box.x2 + margin)), min(image.shape[0], int(box.y2 + margin))
        crop = image[y1:y2, x1:x2].copy()
        corner, far = (int(box.x1) - x1, int(box.y1) - y1), (int(box.x2) - x1, int(box.y2) - y1)
        cv2.rectangle(crop, corner, far, (0, 255, 0), 1)
        best[obj.track_id] = (obj.confidence, crop)


def write_snapshots(scan: Scan, directory: Path) -> list[Path]:
    """fixture-N.jpg for each fixture: its strongest look, enlarged so a 50 px "person" can be judged."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for number, fixture in enumerate(scan.fixtures, start=1):
        crops = [scan.snapshots[t] for t in fixture.track_ids if t in scan.snapshots]
        if not crops:
            continue
        crop = max(crops, key=lambda c: c.size)
        scale = max(1, round(240 / max(crop.shape[0], 1)))
        path = directory / f"fixture-{number}.jpg"
        cv2.imwrite(str(path), cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST))
        written.append(path)
    return written


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
    lines += ["", f"Review each ({where}) and keep the masks of fixtures only:", "", "cameras:", f"  - id: {camera_id}"]
    lines += ["    filters:", "      - classes: [person]", "        mask:"]
    for number, f in enumerate(scan.fixtures, start=1):
        corners = ", ".join(f"[{x}, {y}]" for x, y in f.mask())
        lines.append(f"          - [{corners}]  # fixture {number}")
    return "\n".join(lines)

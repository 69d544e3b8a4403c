"""`sentinel find-fixtures`: which fixtures a camera tracks as people, as masks to review."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from detectors.vision.backend import ModelLoadError
from detectors.vision.model import load_detector
from streams.cli.common import config_option, load_site_config
from streams.evaluation.fixture_scan import report, scan_recording, write_snapshots
from streams.ingest import SourceError
from streams.records import RecordError

logger = logging.getLogger(__name__)


@click.command("find-fixtures")
@config_option
@click.option("--camera", "camera_id", required=True, help="The camera whose settings (and own detector) to use.")
@click.option(
    "--recording",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="A recording of that camera, minutes long: fixtures show by standing still.",
)
@click.option(
    "--min-seconds",
    type=click.FloatRange(min=1.0),
    default=120.0,
    show_default=True,
    help="How long a 'person' must stand in one place (a quarter of its height) to be suggested.",
)
@click.option(
    "--snapshots",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write each fixture's strongest look there (fixture-N.jpg), to check it is not a person.",
)
def find_fixtures(
    config_path: Path | None, camera_id: str, recording: Path, min_seconds: float, snapshots: Path | None
) -> None:
    """Places where the camera tracks a 'person' who never moves: masks for `cameras[].filters`."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    config = load_site_config(config_path)
    camera = config.camera(camera_id)
    if camera is None:
        raise click.BadParameter(f"no camera {camera_id!r} in the config", param_hint="--camera")
    try:
        detector = load_detector(config.detector.model)
        scan = scan_recording(config, camera_id, recording, detector, min_seconds)
        if snapshots is not None:
            write_snapshots(scan, recording, camera.fps, snapshots)
    except (ModelLoadError, SourceError, RecordError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(report(camera_id, scan, snapshots))

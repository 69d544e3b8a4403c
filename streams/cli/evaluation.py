"""`sentinel scenarios`, `sentinel eval` and `sentinel eval-people`: labelled scenarios and the rules' scores on them,
and the detector's person recall on labelled frames."""

from __future__ import annotations

from pathlib import Path

import click

from detectors.vision.backend import ModelLoadError
from detectors.vision.model import load_detector
from detectors.vision.person_recall import load_labels
from detectors.vision.slicing import SlicingConfig
from streams.config import CameraConfig, ConfigError, load_config
from streams.evaluation.people_eval import LabelledFrameError, Variant, read_frames, run_variant
from streams.evaluation.people_eval import report as people_report
from streams.evaluation.rules_eval import load, report, run_scenario, score
from streams.evaluation.scenarios import KINDS, Scene, write_scenarios
from streams.evaluation.virat import ViratFormatError, virat_track_frames
from streams.evaluation.virat_eval import evaluate_dir
from streams.evaluation.virat_eval import report as virat_report

DEFAULT_VIRAT = Path("../shared/tracks/VIRAT_S_050301_03_000933_001046.viratdata.objects.txt")


@click.command("scenarios")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--count", type=int, default=40, show_default=True, help="Synthetic scenarios (kinds in turn).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--virat",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=DEFAULT_VIRAT,
    show_default=True,
    help="The real scene: a VIRAT objects file (its cars and people are kept).",
)
@click.option("--fps", type=float, default=10.0, show_default=True, help="Frame rate of the scenario tracks.")
@click.option("--kinds", default=",".join(KINDS), show_default=True)
def scenarios(out: Path, count: int, seed: int, virat: Path, fps: float, kinds: str) -> None:
    """Write labelled scenarios: synthetic people casing, dwelling, passing, glancing and leaving by car."""
    chosen = tuple(k.strip() for k in kinds.split(",") if k.strip())
    unknown = sorted(set(chosen) - set(KINDS))
    if unknown:
        raise click.BadParameter(f"unknown kinds {unknown}; known: {list(KINDS)}", param_hint="--kinds")
    every = max(1, round(30.0 / fps))
    try:
        frames = [f for i, f in enumerate(virat_track_frames(virat, "scenario-cam", 30.0)) if i % every == 0]
    except ViratFormatError as exc:
        raise click.ClickException(str(exc)) from None
    written = write_scenarios(Scene(frames, virat.name), out, count, seed, chosen)
    click.echo(f"{len(written)} scenarios (with labels) in {out}")


@click.command("eval")
@click.option("--scenarios", "directory", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--virat",
    "virat_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Real VIRAT clips (objects, events, mapping files): alerts scored against VIRAT's own events.",
)
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--slack", type=float, default=10.0, show_default=True, help="Seconds around a label an alert may start.")
@click.option("--alerts", "show_alerts", is_flag=True, help="--virat: list every alert with its risk reasons.")
def evaluate(
    directory: Path | None, virat_dir: Path | None, config_path: Path | None, slack: float, show_alerts: bool
) -> None:
    """Replay labelled scenarios (or real VIRAT clips) through the rules; print precision, recall and false alerts."""
    if (directory is None) == (virat_dir is None):
        raise click.UsageError("give one of --scenarios DIR or --virat DIR")
    try:
        config = load_config(config_path)
        if virat_dir is not None:
            click.echo(virat_report(evaluate_dir(config, virat_dir, slack_s=slack), verbose=show_alerts))
            return
        assert directory is not None
        pairs = load(directory)
    except (ConfigError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    results = [run_scenario(config, tracks, label) for tracks, label in pairs]
    rules, extra = score(results, slack)
    click.echo(report(rules, extra, len(results)))


@click.command("eval-people")
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="Hand-labelled frames (the format of tests/data/person_labels.json).",
)
@click.option(
    "--clips",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=Path("../shared/clips"),
    show_default=True,
    help="Folder holding the clips the labels name.",
)
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--camera", "camera_id", help="Use this camera's detect width and slicing (default: the defaults).")
def evaluate_people(labels_path: Path, clips: Path, config_path: Path | None, camera_id: str | None) -> None:
    """Person recall of the configured model on labelled frames, whole frame against sliced."""
    try:
        config = load_config(config_path)
        label_set = load_labels(labels_path)
    except (ConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    camera = config.camera(camera_id) if camera_id else CameraConfig(id="labelled")
    if camera is None:
        raise click.BadParameter(f"no camera {camera_id!r} in the config", param_hint="--camera")
    frames = list(label_set.frames)
    try:
        images = read_frames(clips, frames)
        detector = load_detector(config.detector.model)
    except (LabelledFrameError, ModelLoadError) as exc:
        raise click.ClickException(str(exc)) from None
    slicing = camera.slicing or SlicingConfig()
    width = f"{camera.max_width} px wide" if camera.max_width else "native size"
    variants = [
        Variant(f"whole frame, {width}", camera.max_width, None),
        Variant(
            f"{slicing.rows}x{slicing.cols} tiles{' + frame' if slicing.include_full_frame else ''}, {width}",
            camera.max_width,
            slicing,
        ),
    ]
    people = sum(len(f.people) for f in frames)
    click.echo(f"{len(frames)} labelled frames, {people} people; model {detector.path}")
    click.echo(people_report([run_variant(detector, v, images, frames) for v in variants]))

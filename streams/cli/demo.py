"""`sentinel demo`: the whole pipeline on the shared recordings, with the real model, broker and Redis."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from detectors.config import OpenVinoModelConfig
from detectors.vision.backend import default_model_path
from detectors.vision.model import load_detector
from streams.cli.demo_console import run_demo_console
from streams.cli.replay import import_virat, replay, replay_tracks
from streams.evaluation.composite import compose_person_at_car

SHARED = Path.cwd().parent / "shared"


def _replay_video(ctx: click.Context, video: Path, camera_id: str, out: Path, snapshots: Path) -> None:
    """`sentinel replay` with the product defaults, as a user would run it."""
    ctx.invoke(
        replay,
        video=video,
        camera_id=camera_id,
        config_path=None,
        out=out,
        fps=None,
        start_time="0",
        snapshots=snapshots,
        speed=None,
        progress=True,
    )


def _count_starts(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if json.loads(line)["phase"] == "start")


@click.command()
@click.option(
    "--out-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("out/demo"), show_default=True
)
@click.option(
    "--shared",
    "shared",
    type=click.Path(path_type=Path, file_okay=False),
    default=SHARED,
    show_default=True,
    help="The shared data folder (clips, tracks, models).",
)
@click.option(
    "--console/--no-console",
    default=None,
    help="End by serving the console with a one-time login (default: when stdout is a terminal).",
)
@click.pass_context
def demo(ctx: click.Context, out_dir: Path, shared: Path, console: bool | None) -> None:
    """Replay a parked-car clip, a VIRAT car park and a person held at a parked car; show the alerts."""
    parked = shared / "clips" / "residential_street_parked_cars.mp4"
    street = shared / "clips" / "street_people_1080p.mp4"
    virat = shared / "tracks" / "VIRAT_S_050301_03_000933_001046.viratdata.objects.txt"
    for required in (parked, street, virat):
        if not required.exists():
            raise click.ClickException(f"{required} not found: the demo uses the shared data beside the checkout")
    out_dir.mkdir(parents=True, exist_ok=True)
    snapshots = out_dir / "snapshots"
    click.echo(f"model: {default_model_path()}", err=True)

    click.echo(
        f"\n== 1/3 {parked.name} through YOLO + ByteTrack, default rules "
        "(parked and passing cars, nobody on foot: no alert is right)",
        err=True,
    )
    video_out = out_dir / "1-parked-cars-alerts.jsonl"
    _replay_video(ctx, parked, "demo-street", video_out, snapshots)

    click.echo(
        "\n== 2/3 VIRAT car-park ground truth through the rules, default settings (one person, annotated as three "
        "track segments, stays about 50 s at a parked car)",
        err=True,
    )
    tracks = out_dir / "virat-0503.tracks.jsonl"
    with tracks.open("w") as handle, contextlib.redirect_stdout(handle):
        ctx.invoke(
            import_virat, objects_file=virat, fps=30.0, camera_id="virat-0503", start_time="0", width=1920, height=1080
        )
    virat_out = out_dir / "2-virat-alerts.jsonl"
    ctx.invoke(replay_tracks, tracks=(tracks,), config_path=None, out=virat_out, snapshots=snapshots, progress=True)

    click.echo(
        "\n== 3/3 synthetic: a real person held beside a real parked car (composite of the shared clips), "
        "for 40 s, through YOLO + ByteTrack, default settings",
        err=True,
    )
    composite = compose_person_at_car(
        out_dir / "person-at-car.mp4", load_detector(OpenVinoModelConfig()), street, parked, seconds=40, fps=10
    )
    composite_out = out_dir / "3-person-at-car-alerts.jsonl"
    _replay_video(ctx, composite.path, "demo-composite", composite_out, snapshots)

    click.echo("\n| part | alerts | alert events file |", err=True)
    for name, path in (
        ("1 parked cars (video)", video_out),
        ("2 VIRAT car park (tracks)", virat_out),
        ("3 person at parked car (video, synthetic)", composite_out),
    ):
        click.echo(f"| {name} | {_count_starts(path)} | {path} |", err=True)
    click.echo(f"annotated snapshots: {snapshots}/*.jpg; stored alerts: `sentinel alerts list`", err=True)
    if console if console is not None else sys.stdout.isatty():
        run_demo_console()

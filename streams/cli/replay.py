"""Replays: a recorded video, recorded tracks or a door log through the same topics and code as live."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import click

from alerts.models import AlertPhase
from streams.access.door_log import DoorLog
from streams.access.publish import AccessPublisher
from streams.app import WORKER_ROLES, Role
from streams.cli.common import access_events_option, config_option, load_site_config, parse_time, run_cli
from streams.config import CameraConfig, SiteConfig
from streams.evaluation.virat import ViratFormatError, read_virat_objects, virat_track_frames
from streams.evaluation.virat_labels import read_virat_events, write_labels
from streams.ingest import SourceError, estimate_sampled_frames, open_capture
from streams.kafka.producer import delivery_options
from streams.kafka.security import aiokafka_options
from streams.records import encode_model
from streams.replay import Replayer, ReplayResult, export_snapshots, replay_stream_id, summarize, write_alerts_jsonl
from streams.runtime import WorkerRuntime, kafka_bootstrap
from streams.sources import first_camera_id, track_records, video_records
from streams.topics import TopicNames


@dataclass(frozen=True)
class ReplayOptions:
    """How a replay is run and reported, as the user chose on the command line."""

    progress: bool = True
    snapshots: Path | None = None
    pace_fps: float | None = None


@dataclass(frozen=True)
class ReplayInput:
    """One recording to send: which topic, its records (end marker last), and the camera it resets, if any."""

    topic: str  # "frames", "tracks" or "access"
    records: Iterator[tuple[bytes, bytes, int]]
    stream_id: str
    camera_id: str | None = None  # the partition key whose saved stage state the replay clears first
    total: int | None = None


async def run_replay(
    config: SiteConfig,
    roles: frozenset[Role],
    inputs: list[ReplayInput],
    options: ReplayOptions,
    door_log: DoorLog | None = None,
) -> ReplayResult:
    """Replays the inputs one after another through one runtime; the result holds every alert they raised."""
    results = await run_replays(config, roles, inputs, options, door_log)
    result = results[-1]
    result.alerts = [alert for r in results for alert in r.alerts]
    return result


async def run_replays(
    config: SiteConfig,
    roles: frozenset[Role],
    inputs: list[ReplayInput],
    options: ReplayOptions,
    door_log: DoorLog | None = None,
) -> list[ReplayResult]:
    """One result per input, all through one broker and one worker (its start-up is paid once)."""
    static = config.kafka.replay_static_assignment
    if static is None:
        static = config.kafka.bootstrap_servers is None  # an embedded broker has no other consumer
    with kafka_bootstrap(config) as bootstrap:
        async with WorkerRuntime(config, bootstrap, roles, static_assignment=static) as runtime:
            assert runtime.services is not None and runtime.services.store is not None
            topics = runtime.services.topics
            results = []
            for item in inputs:
                if item.camera_id is not None:
                    for checkpoints in runtime.services.checkpoints.values():
                        await checkpoints.clear(item.camera_id)  # a replay starts the camera afresh
                replayer = Replayer(
                    bootstrap,
                    topics,
                    runtime.services.store,
                    window=32 if item.topic != "access" else 1 << 30,  # door events are tiny: no in-flight limit
                    progress=options.progress and item.topic != "access",
                    fetch_max_wait_ms=config.kafka.fetch_max_wait_ms,
                    pace_fps=options.pace_fps if item.topic != "access" else None,
                    client_options=aiokafka_options(config.kafka),
                    producer_options=delivery_options(config.kafka),
                )
                topic = {"frames": topics.frames, "tracks": topics.tracks, "access": topics.access}[item.topic]
                has_tracks = item.topic != "access"
                results.append(await replayer.run(topic, item.records, item.stream_id, item.total, has_tracks))
                if item.topic == "access" and door_log is not None:
                    await _dead_letter_door_log(bootstrap, config, topics, door_log)
            if options.snapshots is not None:
                alerts = [alert for r in results for alert in r.alerts]
                written = await export_snapshots(runtime.services.store, alerts, options.snapshots)
                click.echo(f"{len(written)} snapshot(s) written to {options.snapshots}", err=True)
            return results


async def _dead_letter_door_log(bootstrap: str, config: SiteConfig, topics: TopicNames, door_log: DoorLog) -> None:
    if not door_log.problems:
        return
    publisher = AccessPublisher(bootstrap, config.kafka, topics)
    await publisher.start()
    try:
        for number, reason, line in door_log.problems:
            await publisher.dead_letter(f"{door_log.path.name}:{number}: {reason}", line)
    finally:
        await publisher.stop()
    click.echo(f"{len(door_log.problems)} door-log line(s) dead-lettered (see `sentinel deadletters list`)", err=True)


def door_log_input(config: SiteConfig, path: Path) -> tuple[DoorLog, ReplayInput]:
    stream_id = replay_stream_id("access", path, "access")
    door_log = DoorLog(path, config.access, config.site_id, stream_id)
    return door_log, ReplayInput("access", door_log.records(), stream_id, camera_id=stream_id)  # resets its state


def report_replay(result: ReplayResult, out: Path | None) -> None:
    write_alerts_jsonl(result.alerts, out)
    click.echo(summarize(result), err=True)
    for alert in result.alerts:
        if alert.phase is AlertPhase.START:
            click.echo(f"ALERT {alert.alert_id} {alert.source_id}: {alert.message}", err=True)


@click.command()
@click.argument("video", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--camera-id", required=True, help="Camera id the recording is replayed as.")
@config_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="alerts.jsonl (default: stdout).")
@click.option("--fps", type=float, default=None, help="Sampling rate (default: the camera's, else 5).")
@click.option(
    "--start-time",
    default="0",
    show_default=True,
    help="Capture time of the first frame: epoch seconds or ISO 8601. 0 = seconds into the recording.",
)
@click.option("--snapshots", type=click.Path(path_type=Path, file_okay=False), help="Write alert snapshots here.")
@click.option(
    "--speed",
    type=click.FloatRange(min=0.01),
    default=None,
    help="Send frames at this multiple of real time (1 = as the camera would); default: as fast as possible.",
)
@access_events_option
@click.option("--progress/--no-progress", default=True, show_default=True)
def replay(
    video: Path,
    camera_id: str,
    config_path: Path | None,
    out: Path | None,
    fps: float | None,
    start_time: str,
    snapshots: Path | None,
    speed: float | None,
    access_events: Path | None,
    progress: bool,
) -> None:
    """Replay a recorded VIDEO through the real pipeline (model, tracker, rules, alerts) on event time."""
    config = load_site_config(config_path)
    camera = config.camera(camera_id) or CameraConfig(id=camera_id)
    if fps is not None:
        camera = camera.model_copy(update={"fps": fps})
    config = config.with_camera(camera)
    start_ts = parse_time(start_time)
    try:
        open_capture(str(video)).release()  # fail before starting anything when the file is not a video
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    stream_id = replay_stream_id(camera_id, video, camera.fps, start_ts, "video")
    records = video_records(video, camera_id, stream_id, camera.fps, start_ts, camera.jpeg_quality, camera.max_width)
    total = estimate_sampled_frames(str(video), camera.fps)
    options = ReplayOptions(progress, snapshots, camera.fps * speed if speed else None)
    inputs = [ReplayInput("frames", records, stream_id, camera_id, total)]
    door_log = None
    if access_events is not None:
        door_log, door_input = door_log_input(config, access_events)
        inputs.insert(0, door_input)
    result = run_cli(run_replay(config, frozenset(WORKER_ROLES), inputs, options, door_log))
    report_replay(result, out)  # type: ignore[arg-type]


@click.command("replay-tracks")
@click.argument("tracks", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@config_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="alerts.jsonl (default: stdout).")
@click.option("--snapshots", type=click.Path(path_type=Path, file_okay=False), help="Write alert snapshots here.")
@access_events_option
@click.option("--progress/--no-progress", default=True, show_default=True)
def replay_tracks(
    tracks: tuple[Path, ...],
    config_path: Path | None,
    out: Path | None,
    snapshots: Path | None,
    access_events: Path | None,
    progress: bool,
) -> None:
    """Replay recorded TRACKS (JSONL files of track records, or folders of *.jsonl) through the rules and alert
    delivery, without the model: one after another through one broker and one worker, one summary line each."""
    config = load_site_config(config_path)
    inputs = []
    for path in track_files(tracks):
        camera_id = first_camera_id(path)
        if camera_id is None:
            raise click.ClickException(f"{path}: no track record with a camera_id")
        if config.camera(camera_id) is None:
            config = config.with_camera(CameraConfig(id=camera_id))
        stream_id = replay_stream_id(camera_id, path, "tracks")
        total = sum(1 for _ in path.open("rb"))
        inputs.append(ReplayInput("tracks", track_records(path, stream_id), stream_id, camera_id, total))
    roles = {Role.RULES, Role.DELIVER}
    door_log = None
    if access_events is not None:
        door_log, door_input = door_log_input(config, access_events)
        inputs.insert(0, door_input)
        roles.add(Role.ACCESS)
    options = ReplayOptions(progress, snapshots)
    results = cast(list[ReplayResult], run_cli(run_replays(config, frozenset(roles), inputs, options, door_log)))
    report_replays(results, out, summaries_from=1 if door_log is not None else 0)  # the door log's alerts too


def track_files(paths: tuple[Path, ...]) -> list[Path]:
    """The files named, and the *.jsonl files of the folders named (sorted, so the order is repeatable)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            if not found:
                raise click.ClickException(f"{path}: no *.jsonl track files in this folder")
            files.extend(found)
        else:
            files.append(path)
    return files


def report_replays(results: list[ReplayResult], out: Path | None, summaries_from: int = 0) -> None:
    """Every alert of every input into one file (or stdout), and a summary line per recording from the
    `summaries_from`-th input on (a door log replayed first has its own problems report)."""
    write_alerts_jsonl([alert for r in results for alert in r.alerts], out)
    for index, result in enumerate(results):
        if index >= summaries_from:
            click.echo(summarize(result), err=True)
        for alert in result.alerts:
            if alert.phase is AlertPhase.START:
                click.echo(f"ALERT {alert.alert_id} {alert.source_id}: {alert.message}", err=True)


@click.group("import")
def import_group() -> None:
    """Convert third-party annotations into the track record format."""


@import_group.command("virat")
@click.argument("objects_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--fps", type=float, default=30.0, show_default=True, help="Frame rate of the annotated video.")
@click.option("--camera-id", required=True)
@click.option("--start-time", default="0", show_default=True, help="Capture time of frame 0.")
@click.option("--width", type=int, default=1920, show_default=True)
@click.option("--height", type=int, default=1080, show_default=True)
@click.option("--strict", is_flag=True, help="Refuse the file at its first malformed line or unknown object type.")
@click.option(
    "--labels-out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the events and mapping files beside the objects file here as JSON labels.",
)
def import_virat(
    objects_file: Path,
    fps: float,
    camera_id: str,
    start_time: str,
    width: int,
    height: int,
    strict: bool,
    labels_out: Path | None,
) -> None:
    """VIRAT Ground *.viratdata.objects.txt -> track JSONL on stdout (skipped lines counted on stderr)."""
    try:
        objects = read_virat_objects(objects_file, strict)
        start = parse_time(start_time)
        for frame in virat_track_frames(objects_file, camera_id, fps, start, width, height, objects=objects):
            sys.stdout.write(encode_model(frame).decode() + "\n")
    except ViratFormatError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(objects.summary(objects_file), err=True)
    if labels_out is not None:
        events, skipped = read_virat_events(objects_file)
        write_labels(labels_out, events)
        click.echo(f"{len(events)} events written to {labels_out} ({sum(skipped.values())} line(s) skipped)", err=True)

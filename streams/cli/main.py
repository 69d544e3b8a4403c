"""The `sentinel` command group: every command, registered from the modules that define them."""

from __future__ import annotations

from pathlib import Path

import click

from streams.app import WORKER_ROLES, Role
from streams.cli.access import replay_access, watchlist_group
from streams.cli.alerts import alerts_group
from streams.cli.common import config_option, load_site_config, run_cli
from streams.cli.console import console_group
from streams.cli.deadletters import deadletters_group
from streams.cli.demo import demo
from streams.cli.eval_tracks import evaluate_tracks
from streams.cli.evaluation import evaluate, evaluate_people, scenarios
from streams.cli.fixtures import find_fixtures
from streams.cli.kafka import kafka_group
from streams.cli.replay import import_group, replay, replay_tracks
from streams.cli.serve import serve
from streams.ops.logsetup import setup_logging


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress of the broker, workers and stages.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    envvar="SENTINEL_LOG_FORMAT",
    show_default=True,
    help="json: one object per line with camera_id / alert_id fields, for a log pipeline.",
)
def main(verbose: bool, log_format: str) -> None:
    """Community Sentinel: camera and door-access alerts for the community officer."""
    setup_logging(verbose, "json" if log_format == "json" else "text")


@main.command()
@config_option
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(["all", "worker"] + [r.value for r in Role]),
    default=("all",),
    show_default=True,
    help="What this process runs; repeat to combine.",
)
def run(config_path: Path | None, roles: tuple[str, ...]) -> None:
    """Run the service: camera ingest and/or detector, rule and delivery workers, until SIGINT/SIGTERM."""
    config = load_site_config(config_path)
    chosen: set[Role] = set()
    for role in roles:
        chosen |= set(Role) if role == "all" else set(WORKER_ROLES) if role == "worker" else {Role(role)}
    run_cli(serve(config, frozenset(chosen)))


for command in (
    replay,
    replay_tracks,
    import_group,
    alerts_group,
    console_group,
    evaluate,
    evaluate_people,
    evaluate_tracks,
    find_fixtures,
    scenarios,
    replay_access,
    watchlist_group,
    deadletters_group,
    demo,
    kafka_group,
):
    main.add_command(command)

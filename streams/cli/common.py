"""What the commands share: config loading, time parsing, running a coroutine with friendly errors, options."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import click

from streams.config import ConfigError, SiteConfig, load_config
from streams.evaluation.virat import ViratFormatError
from streams.ingest import SourceError
from streams.records import RecordError
from streams.runtime import RedisUnavailable

EXPECTED_ERRORS = (ConfigError, SourceError, RecordError, RedisUnavailable, ViratFormatError)


def parse_time(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither epoch seconds nor an ISO 8601 time") from None


def load_site_config(config_path: Path | None) -> SiteConfig:
    try:
        return load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def run_cli(coro: object) -> object:
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except EXPECTED_ERRORS as exc:
        raise click.ClickException(str(exc)) from None


access_events_option = click.option(
    "--access-events",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A door log (JSONL) replayed first, on its own event times, so alerts link to the entries before them.",
)

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Site config YAML (default: built-in defaults plus environment).",
)

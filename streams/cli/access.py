"""`sentinel replay-access` and `sentinel watchlist ...`: door logs and the watch list from the command line."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import click

from alerts.access.watchlist import WatchEntry, WatchKind, WatchList
from streams.access.vendor import pseudonym_key, pseudonymise
from streams.app import Role
from streams.cli.common import run_cli
from streams.cli.replay import ReplayOptions, door_log_input, report_replay, run_replay
from streams.config import ConfigError, SiteConfig, load_config
from streams.runtime import check_redis, make_store

_KINDS = get_args(WatchKind)


@click.command("replay-access")
@click.argument("events", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="alerts.jsonl (default: stdout).")
def replay_access(events: Path, config_path: Path | None, out: Path | None) -> None:
    """Replay a recorded door log (JSONL) through the access rules and alert delivery, on event time."""
    config = _config(config_path)
    door_log, door_input = door_log_input(config, events)
    roles = frozenset({Role.ACCESS, Role.DELIVER})
    result = run_cli(run_replay(config, roles, [door_input], ReplayOptions(progress=False), door_log))
    report_replay(result, out)  # type: ignore[arg-type]


@click.group("watchlist")
def watchlist_group() -> None:
    """Persons of interest, matched against door events by pseudonymised employee number, card or name."""


def _config(config_path: Path | None) -> SiteConfig:
    try:
        return load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _identifier(employee_no: str | None, card_no: str | None, name: str | None) -> tuple[WatchKind, str]:
    given = [(kind, value) for kind, value in zip(_KINDS, (employee_no, card_no, name), strict=True) if value]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --employee-no, --card-no, --name")
    return given[0]


def _ref(config: SiteConfig, kind: str, value: str) -> str:
    return pseudonymise(pseudonym_key(config.access, config.site_id), kind, value)


def _with_watchlist(config: SiteConfig, action: Callable[[WatchList], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        store = make_store(config)
        await check_redis(store, config.redis.redacted_url)
        try:
            return await action(WatchList(store.redis, store.prefix))
        finally:
            await store.redis.aclose()

    return asyncio.run(run())


identifier_options = [
    click.option("--employee-no", help="Employee (person) number as the terminals know it."),
    click.option("--card-no", help="Card number."),
    click.option("--name", help="Name as enrolled on the terminals (weakest match)."),
]


def _identified(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(identifier_options):
        command = option(command)
    return command


@watchlist_group.command("add")
@_identified
@click.option("--label", required=True, help="What officers see, e.g. 'Suspect A (case 2026-113)'.")
@click.option("--tier", type=click.Choice(["red", "yellow"]), required=True)
@click.option("--reason", default="", help="Why the person is listed.")
@click.option("--expires", help="ISO 8601 time after which the entry no longer matches.")
@click.option("--by", "by", required=True, help="Who makes the change (audited).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def add(
    employee_no: str | None,
    card_no: str | None,
    name: str | None,
    label: str,
    tier: str,
    reason: str,
    expires: str | None,
    by: str,
    config_path: Path | None,
) -> None:
    """Add (or replace) a watch-list entry; the identifier is stored only as a keyed hash."""
    config = _config(config_path)
    kind, value = _identifier(employee_no, card_no, name)
    expires_at = None
    if expires:
        try:
            expires_at = datetime.fromisoformat(expires.replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise click.BadParameter(f"{expires!r} is not an ISO 8601 time", param_hint="--expires") from None
    entry = WatchEntry(
        kind=kind,
        ref=_ref(config, kind, value),
        label=label,
        reason=reason,
        tier=tier,  # type: ignore[arg-type]
        expires_at=expires_at,
        added_by=by,
        added_at=time.time(),
    )
    _with_watchlist(config, lambda watch: watch.add(entry))
    click.echo(f"added {kind} entry {entry.ref[:12]}… ({tier}): {label}")


@watchlist_group.command("remove")
@_identified
@click.option("--by", "by", required=True, help="Who makes the change (audited).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def remove(employee_no: str | None, card_no: str | None, name: str | None, by: str, config_path: Path | None) -> None:
    """Remove a watch-list entry."""
    config = _config(config_path)
    kind, value = _identifier(employee_no, card_no, name)
    removed = _with_watchlist(config, lambda watch: watch.remove(kind, _ref(config, kind, value), by))
    if not removed:
        raise click.ClickException(f"no {kind} entry for that identifier")
    click.echo(f"removed {kind} entry")


@watchlist_group.command("list")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One entry JSON per line.")
def list_entries(config_path: Path | None, as_json: bool) -> None:
    """The current entries (identifiers shown as hash prefixes)."""
    entries = _with_watchlist(_config(config_path), lambda watch: watch.entries())
    for entry in entries:
        if as_json:
            click.echo(entry.model_dump_json())
            continue
        until = datetime.fromtimestamp(entry.expires_at, UTC).isoformat() if entry.expires_at else "no expiry"
        click.echo(f"{entry.tier:6} {entry.kind:8} {entry.ref[:12]}… {entry.label} ({until}) {entry.reason}")


@watchlist_group.command("audit")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--count", type=int, default=50, show_default=True)
def audit(config_path: Path | None, count: int) -> None:
    """Who changed the watch list, newest first."""
    for record in _with_watchlist(_config(config_path), lambda watch: watch.audit(count)):
        click.echo(json.dumps(record, sort_keys=True))

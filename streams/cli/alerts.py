"""`sentinel alerts ...`: read the alert store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from alerts.models import Alert, AlertEvent, EntryAlertEvent
from alerts.store import AlertStore
from streams.config import load_config
from streams.runtime import check_redis, make_store


def _store(config_path: Path | None) -> tuple[AlertStore, str]:
    config = load_config(config_path)
    return make_store(config), config.redis.redacted_url


def _line(event: Alert, suppressed: bool = False) -> str:
    when = datetime.fromtimestamp(event.ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    flag = " (suppressed: cooldown)" if suppressed else ""
    if isinstance(event, AlertEvent):
        detail = f"dwell={event.dwell_s:.0f}s"
    elif isinstance(event, EntryAlertEvent):
        detail = f"attempts={event.attempts}"
    else:
        detail = f"device={event.device_kind}"
    return (
        f"{when} {event.severity.value:6} {event.phase.value:6} {event.alert_id} {event.source_id} "
        f"{detail} {event.message}{flag}"
    )


@click.group("alerts")
def alerts_group() -> None:
    """Read alerts from the alert store (Redis)."""


@alerts_group.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--from-start", is_flag=True, help="Print the stored feed first, then follow.")
@click.option("--count", type=int, default=None, help="Exit after this many events.")
@click.option(
    "--snapshots",
    type=click.Path(path_type=Path, file_okay=False),
    help="Save each new alert's annotated snapshot here and print its path.",
)
@click.option("--json", "as_json", is_flag=True, help="One AlertEvent JSON per line.")
def tail(config_path: Path | None, from_start: bool, count: int | None, snapshots: Path | None, as_json: bool) -> None:
    """Print alert events as they arrive (Ctrl-C to stop)."""

    async def follow() -> None:
        store, url = _store(config_path)
        await check_redis(store, url)
        last_id, seen = ("0" if from_start else "$"), 0
        try:
            while count is None or seen < count:
                for entry_id, event, suppressed in await store.read_feed(last_id, block_ms=1000):
                    last_id = entry_id
                    click.echo(event.model_dump_json() if as_json else _line(event, suppressed))
                    if snapshots is not None and event.phase.value == "start":
                        await _save_snapshot(store, event.alert_id, snapshots)
                    seen += 1
                    if count is not None and seen >= count:
                        return
        finally:
            await store.redis.aclose()

    try:
        asyncio.run(follow())
    except KeyboardInterrupt:
        pass


async def _save_snapshot(store: AlertStore, alert_id: str, directory: Path) -> None:
    for _ in range(50):  # the snapshot is rendered just after the start event is stored
        jpeg = await store.get_snapshot(alert_id)
        if jpeg:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"{alert_id}.jpg"
            path.write_bytes(jpeg)
            click.echo(f"  snapshot: {path}")
            return
        await asyncio.sleep(0.1)
    click.echo(f"  snapshot of {alert_id} not available", err=True)


@alerts_group.command("list")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--site", "site_id", help="Only this site's alerts.")
@click.option("--camera", "camera_id", help="Only this camera's alerts.")
@click.option("--since", type=float, default=None, help="Incidents that began at or after this epoch time.")
@click.option("--limit", type=int, default=50, show_default=True)
def list_alerts(
    config_path: Path | None, site_id: str | None, camera_id: str | None, since: float | None, limit: int
) -> None:
    """Stored alerts, newest incident first, with their latest state."""

    async def run() -> None:
        store, url = _store(config_path)
        await check_redis(store, url)
        try:
            ids = await store.list_ids(
                site_id=site_id, camera_id=camera_id, since=since if since is not None else float("-inf"), limit=limit
            )
            for alert_id in ids:
                latest = await store.get(alert_id)
                if latest is not None:
                    click.echo(_line(latest))
        finally:
            await store.redis.aclose()

    asyncio.run(run())


@alerts_group.command()
@click.argument("alert_id")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def show(alert_id: str, config_path: Path | None) -> None:
    """Print an alert's timeline and delivery log."""

    async def run() -> None:
        store, url = _store(config_path)
        await check_redis(store, url)
        try:
            timeline = await store.timeline(alert_id)
            if not timeline:
                raise click.ClickException(f"no alert {alert_id}")
            for event in timeline:
                click.echo(_line(event))
            for entry in await store.delivery_log(alert_id):
                click.echo(f"  delivery: {entry}")
        finally:
            await store.redis.aclose()

    asyncio.run(run())


@alerts_group.command()
@click.argument("alert_id")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def snapshot(alert_id: str, output: Path, config_path: Path | None) -> None:
    """Save an alert's annotated snapshot (JPEG)."""

    async def run() -> bytes | None:
        store, url = _store(config_path)
        await check_redis(store, url)
        try:
            return await store.get_snapshot(alert_id)
        finally:
            await store.redis.aclose()

    jpeg = asyncio.run(run())
    if not jpeg:
        raise click.ClickException(f"no snapshot for alert {alert_id} (unknown id or expired)")
    output.write_bytes(jpeg)
    click.echo(str(output))


@alerts_group.command()
@click.argument("alert_id")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def clip(alert_id: str, output: Path, config_path: Path | None) -> None:
    """Save an alert's evidence clip (MP4 or WebM, as clip.format was when it was built)."""

    async def run() -> tuple[bytes | None, dict[str, Any] | None]:
        store, url = _store(config_path)
        await check_redis(store, url)
        try:
            return await store.get_clip(alert_id), await store.clip_info(alert_id)
        finally:
            await store.redis.aclose()

    video, info = asyncio.run(run())
    if not video or info is None:
        raise click.ClickException(f"no clip for alert {alert_id} (unknown id, expired, or no frames were kept)")
    output.write_bytes(video)
    span, gaps = float(info["end"]) - float(info["start"]), len(info.get("gaps", []))
    click.echo(f"{output} ({info.get('frames')} frames, {span:.1f} s, {gaps} gaps)")

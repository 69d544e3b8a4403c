"""The demo's last step: the officers' console on a free port with a one-time login, so a newcomer sees the alerts,
their clips and timelines in a browser. The account is removed when the console stops (Ctrl-C)."""

from __future__ import annotations

import asyncio
import logging
import secrets

import click

from alerts.console.auth import ConsoleAuth
from streams.cli.serve import start_console
from streams.config import SiteConfig, load_config
from streams.kafka.broker import free_port
from streams.runtime import make_store

logger = logging.getLogger(__name__)


def demo_console_config(base: SiteConfig, port: int) -> SiteConfig:
    """The site config with the console on loopback at `port` (the demo's machine only)."""
    console = base.alerts.console.model_copy(update={"host": "127.0.0.1", "port": port})
    return base.model_copy(update={"alerts": base.alerts.model_copy(update={"console": console})})


async def serve_until_interrupted(config: SiteConfig) -> None:
    store = make_store(config)
    auth = ConsoleAuth(store.redis, config.alerts.console, store.prefix)
    username, password = f"demo-{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    await auth.add_account(username, "officer", password)
    console = await start_console(config)
    try:
        port = config.alerts.console.port
        click.echo(f"\n== the console: http://127.0.0.1:{port}/", err=True)
        click.echo(f"   log in as {username} with password {password} (this login is removed when you stop)", err=True)
        click.echo("   open an alert for its clip, its live view and its timeline; Ctrl-C to stop", err=True)
        await asyncio.Event().wait()
    finally:
        await console.stop()
        await auth.remove_account(username)
        await store.redis.aclose()


def run_demo_console() -> None:
    config = demo_console_config(load_config(None), free_port())
    try:
        asyncio.run(serve_until_interrupted(config))
    except KeyboardInterrupt:
        click.echo("console stopped; the demo login is removed", err=True)

"""`sentinel console ...`: accounts of the officers' web console."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import click

from alerts.console.auth import ChangeRefused, ConsoleAuth, hash_password
from alerts.delivery.dispatch import masked, new_topic
from alerts.delivery.webpush import generate_vapid_keys
from streams.config import ConfigError, load_config
from streams.runtime import check_redis, make_store


def with_accounts(config_path: Path | None, change: Callable[[ConsoleAuth], Awaitable[object]]) -> None:
    """Runs one change of the console's accounts in the site's Redis; a refused change is a clean CLI error."""
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None

    async def run() -> None:
        store = make_store(config)
        await check_redis(store, config.redis.redacted_url)
        try:
            await change(ConsoleAuth(store.redis, config.alerts.console, store.prefix))
        except ChangeRefused as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            await store.redis.aclose()

    asyncio.run(run())


@click.group("console")
def console_group() -> None:
    """Accounts of the officers' web console (served by `sentinel run` with the console role)."""


@console_group.command("hash-password")
@click.password_option("--password", help="Prompted for when not given.")
def hash_password_command(password: str) -> None:
    """Print an Argon2id hash for `alerts.console.accounts[].password_hash` in the site config."""
    click.echo(hash_password(password))


@console_group.command("add-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["officer", "supervisor", "admin", "guard", "patrol"]), required=True)
@click.password_option("--password", help="Prompted for when not given.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def add_user(username: str, role: str, password: str, config_path: Path | None) -> None:
    """Add or replace a console account in Redis (the password is stored only as an Argon2id hash)."""
    with_accounts(config_path, lambda auth: auth.add_account(username, role, password))
    click.echo(f"console account {username} ({role}) saved")


@console_group.command("ntfy-topic")
@click.argument("username")
@click.option("--generate", is_flag=True, help="Make a random topic and print it once (to subscribe on the phone).")
@click.option("--clear", is_flag=True, help="Remove the account's topic: dispatches reach it by Web Push only.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def ntfy_topic(username: str, generate: bool, clear: bool, config_path: Path | None) -> None:
    """Set the account's own ntfy topic: a dispatch to it is pushed there, with one-time step buttons.

    The topic is prompted for (hidden: anyone who knows it can read it), unless --generate or --clear.
    """
    if generate and clear:
        raise click.UsageError("--generate or --clear, not both")
    topic = None if clear else new_topic() if generate else click.prompt("ntfy topic", hide_input=True)
    with_accounts(config_path, lambda auth: auth.set_ntfy_topic(username, topic))
    if topic is None:
        click.echo(f"console account {username}: ntfy topic cleared")
    elif generate:
        click.echo(f"console account {username}: ntfy topic {topic} (subscribe to it in the ntfy app; shown once)")
    else:
        click.echo(f"console account {username}: ntfy topic {masked(topic)} set")


@console_group.command("vapid-keys")
def vapid_keys() -> None:
    """Print a new VAPID key pair for `alerts.webpush` (the private key belongs in a secret)."""
    private, public = generate_vapid_keys()
    click.echo(f"SENTINEL_ALERTS__WEBPUSH__VAPID_PRIVATE_KEY={private}")
    click.echo(f"vapid_public_key: {public}")

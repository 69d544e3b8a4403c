"""`sentinel run`: the long-running service with its health and metrics endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

import click
from redis.asyncio import Redis

from alerts.action_tokens import ActionTokens
from alerts.console.app import Console
from alerts.console.auth import ConsoleAuth
from alerts.delivery.dispatch import DispatchPush
from alerts.delivery.push import NtfyChannel
from alerts.delivery.webpush import PushSubscriptions, WebPushChannel
from alerts.lifecycle import LifecycleStore
from alerts.store import AlertStore
from streams.access.publish import AccessPublisher
from streams.access.receiver import AccessReceiver, ReceiverConfigError
from streams.agents import WorkerServices
from streams.app import WORKER_ROLES, Role
from streams.config import SiteConfig
from streams.kafka.admin import BrokerWatchdog
from streams.live import run_live_ingest
from streams.ops.observability import HealthServer, Metrics, ReadinessCheck
from streams.runtime import WorkerRuntime, check_redis, kafka_bootstrap, make_store

logger = logging.getLogger(__name__)


async def serve(config: SiteConfig, roles: frozenset[Role]) -> None:
    """Run until SIGINT/SIGTERM, then stop consuming, flush producers and leave the consumer group."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    metrics = Metrics()
    started = asyncio.Event()
    health: HealthServer | None = None
    if config.observability.port:
        health = HealthServer(metrics, config.observability.host, config.observability.port)
        health.add_readiness_check(_started_check(started))
        await health.start()
    try:
        async with contextlib.AsyncExitStack() as stack, _bootstrap(config, roles) as bootstrap:
            click.echo(f"sentinel: broker {bootstrap or '(none)'}, roles {sorted(r.value for r in roles)}", err=True)
            tasks = []
            if bootstrap:
                watchdog = BrokerWatchdog(bootstrap, config.kafka)
                tasks.append(asyncio.create_task(watchdog.run(stop)))
                if health is not None:
                    health.add_readiness_check(_broker_check(watchdog))
            if Role.INGEST in roles:
                tasks.append(asyncio.create_task(run_live_ingest(config, bootstrap, stop, metrics)))
            if Role.CONSOLE in roles and config.alerts.console.port:
                console = await start_console(config, metrics)
                stack.push_async_callback(console.store.redis.aclose)
                stack.push_async_callback(console.stop)  # runs first: callbacks unwind in reverse
            worker_roles = frozenset(roles & WORKER_ROLES)
            if worker_roles:
                async with WorkerRuntime(config, bootstrap, worker_roles, metrics=metrics) as runtime:
                    services = runtime.services
                    if health is not None and services is not None and services.store is not None:
                        health.add_readiness_check(_redis_check(services.store.redis))
                    async with _access_receiver(config, bootstrap, roles, services, metrics):
                        started.set()
                        await stop.wait()
            else:
                started.set()
                await stop.wait()
            await asyncio.gather(*tasks)
    finally:
        if health is not None:
            await health.stop()


@contextlib.asynccontextmanager
async def _access_receiver(
    config: SiteConfig, bootstrap: str, roles: frozenset[Role], services: WorkerServices | None, metrics: Metrics
) -> AsyncIterator[AccessReceiver | None]:
    """The door-event receiver, when this process runs the access role and a port is configured."""
    receiver_config = config.access.receiver
    if Role.ACCESS not in roles or not receiver_config.port or services is None or services.store is None:
        yield None
        return
    if receiver_config.token is None and not config.access.devices and not config.access.accept_unknown_devices:
        logger.info("access receiver off: no devices and no access.receiver.token configured")
        yield None
        return
    publisher = AccessPublisher(bootstrap, config.kafka, services.topics)
    await publisher.start()
    try:
        receiver = AccessReceiver(
            config.access, config.site_id, services.store, publisher.publish, publisher.dead_letter, metrics
        )
    except ReceiverConfigError as exc:
        await publisher.stop()
        raise click.ClickException(str(exc)) from None
    port = await receiver.start(receiver_config.host, receiver_config.port)
    click.echo(f"sentinel: access receiver on {receiver_config.host}:{port}", err=True)
    try:
        yield receiver
    finally:
        await receiver.stop()
        await publisher.stop()


@contextlib.asynccontextmanager
async def _bootstrap(config: SiteConfig, roles: frozenset[Role]) -> AsyncIterator[str]:
    """The broker address; a console-only process needs none and starts no embedded broker."""
    if roles <= {Role.CONSOLE}:
        yield ""
        return
    with kafka_bootstrap(config) as bootstrap:
        yield bootstrap


async def start_console(config: SiteConfig, metrics: Metrics | None = None) -> Console:
    store = make_store(config)
    await check_redis(store, config.redis.redacted_url)
    lifecycle = LifecycleStore(store.redis, config.alerts.retention_s, store.prefix)
    push_key = config.alerts.webpush.vapid_public_key if config.alerts.webpush else None
    auth = ConsoleAuth(store.redis, config.alerts.console, store.prefix)
    public_url = str(config.alerts.console.public_url) if config.alerts.console.public_url else None
    observe = None
    if metrics is not None:
        histogram = metrics.response_seconds

        def observe(stage: str, site: str, responder: str, seconds: float) -> None:
            histogram.labels(site, responder, stage).observe(seconds)

    console = Console(
        store,
        lifecycle,
        auth,
        push_key,
        timezone=config.risk.timezone,
        targets=config.alerts.response_targets_s.model_dump(),
        on_response=observe,
        dispatch=dispatch_push(config, store, public_url),
    )
    port = await console.start(config.alerts.console.host, config.alerts.console.port)
    click.echo(f"sentinel: console on http://{config.alerts.console.host}:{port}/", err=True)
    return console


def dispatch_push(config: SiteConfig, store: AlertStore, public_url: str | None) -> DispatchPush:
    """A dispatch's push to the responder: Web Push to their phones, ntfy on their own topic (the site's server)."""
    alerts = config.alerts
    webpush = (
        WebPushChannel(alerts.webpush, PushSubscriptions(store.redis, store.prefix), public_url)
        if alerts.webpush
        else None
    )
    ntfy = NtfyChannel(alerts.ntfy) if alerts.ntfy else None
    console_url = str(alerts.ntfy.console_url) if alerts.ntfy and alerts.ntfy.console_url else public_url
    tokens = ActionTokens(store.redis, alerts.console.session_ttl_s, store.prefix)
    return DispatchPush(tokens, webpush, ntfy, console_url)


def _started_check(started: asyncio.Event) -> ReadinessCheck:
    async def check() -> str | None:
        return None if started.is_set() else "starting: joining the consumer group"

    return check


def _broker_check(watchdog: BrokerWatchdog) -> ReadinessCheck:
    async def check() -> str | None:
        return watchdog.problem

    return check


def _redis_check(client: Redis) -> ReadinessCheck:
    async def check() -> str | None:
        try:
            await asyncio.wait_for(client.ping(), timeout=1.0)
        except Exception as exc:  # any failure means not ready; the reason is reported
            return f"redis unreachable: {type(exc).__name__}"
        return None

    return check

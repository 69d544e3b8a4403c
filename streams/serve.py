"""`sentinel run`: the long-running service with its health and metrics endpoints."""

from __future__ import annotations

import asyncio
import logging
import signal

import click
from redis.asyncio import Redis

from streams.admin import BrokerWatchdog
from streams.app import WORKER_ROLES, Role
from streams.config import SiteConfig
from streams.live import run_live_ingest
from streams.observability import HealthServer, Metrics, ReadinessCheck
from streams.runtime import WorkerRuntime, kafka_bootstrap

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
        with kafka_bootstrap(config) as bootstrap:
            click.echo(f"sentinel: broker {bootstrap}, roles {sorted(r.value for r in roles)}", err=True)
            tasks = []
            watchdog = BrokerWatchdog(bootstrap, config.kafka)
            tasks.append(asyncio.create_task(watchdog.run(stop)))
            if health is not None:
                health.add_readiness_check(_broker_check(watchdog))
            if Role.INGEST in roles:
                tasks.append(asyncio.create_task(run_live_ingest(config, bootstrap, stop, metrics)))
            worker_roles = frozenset(roles & WORKER_ROLES)
            if worker_roles:
                async with WorkerRuntime(config, bootstrap, worker_roles, metrics=metrics) as runtime:
                    if health is not None and runtime.services is not None and runtime.services.store is not None:
                        health.add_readiness_check(_redis_check(runtime.services.store.redis))
                    started.set()
                    await stop.wait()
            else:
                started.set()
                await stop.wait()
            await asyncio.gather(*tasks)
    finally:
        if health is not None:
            await health.stop()


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

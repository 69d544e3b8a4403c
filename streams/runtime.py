"""Starting and stopping the pieces of a worker process: broker address, topics, Redis, stages, Faust app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from types import TracebackType

import faust
import redis.asyncio as aioredis

from alerts.access.entry_ledger import EntryLedger
from alerts.access.watchlist import WatchList
from alerts.delivery.channels import Channel
from alerts.delivery.claims import DeliveryClaims
from alerts.delivery.escalation import Escalator
from alerts.delivery.registry import build_channels
from alerts.device_liveness import DeviceLiveness
from alerts.evidence.clip_maker import ClipMaker
from alerts.lifecycle import LifecycleStore
from alerts.service import AlertService
from alerts.store import AlertStore
from detectors.access.entry_rules import EntryRules
from detectors.vision.backend import Detector
from detectors.vision.model import load_detector
from streams.access.agent import AccessServices
from streams.agents import WorkerServices, register_agents
from streams.app import Role, create_app, group_id_for
from streams.config import SiteConfig
from streams.kafka.admin import ensure_topics
from streams.kafka.broker import EmbeddedBroker
from streams.kafka.trim import FrameTrimmer
from streams.ops.observability import Metrics, faust_lag
from streams.stages.checkpoints import StageCheckpoints, Stateful
from streams.stages.detect import DetectStage
from streams.stages.device_alerts import DeviceLinker
from streams.stages.devices import DeviceHealthStage
from streams.stages.linking import AlertLinker
from streams.stages.rules import RuleStage

logger = logging.getLogger(__name__)


class RedisUnavailable(RuntimeError):
    pass


@contextlib.contextmanager
def kafka_bootstrap(config: SiteConfig) -> Iterator[str]:
    """The configured cluster, or an embedded Tansu broker for the duration of the block."""
    if config.kafka.bootstrap_servers:
        yield config.kafka.bootstrap_servers
        return
    with EmbeddedBroker() as broker:
        yield broker.bootstrap


def make_store(config: SiteConfig) -> AlertStore:
    ca_certs = str(config.redis.ssl_ca_certs) if config.redis.ssl_ca_certs else None
    client = (
        aioredis.Redis.from_url(config.redis.url, ssl_ca_certs=ca_certs)
        if ca_certs
        else aioredis.Redis.from_url(config.redis.url)
    )
    return AlertStore(
        client,
        config.alerts.retention_s,
        config.alerts.cooldown_s,
        config.alerts.feed_maxlen,
        prefix=config.redis.key_prefix,
    )


async def check_redis(store: AlertStore, url: str) -> None:
    try:
        await store.redis.ping()
    except Exception as exc:
        raise RedisUnavailable(
            f"Redis is not reachable at {url} ({exc}). Start one with "
            "`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''` "
            "or point REDIS_URL / redis.url in the config at yours."
        ) from None


class WorkerRuntime:
    """An async context: the Faust app with the agents of `roles`, started and ready to consume."""

    def __init__(
        self,
        config: SiteConfig,
        bootstrap: str,
        roles: frozenset[Role],
        extra_channels: list[Channel] | None = None,
        detector: Detector | None = None,
        metrics: Metrics | None = None,
        static_assignment: bool = False,
    ) -> None:
        self.config = config
        self.static_assignment = static_assignment  # a replay that alone consumes its topics (streams.app)
        self.bootstrap = bootstrap
        self.roles = roles
        self.extra_channels = extra_channels or []
        self.detector = detector
        self.metrics = metrics or Metrics()
        self.services: WorkerServices | None = None
        self._app: faust.App | None = None
        self._stop = asyncio.Event()
        self._escalating: asyncio.Task[None] | None = None
        self._trimming: asyncio.Task[None] | None = None

    async def __aenter__(self) -> WorkerRuntime:
        topics = ensure_topics(self.bootstrap, self.config.kafka)
        store = make_store(self.config)
        await check_redis(store, self.config.redis.redacted_url)
        services = WorkerServices(topics=topics, store=store, metrics=self.metrics)
        if Role.DETECT in self.roles:
            services.detect = DetectStage(
                self.config,
                self.detector or load_detector(self.config.detector.model),
                store,
                observe_inference=self.metrics.inference_seconds.observe,
                count_still=lambda camera: self.metrics.frames_still.labels(camera).inc(),
            )
        if self.roles & {Role.RULES, Role.ACCESS, Role.DEVICES}:
            ledger = EntryLedger(store.redis, self.config.alerts.retention_s, store.prefix)
            linker = AlertLinker(ledger, self.config)
        if Role.RULES in self.roles:
            services.rules = RuleStage(self.config, linker)
        if Role.DEVICES in self.roles and self.config.devices.enabled:
            liveness = DeviceLiveness(store.redis, store.prefix)
            services.devices = DeviceHealthStage(
                self.config, store, DeviceLinker(ledger, self.config), liveness=liveness
            )
        if Role.ACCESS in self.roles:
            services.access = AccessServices(
                site_id=self.config.site_id,
                store=store,
                watchlist=WatchList(store.redis, store.prefix),
                ledger=ledger,
                rules=EntryRules(self.config.access.rules),
                linker=linker,
            )
        if self.config.recovery.enabled:
            access_rules = services.access.rules if services.access is not None else None
            stages: dict[Role, Stateful | None] = {
                Role.DETECT: services.detect,
                Role.RULES: services.rules,
                Role.ACCESS: access_rules,
            }
            group = self.config.kafka.group_id
            for role, stage in stages.items():
                if stage is not None:
                    services.checkpoints[role] = StageCheckpoints(
                        store.redis, store.prefix, group, role.value, stage, self.config.recovery.checkpoint_ttl_s
                    )
            if services.access is not None:
                services.access.checkpoints = services.checkpoints.get(Role.ACCESS)
        if Role.DELIVER in self.roles:
            channels = build_channels(self.config.alerts, self.config.site_id, store) + self.extra_channels
            lifecycle = LifecycleStore(store.redis, self.config.alerts.retention_s, store.prefix)
            service = services.alerts = AlertService(
                store,
                channels,
                self.config.alerts.snapshot_jpeg_quality,
                on_delivery=lambda channel, status: self.metrics.deliveries.labels(channel, status).inc(),
                lifecycle=lifecycle,
                clips=ClipMaker(store, self.config.alerts.clip, self.config.risk.timezone)
                if self.config.alerts.clip.enabled
                else None,
                claims=DeliveryClaims(store, self.config.delivery_claim_s),
            )
            escalation = self.config.alerts.escalation
            if escalation.levels:
                by_name = {channel.name: channel for channel in channels}
                escalator = Escalator(lifecycle, store, by_name, escalation, service.deliver)
                self._escalating = asyncio.create_task(escalator.run(self._stop))
        self.services = services
        app = self._app = create_app(self.config, self.bootstrap, self.roles, self.static_assignment)
        register_agents(app, services, self.roles)
        self.metrics.watch_consumer(faust_lag(app))
        await app.start()
        if Role.DETECT in self.roles and self.config.kafka.trim_frames_every_s > 0 and not self.static_assignment:
            group = group_id_for(self.config, self.roles)
            trimmer = FrameTrimmer(self.config.kafka, self.bootstrap, topics.frames, group)
            self._trimming = asyncio.create_task(trimmer.run(self._stop))
        logger.info("worker started with roles %s on %s", sorted(r.value for r in self.roles), self.bootstrap)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._trimming is not None:
            self._trimming.cancel()  # a round in flight may wait on request timeouts; dropping it is harmless
        for task in (self._escalating, self._trimming):
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
        if self._app is not None:
            await self._app.stop()
        services = self.services
        if services is not None:
            if services.detect is not None:
                services.detect.close()
            if services.alerts is not None:
                await services.alerts.close()
            if services.store is not None:
                await services.store.redis.aclose()

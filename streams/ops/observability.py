"""Prometheus metrics and the health/readiness endpoints of a running service.

Each process has its own registry (several runtimes can share a test process). Consumer lag is read from
Faust's monitor at scrape time: end offset minus the offset read, per topic partition.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from alerts.web_site import WebSite

logger = logging.getLogger(__name__)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.frames_sent = Counter("sentinel_frames_sent", "Frames sent by camera ingest", ["camera"], registry=r)
        self.frames_dropped = Counter(
            "sentinel_frames_dropped", "Frames dropped by ingest because sending fell behind", ["camera"], registry=r
        )
        self.frames_processed = Counter(
            "sentinel_frames_processed",
            "Frames through the detect stage (model or motion gate)",
            ["camera"],
            registry=r,
        )
        self.access_events = Counter(
            "sentinel_access_events", "Door-access events through the access agent", ["door", "result"], registry=r
        )
        self.access_rejected = Counter(
            "sentinel_access_rejected", "Access events the receiver refused, by HTTP status", ["status"], registry=r
        )
        self.access_unhandled = Counter(
            "sentinel_access_unhandled",
            "Device notifications of an event type the receiver does not use (answered 200, not published)",
            ["event_type"],
            registry=r,
        )
        self.device_alerts = Counter(
            "sentinel_device_alerts",
            "Device alert steps (camera offline/covered/moved, terminal silent)",
            ["rule", "phase"],
            registry=r,
        )
        self.frames_shed = Counter(
            "sentinel_frames_shed",
            "Live frames dropped by the detect stage because they were older than detector.shed_after_s",
            ["camera"],
            registry=r,
        )
        self.frames_still = Counter(
            "sentinel_frames_still",
            "Frames the motion gate found still: the model skipped, the camera's last tracks repeated",
            ["camera"],
            registry=r,
        )
        self.inference_seconds = Histogram(
            "sentinel_inference_seconds",
            "Model plus tracker time per frame",
            buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0),
            registry=r,
        )
        self.alerts = Counter(
            "sentinel_alert_events",
            "Alert events stored, by rule, severity and phase",
            ["rule", "severity", "phase"],
            registry=r,
        )
        self.deliveries = Counter(
            "sentinel_deliveries", "Alert deliveries by channel and outcome", ["channel", "status"], registry=r
        )
        self.response_seconds = Histogram(
            "sentinel_response_seconds",
            "Alert reaching the console to acknowledged, dispatched, on scene (first time each)",
            ["site", "responder", "stage"],
            buckets=(15, 30, 60, 120, 180, 300, 600, 1200, 3600),
            registry=r,
        )
        self.dead_letters = Counter("sentinel_dead_letters", "Records dead-lettered, by stage", ["stage"], registry=r)

    def watch_consumer(self, lag_source: Callable[[], dict[tuple[str, int], int]]) -> None:
        self.registry.register(_LagCollector(lag_source))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _LagCollector(Collector):
    def __init__(self, lag_source: Callable[[], dict[tuple[str, int], int]]) -> None:
        self._lag_source = lag_source

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "sentinel_consumer_lag", "Records not yet read, per partition", labels=["topic", "partition"]
        )
        for (topic, partition), lag in sorted(self._lag_source().items()):
            family.add_metric([topic, str(partition)], lag)
        yield family


def faust_lag(app: Any) -> Callable[[], dict[tuple[str, int], int]]:
    """Lag per assigned partition from Faust's monitor (end offset minus the last offset read)."""

    def read() -> dict[tuple[str, int], int]:
        monitor = app.monitor
        ends = monitor.tp_end_offsets or {}
        reads = monitor.tp_read_offsets or {}
        return {(tp.topic, tp.partition): max(0, end - reads.get(tp, -1) - 1) for tp, end in ends.items()}

    return read


ReadinessCheck = Callable[[], Awaitable[str | None]]


class HealthServer:
    """/healthz: the process answers; /readyz: every readiness check passes (503 with reasons otherwise)."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        self.metrics = metrics
        self.host = host
        self.port = port
        self._checks: list[ReadinessCheck] = []
        self._site = WebSite()

    def add_readiness_check(self, check: ReadinessCheck) -> None:
        self._checks.append(check)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        await self._site.start(app, self.host, self.port)
        logger.info("health and metrics on http://%s:%s/{healthz,readyz,metrics}", self.host, self.port)

    async def stop(self) -> None:
        await self._site.stop()

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.Response:
        problems = [p for p in [await check() for check in self._checks] if p]
        if problems:
            return web.json_response({"status": "not ready", "problems": problems}, status=503)
        return web.json_response({"status": "ready"})

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.metrics.exposition(), content_type="text/plain", charset="utf-8")

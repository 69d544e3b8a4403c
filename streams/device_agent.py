"""The devices agent and its timers: camera frames and terminal liveness -> device alerts on the alerts topic.

Thin, like the other agents: the decisions are in `streams.stages.devices` and `detectors.devices`. It reads the
frames topic beside the detect agent (in its own consumer group when it runs as its own process); a record it
cannot decode is the detect agent's to dead-letter, so it is only skipped here. When a rebalance moves a
camera's partition away, this worker stops watching that camera: its silence here is not an outage.
"""

from __future__ import annotations

import logging
import time
from typing import Any, cast

import faust

from alerts.device_liveness import DeviceLiveness
from alerts.models import DeviceAlertEvent
from streams.ops.observability import Metrics
from streams.records import RecordError, decode_frame, encode_model
from streams.stages.devices import DeviceHealthStage

logger = logging.getLogger(__name__)


def register_device_agents(
    app: faust.App,
    frames_topic: Any,
    alerts_topic: Any,
    stage: DeviceHealthStage,
    liveness: DeviceLiveness,
    metrics: Metrics,
) -> None:
    async def send(alerts: list[DeviceAlertEvent]) -> None:
        for alert in alerts:
            metrics.device_alerts.labels(alert.rule, alert.phase.value).inc()
            await alerts_topic.send(key=alert.device_id.encode(), value=encode_model(alert))

    partition_of: dict[str, tuple[str, int]] = {}  # camera -> the frames partition it arrives on

    @app.agent(frames_topic, name="devices")
    async def devices(stream: Any) -> None:
        async for event in stream.events():
            try:
                header, jpeg = decode_frame(event.value)
            except RecordError:
                continue
            partition_of[header.camera_id] = (event.message.topic, event.message.partition)
            try:
                await send(await stage.observe(header, jpeg))
            except Exception:  # health checks must never stop the worker
                logger.exception("device check failed on camera %s frame %s", header.camera_id, header.seq)

    async def on_revoked(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        revoked = args[0] if args else kwargs.get("revoked", ())
        lost = {(tp.topic, tp.partition) for tp in revoked}
        cameras = [camera for camera, where in partition_of.items() if where in lost]
        if cameras:
            logger.info("device watch released for cameras %s (partitions moved)", cameras)
            stage.release(cameras)
            for camera in cameras:
                partition_of.pop(camera, None)

    app.on_partitions_revoked.connect(cast(Any, on_revoked))  # mode's signal types do not admit an async handler

    @app.timer(interval=stage.settings.check_every_s)
    async def device_clock() -> None:
        now = time.time()
        try:
            alerts = await stage.tick(now)
            if stage.watches_terminals:
                alerts += await stage.terminals(await liveness.all(), now)
            await send(alerts)
        except Exception:
            logger.exception("device health check failed")

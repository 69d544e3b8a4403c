"""Faust agents: thin loops that decode a record, call a stage, send the result or dead-letter the record."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import faust

from alerts.device_liveness import DeviceLiveness
from alerts.models import AlertEvent, StreamEnd
from alerts.service import AlertService
from alerts.store import AlertStore
from detectors.types import TrackFrame
from streams.access.agent import AccessServices, register_access_agent
from streams.app import Role
from streams.device_agent import register_device_agents
from streams.ops.observability import Metrics
from streams.ops.retry import retry_transient
from streams.records import (
    DeadLetter,
    RecordError,
    decode_alert_record,
    decode_frame,
    decode_track_frame,
    encode_model,
)
from streams.stages.checkpoints import Position, StageCheckpoints, position_of
from streams.stages.detect import DetectStage, DuplicateRecord, FrameShed
from streams.stages.devices import DeviceHealthStage
from streams.stages.rules import RuleStage
from streams.topics import TopicNames

logger = logging.getLogger(__name__)

R = TypeVar("R")

DETECT_BATCH = 8  # frames handed to the detect stage at once (decode overlaps inference within a batch)
DETECT_BATCH_WITHIN_S = 0.005  # never hold a frame back longer than this waiting for a batch to fill
RULES_BATCH = 32  # track records per rules batch when they queue up (one state checkpoint per camera per batch)
RULES_BATCH_WITHIN_S = 0.002


@dataclass
class WorkerServices:
    """What the agents of one process use; built once by the runner, torn down by it."""

    topics: TopicNames
    store: AlertStore | None = None
    detect: DetectStage | None = None
    rules: RuleStage | None = None
    alerts: AlertService | None = None
    metrics: Metrics = field(default_factory=Metrics)
    checkpoints: dict[Role, StageCheckpoints] = field(default_factory=dict)
    access: AccessServices | None = None
    devices: DeviceHealthStage | None = None


def _raw_topic(app: faust.App, name: str) -> Any:
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


def register_agents(app: faust.App, services: WorkerServices, roles: frozenset[Role]) -> None:
    topics = services.topics
    frames_topic = _raw_topic(app, topics.frames)
    tracks_topic = _raw_topic(app, topics.tracks)
    alerts_topic = _raw_topic(app, topics.alerts)
    dlq_topic = _raw_topic(app, topics.deadletter)
    access_topic = _raw_topic(app, topics.access)
    metrics = services.metrics

    async def dead_letter(stage: str, reason: str, event: Any) -> None:
        message = event.message
        metrics.dead_letters.labels(stage).inc()
        camera = event.key.decode(errors="replace") if isinstance(event.key, bytes) else None
        logger.warning(
            "dead-lettering %s record %s/%s@%s: %s",
            stage,
            message.topic,
            message.partition,
            message.offset,
            reason,
            extra={"camera_id": camera, "stage": stage},
        )
        record = DeadLetter.of(stage, reason, message.topic, event.value, event.key, message.partition, message.offset)
        await dlq_topic.send(key=event.key, value=encode_model(record))

    async def decoded(
        events: list[Any],
        stage: str,
        decode: Callable[[bytes | None], R],
        camera_of: Callable[[R], str],
        checkpoints: StageCheckpoints | None,
    ) -> list[tuple[Any, R]]:
        """A batch decoded, bad records dead-lettered, and every camera's saved state loaded before any change."""
        batch = []
        for event in events:
            try:
                record = decode(event.value)
            except RecordError as exc:
                await dead_letter(stage, str(exc), event)
                continue
            if checkpoints is not None:
                await checkpoints.prepare(camera_of(record), position_of(event))
            batch.append((event, record))
        return batch

    if Role.DETECT in roles and services.detect is not None:
        detect_stage = services.detect
        detect_checkpoints = services.checkpoints.get(Role.DETECT)

        @app.agent(frames_topic, name="detect")
        async def detect(stream: Any) -> None:
            # Micro-batches let the stage decode the next JPEGs while the model works on the current one.
            async for events in stream.take_events(DETECT_BATCH, within=DETECT_BATCH_WITHIN_S):
                batch = await decoded(events, "detect", decode_frame, lambda f: f[0].camera_id, detect_checkpoints)
                results = await detect_stage.process_many([frame for _, frame in batch])
                sent: list[Awaitable[Any]] = []
                for (event, (header, _)), result in zip(batch, results, strict=True):
                    if isinstance(result, FrameShed):
                        metrics.frames_shed.labels(header.camera_id).inc()
                    elif isinstance(result, DuplicateRecord):
                        logger.info("detect skipped a repeat: %s", result)
                    elif isinstance(result, RecordError):
                        await dead_letter("detect", str(result), event)
                    elif isinstance(result, Exception):  # the worker must keep going; the record is kept
                        logger.error(
                            "detect failed on %s@%s: %r", event.message.partition, event.message.offset, result
                        )
                        await dead_letter("detect", f"{type(result).__name__}: {result}", event)
                    else:
                        metrics.frames_processed.labels(result.camera_id).inc()
                        sent.append(await tracks_topic.send(key=result.camera_id.encode(), value=encode_model(result)))
                if detect_checkpoints is not None:
                    await asyncio.gather(*sent)  # outputs acknowledged before the state that reflects them is saved
                    last = {header.camera_id: position_of(event) for event, (header, _) in batch}
                    for camera_id, position in last.items():
                        await detect_checkpoints.save(camera_id, position)

    if Role.RULES in roles and services.rules is not None:
        rule_stage = services.rules
        rules_checkpoints = services.checkpoints.get(Role.RULES)

        @app.agent(tracks_topic, name="rules")
        async def rules(stream: Any) -> None:
            # Micro-batches: one checkpoint per camera per batch instead of per record when records queue up;
            # at live pace a batch is one record. Faust acks a batch only after this body has finished with it.
            async for events in stream.take_events(RULES_BATCH, within=RULES_BATCH_WITHIN_S):
                batch = await decoded(events, "rules", decode_track_frame, lambda f: f.camera_id, rules_checkpoints)
                sent: list[Awaitable[Any]] = []
                touched: dict[str, Position] = {}
                for event, frame in batch:
                    outputs = await apply_rules(event, frame)
                    touched[frame.camera_id] = position_of(event)
                    sent += [await alerts_topic.send(key=r.camera_id.encode(), value=encode_model(r)) for r in outputs]
                if rules_checkpoints is not None:
                    await asyncio.gather(*sent)  # alerts acknowledged before the state that raised them is saved
                    for camera_id, position in touched.items():
                        await rules_checkpoints.save(camera_id, position)

        async def apply_rules(event: Any, frame: TrackFrame) -> list[AlertEvent | StreamEnd]:
            try:
                return await rule_stage.process_linked(frame)
            except DuplicateRecord as exc:
                logger.info("rules skipped a repeat: %s", exc)
            except RecordError as exc:
                await dead_letter("rules", str(exc), event)
            except Exception as exc:
                logger.exception("rules failed on %s@%s", event.message.partition, event.message.offset)
                await dead_letter("rules", f"{type(exc).__name__}: {exc}", event)
            return []

    if Role.ACCESS in roles and services.access is not None:
        register_access_agent(app, access_topic, alerts_topic, services.access, metrics, dead_letter)

    if Role.DEVICES in roles and services.devices is not None and services.store is not None:
        liveness = DeviceLiveness(services.store.redis, services.store.prefix)
        register_device_agents(app, frames_topic, alerts_topic, services.devices, liveness, metrics)

    if Role.DELIVER in roles and services.alerts is not None and services.store is not None:
        alert_service, store = services.alerts, services.store

        @app.agent(alerts_topic, name="deliver")
        async def deliver(stream: Any) -> None:
            async for event in stream.events():
                try:
                    record = decode_alert_record(event.value)
                    if isinstance(record, StreamEnd):
                        await retry_transient(partial(store.mark_stream_done, record.stream_id), "stream end")
                    elif await retry_transient(partial(alert_service.handle, record), f"alert {record.event_id}"):
                        metrics.alerts.labels(record.rule, record.severity.value, record.phase.value).inc()
                except RecordError as exc:
                    await dead_letter("deliver", str(exc), event)
                except Exception as exc:
                    logger.exception("deliver failed on %s@%s", event.message.partition, event.message.offset)
                    await dead_letter("deliver", f"{type(exc).__name__}: {exc}", event)

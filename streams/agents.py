"""Faust agents: thin loops that decode a record, call a stage, send the result or dead-letter the record."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import faust

from alerts.models import StreamEnd
from alerts.service import AlertService
from alerts.store import AlertStore
from streams.app import Role
from streams.observability import Metrics
from streams.records import (
    DeadLetter,
    RecordError,
    decode_alert_record,
    decode_frame,
    decode_track_frame,
    encode_model,
)
from streams.retry import retry_transient
from streams.stages import DetectStage, RuleStage
from streams.topics import TopicNames

logger = logging.getLogger(__name__)

DETECT_BATCH = 8  # frames handed to the detect stage at once (decode overlaps inference within a batch)
DETECT_BATCH_WITHIN_S = 0.005  # never hold a frame back longer than this waiting for a batch to fill


@dataclass
class WorkerServices:
    """What the agents of one process use; built once by the runner, torn down by it."""

    topics: TopicNames
    store: AlertStore | None = None
    detect: DetectStage | None = None
    rules: RuleStage | None = None
    alerts: AlertService | None = None
    metrics: Metrics = field(default_factory=Metrics)


def _raw_topic(app: faust.App, name: str) -> Any:
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


def register_agents(app: faust.App, services: WorkerServices, roles: frozenset[Role]) -> None:
    topics = services.topics
    frames_topic = _raw_topic(app, topics.frames)
    tracks_topic = _raw_topic(app, topics.tracks)
    alerts_topic = _raw_topic(app, topics.alerts)
    dlq_topic = _raw_topic(app, topics.deadletter)
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

    if Role.DETECT in roles and services.detect is not None:
        detect_stage = services.detect

        @app.agent(frames_topic, name="detect")
        async def detect(stream: Any) -> None:
            # Micro-batches let the stage decode the next JPEGs while the model works on the current one.
            async for events in stream.take_events(DETECT_BATCH, within=DETECT_BATCH_WITHIN_S):
                batch = []
                for event in events:
                    try:
                        batch.append((event, decode_frame(event.value)))
                    except RecordError as exc:
                        await dead_letter("detect", str(exc), event)
                results = await detect_stage.process_many([frame for _, frame in batch])
                for (event, _), result in zip(batch, results, strict=True):
                    if isinstance(result, RecordError):
                        await dead_letter("detect", str(result), event)
                    elif isinstance(result, Exception):  # the worker must keep going; the record is kept
                        logger.error(
                            "detect failed on %s@%s: %r", event.message.partition, event.message.offset, result
                        )
                        await dead_letter("detect", f"{type(result).__name__}: {result}", event)
                    else:
                        metrics.frames_processed.labels(result.camera_id).inc()
                        await tracks_topic.send(key=result.camera_id.encode(), value=encode_model(result))

    if Role.RULES in roles and services.rules is not None:
        rule_stage = services.rules

        @app.agent(tracks_topic, name="rules")
        async def rules(stream: Any) -> None:
            async for event in stream.events():
                try:
                    outputs = rule_stage.process(decode_track_frame(event.value))
                except RecordError as exc:
                    await dead_letter("rules", str(exc), event)
                    continue
                except Exception as exc:
                    logger.exception("rules failed on %s@%s", event.message.partition, event.message.offset)
                    await dead_letter("rules", f"{type(exc).__name__}: {exc}", event)
                    continue
                for record in outputs:
                    await alerts_topic.send(key=record.camera_id.encode(), value=encode_model(record))

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

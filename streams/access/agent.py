"""The access agent: door events -> watch-list lookup -> entry rules -> entry alerts, risky-entry ledger, links.

Thin, like the other agents: decoding, Redis lookups and sends here; the decisions in detectors.entry_rules.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import faust

from alerts.access.entry_ledger import EntryLedger
from alerts.access.watchlist import WatchList
from alerts.models import StreamEnd
from alerts.store import AlertStore
from detectors.access.entry_rules import EntryRules, WatchHit
from detectors.access.types import AccessEvent, AccessStreamEnd
from streams.ops.observability import Metrics
from streams.records import RecordError, decode_access_record, encode_model
from streams.stages.assembly import entry_alert_from_finding
from streams.stages.checkpoints import StageCheckpoints, position_of
from streams.stages.linking import AlertLinker

logger = logging.getLogger(__name__)

ACCESS_STREAM_CAMERA = "access"  # camera_id of the end-of-stream markers a door-log replay gets back

DeadLetterFn = Callable[[str, str, Any], Awaitable[None]]


@dataclass
class AccessServices:
    site_id: str
    store: AlertStore
    watchlist: WatchList
    ledger: EntryLedger
    rules: EntryRules
    linker: AlertLinker
    checkpoints: StageCheckpoints | None = None  # the entry rules' per-door state, saved after each event


def register_access_agent(
    app: faust.App,
    access_topic: Any,
    alerts_topic: Any,
    services: AccessServices,
    metrics: Metrics,
    dead_letter: DeadLetterFn,
) -> None:
    @app.agent(access_topic, name="access")
    async def access(stream: Any) -> None:
        async for event in stream.events():
            try:
                record = decode_access_record(event.value)
            except RecordError as exc:
                await dead_letter("access", str(exc), event)
                continue
            key = (event.key or b"").decode(errors="replace") or getattr(record, "door_id", "access")
            if services.checkpoints is not None:
                await services.checkpoints.prepare(key, position_of(event))
            try:
                if isinstance(record, AccessStreamEnd):
                    # same key as the log's events and their alerts: the marker lands after them, in order
                    end = StreamEnd(camera_id=ACCESS_STREAM_CAMERA, stream_id=record.stream_id, ts=record.ts)
                    await alerts_topic.send(key=event.key or b"access", value=encode_model(end))
                    continue
                sent = await _handle(record, event)
                if services.checkpoints is not None:
                    await asyncio.gather(*sent)  # alerts acknowledged before the state that raised them is saved
                    await services.checkpoints.save(key, position_of(event))
            except Exception as exc:  # the worker must keep going; the record is kept
                logger.exception("access failed on %s@%s", event.message.partition, event.message.offset)
                await dead_letter("access", f"{type(exc).__name__}: {exc}", event)

    async def _handle(record: AccessEvent, event: Any) -> list[Awaitable[Any]]:
        metrics.access_events.labels(record.door_id, record.result.value).inc()
        entry = await services.watchlist.lookup(record.person.all(), at=record.ts)
        hit = None
        if entry is not None:
            hit = WatchHit(tier=entry.tier, label=entry.label, reason=entry.reason, matched_by=entry.kind)
        outcome = services.rules.observe(record, hit)
        if outcome.duplicate:
            logger.info("access event %s seen before at door %s; skipped", record.event_id, record.door_id)
            return []
        if outcome.too_late_by_s is not None:
            reason = (
                f"access event {outcome.too_late_by_s:.0f} s older than the newest at door {record.door_id}: beyond "
                "access.rules.allowed_lateness_s"
            )
            await dead_letter("access", reason, event)
            return []
        sent: list[Awaitable[Any]] = []
        for finding in outcome.findings:  # keyed like the access record: the door live, the log's stream in a replay
            alert = entry_alert_from_finding(services.site_id, finding, record.picture_key)
            sent.append(await alerts_topic.send(key=event.key or record.door_id.encode(), value=encode_model(alert)))
        if outcome.resident_home:
            await services.ledger.add_resident(services.site_id, record.door_id, record.event_id, record.ts)
        if outcome.risky is not None:
            await services.ledger.add(services.site_id, outcome.risky)
            for update in await services.linker.relink_open_alerts(outcome.risky, services.store):
                sent.append(await alerts_topic.send(key=update.camera_id.encode(), value=encode_model(update)))
        return sent

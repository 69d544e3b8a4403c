"""The delivery stage: store each alert event once, attach the evidence snapshot, fan out to channels."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from functools import partial

from alerts.delivery.channels import Channel, DeliveryError, Superseded, may_send
from alerts.delivery.claims import Claim, DeliveryClaims, Verdict
from alerts.delivery.push import should_push
from alerts.evidence.clip_maker import ClipMaker
from alerts.evidence.device_snapshot import render_device_snapshot
from alerts.evidence.snapshot import render_entry_snapshot, render_snapshot
from alerts.lifecycle import LifecycleStore
from alerts.models import Alert, AlertEvent, AlertPhase, EntryAlertEvent, Severity
from alerts.store import AlertStore

logger = logging.getLogger(__name__)


class AlertService:
    def __init__(
        self,
        store: AlertStore,
        channels: list[Channel],
        snapshot_quality: int = 85,
        on_delivery: Callable[[str, str], None] | None = None,
        lifecycle: LifecycleStore | None = None,
        clips: ClipMaker | None = None,
        claims: DeliveryClaims | None = None,
    ) -> None:
        self.store = store
        self.channels = channels
        self.snapshot_quality = snapshot_quality
        self._on_delivery = on_delivery  # (channel name, "delivered" | "failed"), e.g. for metrics
        self.lifecycle = lifecycle
        self.clips = clips
        self.claims = claims or DeliveryClaims(store)

    async def handle(self, event: Alert) -> bool:
        """Process one event; returns False when it had been handled before (or by another worker) and nothing was
        done here.

        Safe to call again after a failure at any point: storage is atomic and idempotent, each channel that got
        the step is recorded, and the step is marked delivered only at the end, so a retry finishes what was left
        (at-least-once towards channels, which get an Idempotency-Key). The step is sent under a delivery claim
        (alerts/delivery/claims.py): a worker that lost it, frozen past its group session, sends nothing more.
        """
        outcome = await self.store.record(event)
        if not outcome.is_new and await self.store.is_delivered(event.event_id):
            logger.debug("alert event %s already handled", event.event_id)
            return False
        claim = await self.claims.acquire(event.event_id)
        if claim is None:
            return False
        async with claim.held():
            if event.phase is AlertPhase.START:
                await self._attach_snapshot(event)
                if self.lifecycle is not None and not outcome.suppressed:
                    await self.lifecycle.open(event.alert_id)
            if not outcome.suppressed:
                chosen = [
                    channel
                    for channel in self.channels
                    if channel.wants(event) and await self._may_push(channel, event)
                ]
                await asyncio.gather(*(self.deliver(channel, event, claim) for channel in chosen))
                if await claim.check() is not Verdict.HELD:
                    return False  # another worker has the step: it sends the rest and makes the clip
                if self.clips is not None and isinstance(event, AlertEvent):  # after the pushes, which link to it
                    await self.clips.make(event)
            return await claim.finish()

    async def _may_push(self, channel: Channel, event: Alert) -> bool:
        """Phone channels (those with a push policy) hear of an incident once, and again only if it gets worse."""
        policy = channel.push_policy
        if policy is None:
            return True
        last = await self.store.pushed_severity(event.alert_id, channel.name)
        return should_push(event, policy, Severity(last) if last else None)

    async def _attach_snapshot(self, event: Alert) -> None:
        loop = asyncio.get_running_loop()
        if isinstance(event, AlertEvent):
            frame = await self.store.get_frame(event.camera_id, event.stream_id, event.frame_seq)
            jpeg = await loop.run_in_executor(None, render_snapshot, event, frame, self.snapshot_quality)
        elif isinstance(event, EntryAlertEvent):
            picture = await self.store.get_access_picture(event.picture_key) if event.picture_key else None
            jpeg = await loop.run_in_executor(None, render_entry_snapshot, event, picture, self.snapshot_quality)
        else:
            seq = event.frame_seq
            frame = await self.store.get_frame(event.device_id, event.stream_id, seq) if seq is not None else None
            jpeg = await loop.run_in_executor(None, render_device_snapshot, event, frame, self.snapshot_quality)
        await self.store.put_snapshot(event.alert_id, jpeg)

    async def deliver(self, channel: Channel, event: Alert, claim: Claim | None = None) -> None:
        """Send one step to one channel, with the channel's retries, and log the attempt.

        Under a claim, the channel is sent to only while the claim is this worker's and the channel does not have
        the step yet; the channel checks again before each attempt, and the send is recorded as soon as it lands."""
        if claim is not None:
            verdict = await claim.check(channel.name)
            if verdict is not Verdict.HELD:
                logger.info("step %s not sent to %s: %s", event.event_id, channel.name, verdict.value)
                return
        started = time.time()
        entry: dict[str, object] = {"channel": channel.name, "event_id": event.event_id, "at": started}
        guard = may_send.set(partial(claim.may_send, channel.name) if claim is not None else None)
        try:
            entry["attempts"] = await channel.send(event)
            if claim is not None:
                await claim.mark_sent(channel.name)
            entry["status"] = "delivered"
            if channel.push_policy is not None:
                await self.store.mark_pushed(event.alert_id, channel.name, event.severity.value)
        except Superseded as exc:
            logger.warning("step %s not sent to %s: %s", event.event_id, channel.name, exc)
            return
        except DeliveryError as exc:
            entry["status"] = "failed"
            entry["error"] = str(exc)
            logger.error(
                "alert %s not delivered to %s: %s",
                event.alert_id,
                channel.name,
                exc,
                extra={"alert_id": event.alert_id, "camera_id": event.source_id},
            )
        finally:
            may_send.reset(guard)
        entry["latency_ms"] = round((time.time() - started) * 1000, 1)
        if self._on_delivery is not None:
            self._on_delivery(channel.name, str(entry["status"]))
        await self.store.log_delivery(event.alert_id, entry)

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()

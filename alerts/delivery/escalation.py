"""Escalation: an alert nobody acknowledges is re-sent to the next contact (the duty desk, then its chief).

`due_level` is the rule, pure and on the times it is given; `Escalator` checks the unacknowledged alerts every
few seconds on the wall clock (an officer's reaction time is wall-clock time, also for replayed alerts).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from alerts.config import EscalationConfig
from alerts.delivery.channels import Channel
from alerts.lifecycle import AlertState, LifecycleState, LifecycleStore
from alerts.models import Alert, AlertPhase, Severity
from alerts.store import AlertStore

logger = logging.getLogger(__name__)


def due_level(state: LifecycleState, severity: Severity, now: float, config: EscalationConfig) -> int | None:
    """Index of the escalation level to send now, or None: level k is due k+1 periods after the alert opened."""
    wait = config.ack_within_s.get(severity)
    if not wait or state.state is not AlertState.NEW or state.escalations >= len(config.levels):
        return None
    return state.escalations if now >= state.updated_at + wait * (state.escalations + 1) else None


def escalated(event: Alert, level: int, config: EscalationConfig, waited_s: float) -> Alert:
    contact = config.levels[level].name
    message = f"NOT ACKNOWLEDGED for {waited_s / 60:.0f} min, escalated to {contact}: {event.message}"
    return event.model_copy(
        update={"phase": AlertPhase.UPDATE, "event_id": f"{event.alert_id}:escalate:{level}", "message": message}
    )


class Escalator:
    def __init__(
        self,
        lifecycle: LifecycleStore,
        store: AlertStore,
        channels: dict[str, Channel],
        config: EscalationConfig,
        deliver: Callable[[Channel, Alert], Awaitable[None]],
    ) -> None:
        self.lifecycle = lifecycle
        self.store = store
        self.channels = channels
        self.config = config
        self.deliver = deliver  # the delivery stage's own send: retries and the delivery log

    async def check_once(self, now: float | None = None) -> list[Alert]:
        now = time.time() if now is None else now
        sent = []
        for state in await self.lifecycle.unacknowledged():
            event = await self.store.get(state.alert_id)
            if event is None:
                continue
            level = due_level(state, event.severity, now, self.config)
            if level is None or await self.lifecycle.count_escalation(state.alert_id) is None:
                continue
            step = escalated(event, level, self.config, now - state.updated_at)
            targets = [self.channels[name] for name in self.config.levels[level].channels if name in self.channels]
            logger.warning(
                "alert %s not acknowledged: escalating to %s",
                event.alert_id,
                self.config.levels[level].name,
                extra={"alert_id": event.alert_id},
            )
            await asyncio.gather(*(self.deliver(channel, step) for channel in targets))
            sent.append(step)
        return sent

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.check_once()
            except Exception as exc:  # Redis down: try again next round, never stop escalating for good
                logger.warning("escalation check failed: %s", exc)
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.config.check_interval_s)
            except TimeoutError:
                pass

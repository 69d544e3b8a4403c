"""Links car-park alerts and risky door entries in both directions, through the entry ledger in Redis.

Forward: a car-park alert step is linked to risky entries already recorded at doors leading to its camera.
Backward: a risky entry that arrives late (device clock, network, or replay order) re-links open alerts that
started after it, with an extra update step, so the final state does not depend on which record came first.
"""

from __future__ import annotations

import logging

from alerts.access.entry_ledger import EntryLedger
from alerts.models import AlertEvent, AlertPhase, LinkedEntry
from alerts.store import AlertStore
from detectors.access.correlation import Correlation, correlate
from streams.config import SiteConfig
from streams.stages.assembly import DoorLinks, relinked_update

logger = logging.getLogger(__name__)


class AlertLinker:
    def __init__(self, ledger: EntryLedger, config: SiteConfig) -> None:
        self.ledger = ledger
        self.config = config
        self.access = config.access

    @property
    def enabled(self) -> bool:
        return self.access.correlation.enabled and bool(self.access.doors)

    async def _correlation(self, alert: AlertEvent, doors: tuple[str, ...]) -> Correlation | None:
        window = self.access.correlation
        entries = await self.ledger.between(
            self.config.site_id, doors, alert.started_at - window.window_s, alert.started_at + window.slack_s
        )
        return correlate(alert.started_at, entries, window)

    async def links_for(self, alert: AlertEvent) -> DoorLinks | None:
        """The residents' entries and risky entries before this alert step; None when no door leads to its camera."""
        doors = self.access.doors_leading_to(alert.camera_id)
        if not self.enabled or not doors:
            return None
        window = self.access.correlation
        residents = await self.ledger.residents_between(
            self.config.site_id, doors, alert.started_at - window.resident_window_s, alert.started_at + window.slack_s
        )
        correlation = await self._correlation(alert, doors)
        if correlation is not None:
            logger.info(
                "alert %s linked to %d risky entr(y/ies), tier %s",
                alert.alert_id,
                len(correlation.entries),
                correlation.tier,
                extra={"alert_id": alert.alert_id, "camera_id": alert.camera_id},
            )
        return DoorLinks(residents, correlation)

    async def relink_open_alerts(self, entry: LinkedEntry, store: AlertStore) -> list[AlertEvent]:
        """Update steps for open car-park alerts that this (late) entry now links to."""
        if not self.enabled:
            return []
        cameras = self.access.cameras_behind(entry.door_id, tuple(c.id for c in self.config.cameras))
        window = self.access.correlation
        updates = []
        for camera_id in cameras:
            ids = await store.list_ids(
                camera_id=camera_id, since=entry.ts - window.slack_s, until=entry.ts + window.window_s, limit=50
            )
            for alert_id in ids:
                latest = await store.get(alert_id)
                if not isinstance(latest, AlertEvent) or latest.phase is AlertPhase.END:
                    continue
                if any(linked.event_id == entry.event_id for linked in latest.linked_entries):
                    continue
                correlation = await self._correlation(latest, self.access.doors_leading_to(camera_id))
                if correlation is not None and correlation.entries != latest.linked_entries:
                    updates.append(relinked_update(latest, correlation, self.config))
        return updates

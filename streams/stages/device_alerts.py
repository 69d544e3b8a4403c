"""Device findings -> `DeviceAlertEvent`s: stable ids, the configured tier raised by night hours and by a risky
door entry linked to the camera, and the officer's message.

A camera covered at 01:00 just after a red-tier person came in through a door leading to it is red even where
the plain rule is yellow: the same schedules (`risk.schedules`, or the camera's own) and the same entry ledger
as car-park alerts decide it.
"""

from __future__ import annotations

import hashlib
import logging

from alerts.access.entry_ledger import EntryLedger
from alerts.models import AlertPhase, DeviceAlertEvent, Severity
from detectors.access.correlation import Correlation, correlate
from detectors.devices.findings import DeviceFinding
from streams.config import SiteConfig

logger = logging.getLogger(__name__)

_TIERS = ("green", "yellow", "red")


def device_alert_id(site_id: str, finding: DeviceFinding) -> str:
    """From the device, the rule and when the bad state began: workers and replays agree on it."""
    basis = f"{site_id}|device|{finding.rule.value}|{finding.device_id}|{finding.started_at:.3f}"
    return hashlib.sha256(basis.encode()).hexdigest()[:20]


def device_alert(
    config: SiteConfig,
    finding: DeviceFinding,
    stream_id: str,
    frame_seq: int | None = None,
    correlation: Correlation | None = None,
) -> DeviceAlertEvent:
    tier, reasons = device_tier(config, finding, correlation)
    alert_id = device_alert_id(config.site_id, finding)
    phase = AlertPhase(finding.phase.value)
    camera = config.camera(finding.device_id) if finding.device_kind == "camera" else None
    message = finding.reason if phase is not AlertPhase.END else f"Ended: {finding.reason}"
    if correlation is not None and correlation.entries and phase is not AlertPhase.END:
        message += f" | linked: {correlation.entries[0].reason}"
    return DeviceAlertEvent(
        alert_id=alert_id,
        event_id=f"{alert_id}:{phase.value}:{finding.ts:.3f}",
        phase=phase,
        rule=finding.rule.value,
        severity=Severity(tier),
        site_id=config.site_id,
        stream_id=stream_id,
        started_at=finding.started_at,
        ts=finding.ts,
        message=message,
        risk_tier=correlation.tier if correlation is not None else None,
        linked_entries=correlation.entries if correlation is not None else (),
        device_kind=finding.device_kind,
        device_id=finding.device_id,
        zone=camera.zone if camera is not None else None,
        measures=finding.measures,
        risk_reasons=tuple(reasons),
        frame_seq=frame_seq,
    )


def device_tier(config: SiteConfig, finding: DeviceFinding, correlation: Correlation | None) -> tuple[str, list[str]]:
    """The configured tier, one up in scheduled hours that add risk, red with a linked red-tier entry."""
    base = getattr(config.devices.severity, finding.rule.value)
    level = _TIERS.index(base)
    reasons = [f"{base}: {finding.rule.value.replace('_', ' ')}"]
    camera = config.camera(finding.device_id) if finding.device_kind == "camera" else None
    schedules = camera.schedules if camera is not None and camera.schedules is not None else config.risk.schedules
    for window in schedules:
        if window.add > 0 and window.contains(finding.started_at, config.risk.timezone):
            level += 1
            reasons.append(f"+1 tier: {window.name} ({window.start:%H:%M}-{window.end:%H:%M})")
            break
    if correlation is not None and correlation.tier == "red":
        level = 2
        reasons.append("red: linked to a red-tier door entry")
    elif correlation is not None:
        level += 1
        reasons.append("+1 tier: linked to a risky door entry")
    return _TIERS[min(level, 2)], reasons


class DeviceLinker:
    """Risky door entries shortly before a camera went bad, through the doors leading to it (the entry ledger)."""

    def __init__(self, ledger: EntryLedger, config: SiteConfig) -> None:
        self.ledger = ledger
        self.config = config

    async def correlation(self, finding: DeviceFinding) -> Correlation | None:
        access = self.config.access
        if finding.device_kind != "camera" or not access.correlation.enabled:
            return None
        doors = access.doors_leading_to(finding.device_id)
        if not doors:
            return None
        window = access.correlation
        since, until = finding.started_at - window.window_s, finding.started_at + window.slack_s
        try:
            entries = await self.ledger.between(self.config.site_id, doors, since, until)
        except Exception as exc:  # an unlinked device alert beats a lost one
            logger.warning("device alert on %s sent unlinked: entry ledger unavailable (%s)", finding.device_id, exc)
            return None
        return correlate(finding.started_at, entries, window)

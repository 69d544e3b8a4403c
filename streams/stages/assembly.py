"""Turns detector findings (car-park incidents, entry findings, correlations) into alert events: stable ids,
site, severity and a human message.

A car-park alert step is assembled once (`assemble`): door links applied, the message written from the step's
structured fields (never edited as text), the risk scored."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.models import AlertEvent, AlertPhase, EntryAlertEvent, Severity
from detectors.access.correlation import Correlation
from detectors.access.entry_rules import EntryFinding
from detectors.behaviour.incidents import LoiterIncidentEvent
from detectors.behaviour.risk import IncidentFacts, assess
from detectors.behaviour.zones import contains
from streams.config import CameraConfig, SiteConfig, ZoneConfig


def alert_id_for(site_id: str, incident: LoiterIncidentEvent) -> str:
    """Derived from what identifies the incident, so a replay or a redelivery yields the same id."""
    basis = "|".join(
        str(part)
        for part in (
            site_id,
            incident.camera_id,
            incident.stream_id,
            incident.rule,
            incident.person_track_id,
            incident.vehicle_track_id,
            f"{incident.started_at:.3f}",
        )
    )
    return hashlib.sha256(basis.encode()).hexdigest()[:20]


def alert_from_incident(site_id: str, incident: LoiterIncidentEvent) -> AlertEvent:
    """The alert step of an incident, before door links and scoring (`assemble` adds both)."""
    alert_id = alert_id_for(site_id, incident)
    phase = AlertPhase(incident.phase.value)
    alert = AlertEvent(
        alert_id=alert_id,
        event_id=f"{alert_id}:{phase.value}:{incident.ts:.3f}",
        phase=phase,
        rule=incident.rule,
        site_id=site_id,
        camera_id=incident.camera_id,
        stream_id=incident.stream_id,
        started_at=incident.started_at,
        ts=incident.ts,
        dwell_s=incident.dwell_s,
        person_track_id=incident.person_track_id,
        vehicle_track_id=incident.vehicle_track_id,
        person_box=incident.person_box.corners(),
        vehicle_box=incident.vehicle_box.corners(),
        frame_seq=incident.frame_seq,
        frame_width=incident.frame_width,
        frame_height=incident.frame_height,
        end_reason=incident.end_reason.value if incident.end_reason else None,
        message="",
        vehicles_visited=incident.vehicles_visited,
        hand_at_door_s=incident.hand_at_door_s,
        owner_evidence=incident.owner_evidence,
        group_track_ids=incident.group_track_ids,
    )
    return alert.model_copy(update={"message": alert_message(alert)})


def alert_message(alert: AlertEvent, timezone: str = "UTC") -> str:
    """What the officer reads, written from the step's fields: the rule's sentence, then the door link if any."""
    base = _casing_message(alert) if alert.rule == "casing" else _loiter_message(alert)
    if not alert.linked_entries:
        return base
    zone = ZoneInfo(timezone)
    first = alert.linked_entries[0]
    when = datetime.fromtimestamp(first.ts, zone).strftime("%H:%M")
    since = datetime.fromtimestamp(alert.started_at, zone).strftime("%H:%M")
    more = f" (+{len(alert.linked_entries) - 1} more)" if len(alert.linked_entries) > 1 else ""
    return f"{base} | linked: {first.reason} at {when}{more}; at the car since {since}, {alert.dwell_s:.0f} s"


def _loiter_message(alert: AlertEvent) -> str:
    who = f"person #{alert.person_track_id}"
    if alert.group_track_ids:
        who = f"group of {len(alert.group_track_ids)} ({', '.join(f'#{p}' for p in alert.group_track_ids)})"
    if alert.phase is AlertPhase.END:
        return (
            f"Ended ({alert.end_reason or 'ended'}): {who} stayed {alert.dwell_s:.0f} s "
            f"at parked vehicle #{alert.vehicle_track_id}"
        )
    return (
        f"{who[0].upper()}{who[1:]} at parked vehicle #{alert.vehicle_track_id} "
        f"for {alert.dwell_s:.0f} s on camera {alert.camera_id}"
    )


def _casing_message(alert: AlertEvent) -> str:
    cars = ", ".join(f"#{v}" for v in alert.vehicles_visited)
    count = len(alert.vehicles_visited)
    if alert.phase is AlertPhase.END:
        return f"Ended: person #{alert.person_track_id} stopped at {count} parked cars ({cars})"
    return (
        f"Person #{alert.person_track_id} stopped at {count} parked cars in {alert.dwell_s:.0f} s "
        f"({cars}) on camera {alert.camera_id}"
    )


@dataclass(frozen=True)
class DoorLinks:
    """What the entry ledger says about a car-park alert step: how many residents entered through the doors to
    its camera shortly before, and the risky entries it links to (if any)."""

    residents: int
    correlation: Correlation | None = None


def assemble(alert: AlertEvent, config: SiteConfig, links: DoorLinks | None = None) -> AlertEvent:
    """The alert step as it is sent: door links applied, message written from its fields, risk scored, once."""
    if links is not None:
        update: dict[str, object] = {"resident_entries": links.residents}
        if links.correlation is not None:
            update |= {"risk_tier": links.correlation.tier, "linked_entries": links.correlation.entries}
        alert = alert.model_copy(update=update)
    alert = alert.model_copy(update={"message": alert_message(alert, config.access.rules.timezone)})
    return risk_scored(alert, config)


def risk_scored(alert: AlertEvent, config: SiteConfig) -> AlertEvent:
    """The alert with its risk score, the reasons for it, the severity tier it gives, and its zone: the named
    zone the person stands in, else the camera's own label."""
    camera = config.camera(alert.camera_id)
    loiter = config.loiter_for(alert.camera_id)
    facts = IncidentFacts(
        rule=alert.rule,
        started_at=alert.started_at,
        dwell_s=alert.dwell_s,
        dwell_threshold_s=loiter.dwell_s,
        cars=len(alert.vehicles_visited),
        min_cars=config.casing.min_cars,
        linked_tiers=tuple(entry.risk_tier for entry in alert.linked_entries),
        resident_entries=alert.resident_entries,
        left_with_car=alert.end_reason == "vehicle_moved",
        hand_at_door_s=alert.hand_at_door_s,
        hand_min_s=loiter.hand_min_s,
        owner_evidence=alert.owner_evidence,
    )
    zone = zone_of(alert, camera)
    schedules = camera.schedules if camera is not None else None
    if zone is not None and zone.schedules is not None:
        schedules = zone.schedules
    risk = assess(facts, config.risk, schedules)
    label = zone.name if zone is not None else camera.zone if camera is not None else None
    update = {"risk_score": risk.score, "risk_reasons": risk.reasons, "severity": Severity(risk.tier), "zone": label}
    return alert.model_copy(update=update)


def zone_of(alert: AlertEvent, camera: CameraConfig | None) -> ZoneConfig | None:
    """The camera's named zone holding the person's foot point, if any."""
    if camera is None or not camera.zones:
        return None
    x1, _, x2, y2 = alert.person_box
    foot = ((x1 + x2) / 2 / alert.frame_width, y2 / alert.frame_height)
    return next((zone for zone in camera.zones if contains(zone.polygon, foot)), None)


def entry_alert_from_finding(site_id: str, finding: EntryFinding, picture_key: str | None) -> EntryAlertEvent:
    """An entry alert step; its id comes from the rule and the incident key, so repeats and replays agree."""
    event = finding.event
    alert_id = hashlib.sha256(f"{site_id}|{finding.rule}|{finding.key}".encode()).hexdigest()[:20]
    phase = AlertPhase(finding.phase)
    return EntryAlertEvent(
        alert_id=alert_id,
        event_id=f"{alert_id}:{phase.value}:{event.ts:.3f}:{event.event_id[:8]}",
        phase=phase,
        rule=finding.rule,
        severity=Severity(finding.tier),
        site_id=site_id,
        stream_id=event.stream_id,
        started_at=finding.started_at,
        ts=event.ts,
        message=finding.reason,
        risk_tier=finding.tier,
        door_id=event.door_id,
        door_name=event.door_name,
        device_id=event.device_id,
        attempts=finding.attempts,
        picture_key=picture_key,
    )


def relinked_update(alert: AlertEvent, correlation: Correlation, config: SiteConfig) -> AlertEvent:
    """An extra update step for an open alert that a late-arriving risky entry links to."""
    linked = assemble(alert, config, DoorLinks(alert.resident_entries, correlation))
    digest = hashlib.sha256("|".join(e.event_id for e in correlation.entries).encode()).hexdigest()[:8]
    return linked.model_copy(
        update={"phase": AlertPhase.UPDATE, "event_id": f"{alert.alert_id}:update:{alert.ts:.3f}:link-{digest}"}
    )

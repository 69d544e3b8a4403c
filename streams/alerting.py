"""Turns a detector incident into an alert event: stable ids, site, severity and a human message."""

from __future__ import annotations

import hashlib

from alerts.models import AlertEvent, AlertPhase, Severity
from detectors.incidents import LoiterIncidentEvent


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
    alert_id = alert_id_for(site_id, incident)
    phase = AlertPhase(incident.phase.value)
    if phase is AlertPhase.END:
        reason = incident.end_reason.value if incident.end_reason else "ended"
        message = (
            f"Ended ({reason}): person #{incident.person_track_id} stayed {incident.dwell_s:.0f} s "
            f"at parked vehicle #{incident.vehicle_track_id}"
        )
    else:
        message = (
            f"Person #{incident.person_track_id} at parked vehicle #{incident.vehicle_track_id} "
            f"for {incident.dwell_s:.0f} s on camera {incident.camera_id}"
        )
    return AlertEvent(
        alert_id=alert_id,
        event_id=f"{alert_id}:{phase.value}:{incident.ts:.3f}",
        phase=phase,
        rule=incident.rule,
        severity=Severity.YELLOW,
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
        message=message,
    )

"""Builders for alert events, so tests say what matters about an alert and take defaults for the rest."""

from __future__ import annotations

from alerts.models import AlertEvent, AlertPhase, Severity


def alert_event(
    alert_id: str = "a" * 20,
    phase: AlertPhase = AlertPhase.START,
    severity: Severity = Severity.YELLOW,
    started_at: float = 1_795_000_000.0,
    ts: float | None = None,
    camera_id: str = "row-b",
    site_id: str = "test-site",
) -> AlertEvent:
    ts = started_at + 30 if ts is None else ts
    return AlertEvent(
        alert_id=alert_id,
        event_id=f"{alert_id}:{phase.value}:{ts:.3f}",
        phase=phase,
        rule="loitering",
        severity=severity,
        site_id=site_id,
        camera_id=camera_id,
        stream_id="live",
        started_at=started_at,
        ts=ts,
        dwell_s=ts - started_at,
        person_track_id=1,
        vehicle_track_id=2,
        person_box=(100, 100, 140, 220),
        vehicle_box=(150, 150, 400, 260),
        frame_seq=5,
        frame_width=640,
        frame_height=360,
        message="Person #1 at parked vehicle #2",
    )

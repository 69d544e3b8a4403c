"""The alert page's timeline wording: a paused incident reads "left the car" / "came back", times in the site's zone."""

from __future__ import annotations

from alerts.models import AlertEvent, AlertPhase, Severity
from alerts.timeline import Action, step_text, timeline

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


def step(
    phase: AlertPhase,
    ts: float,
    reason: str | None = None,
    severity: Severity = Severity.YELLOW,
    stream: str = "cam-live-1",
) -> AlertEvent:
    return AlertEvent(
        alert_id="timeline-1",
        event_id=f"timeline-1:{phase.value}:{ts}",
        phase=phase,
        rule="loitering",
        severity=severity,
        site_id="site-a",
        camera_id="cam-1",
        stream_id=stream,
        started_at=T0,
        ts=ts,
        end_reason=reason,
        message=f"Person #7 at parked vehicle #100 for {ts - T0:.0f} s on camera cam-1",
        dwell_s=ts - T0,
        person_track_id=7,
        vehicle_track_id=100,
        person_box=(0, 0, 10, 10),
        vehicle_box=(0, 0, 20, 20),
        frame_seq=1,
        frame_width=64,
        frame_height=48,
    )


def test_an_incident_that_paused_reads_left_the_car_then_came_back() -> None:
    steps = [
        step(AlertPhase.START, T0 + 30),
        step(AlertPhase.END, T0 + 50, "person_left"),
        step(AlertPhase.UPDATE, T0 + 70),
        step(AlertPhase.END, T0 + 95, "person_left"),
    ]
    texts = [e.text for e in timeline(steps, [], "UTC")]
    assert texts == [
        "Alert (yellow): Person #7 at parked vehicle #100 for 30 s on camera cam-1",
        "Left the car after 50 s at the car",
        "Came back to the car",
        "Left the car after 95 s at the car",
    ]
    assert not any("update" in t.lower() or "ended" in t.lower() for t in texts)


def test_other_steps_say_what_changed() -> None:
    start = step(AlertPhase.START, T0 + 30)
    assert step_text(step(AlertPhase.UPDATE, T0 + 60), start) == "Still there: 60 s at the car"
    raised = step(AlertPhase.UPDATE, T0 + 60, severity=Severity.RED)
    assert step_text(raised, start).startswith("Raised to red: ")
    assert step_text(step(AlertPhase.END, T0 + 61, "vehicle_moved"), start) == "The car drove off after 61 s at the car"
    assert step_text(step(AlertPhase.END, T0 + 61, "stream_ended"), start).startswith("The recording ended")
    assert step_text(step(AlertPhase.END, T0 + 61, None), start).startswith("Ended")


def test_times_are_written_in_the_sites_zone_and_actions_interleave() -> None:
    steps = [step(AlertPhase.START, T0 + 30), step(AlertPhase.END, T0 + 200, "person_left")]
    actions = [Action(at=T0 + 90, by="officer1", from_state="new", to_state="acknowledged")]
    entries = timeline(steps, actions, "Asia/Shanghai")
    assert [e.when for e in entries] == [
        "2023-11-15 06:13:50 CST",
        "2023-11-15 06:14:50 CST",
        "2023-11-15 06:16:40 CST",
    ]
    assert entries[1].text == "new → acknowledged by officer1" and entries[1].kind == "action"
    assert timeline(steps, [], "UTC")[0].when == "2023-11-14 22:13:50 UTC"


def test_replayed_alerts_are_marked() -> None:
    replayed = timeline([step(AlertPhase.START, T0 + 30, stream="replay-0123456789ab")], [], "UTC")
    assert replayed[0].text.startswith("[replay] Alert (yellow)")
    live = timeline([step(AlertPhase.START, T0 + 30)], [], "UTC")
    assert not live[0].text.startswith("[replay]")

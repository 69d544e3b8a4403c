"""The alert page's timeline in words an officer reads: "left the car", "came back", in the site's time zone.

An incident that pauses and goes on is stored as start, end (person left), update (back at the car), end: written
as is it read "Ended", "update", "Ended". Here each step is named by what it means given the step before it, and
the officers' actions (acknowledge, dispatch...) are interleaved by time. Alerts replayed from a recording or a
track file (stream ids `replay-...`) are marked, so nobody dispatches to a recording.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.models import Alert, AlertEvent, AlertPhase

logger = logging.getLogger(__name__)

REPLAY_PREFIX = "replay-"
_END_WORDS = {
    "person_left": "Left the car",
    "vehicle_moved": "The car drove off",
    "stream_ended": "The recording ended",
}


@dataclass(frozen=True)
class Entry:
    ts: float
    when: str
    text: str
    kind: str  # "alert" or "action"

    def as_json(self) -> dict[str, object]:
        return {"ts": self.ts, "when": self.when, "text": self.text, "kind": self.kind}


@dataclass(frozen=True)
class Action:
    """An officer's step as the lifecycle logs it (kept apart from alerts.lifecycle so this stays pure)."""

    at: float
    by: str
    from_state: str
    to_state: str
    note: str = ""
    responder: str | None = None
    via: str = ""  # e.g. "ntfy button": the step was taken from a notification


def is_replay(alert: Alert) -> bool:
    return alert.stream_id.startswith(REPLAY_PREFIX)


def step_text(event: Alert, previous: Alert | None) -> str:
    """One step's words, given the step before it in the same incident."""
    if event.phase is AlertPhase.START:
        return (
            f"Alert ({event.severity.value}): {event.message}" if event.message else f"Alert ({event.severity.value})"
        )
    if event.phase is AlertPhase.END:
        what = _END_WORDS.get(event.end_reason or "", "Ended")
        dwell = f" after {event.dwell_s:.0f} s at the car" if isinstance(event, AlertEvent) else ""
        return f"{what}{dwell}"
    if previous is not None and previous.phase is AlertPhase.END:
        return "Came back to the car" if previous.end_reason == "person_left" else "The incident went on"
    if previous is not None and previous.severity != event.severity:
        return f"Raised to {event.severity.value}: {event.message}"
    if isinstance(event, AlertEvent):
        return f"Still there: {event.dwell_s:.0f} s at the car"
    return f"Update: {event.message}"


def _when(ts: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def timeline(events: Sequence[Alert], actions: Sequence[Action], timezone: str) -> list[Entry]:
    """The steps and the officers' actions, oldest first, each with its time written in the site's zone."""
    zone = ZoneInfo(timezone)
    entries: list[Entry] = []
    previous: Alert | None = None
    for event in sorted(events, key=lambda e: (e.ts, e.phase is not AlertPhase.START)):
        text = step_text(event, previous)
        if event.phase is AlertPhase.START and is_replay(event):
            text = "[replay] " + text
        entries.append(Entry(event.ts, _when(event.ts, zone), text, "alert"))
        previous = event
    for action in actions:
        note = f" ({action.note})" if action.note else ""
        sent = f" to {action.responder}" if action.responder else ""
        via = f" via {action.via}" if action.via else ""
        text = f"{action.from_state} → {action.to_state} by {action.by}{via}{sent}{note}"
        entries.append(Entry(action.at, _when(action.at, zone), text, "action"))
    return sorted(entries, key=lambda entry: entry.ts)

"""Door-entry rules on event time: watch-listed people, bursts of refused attempts, night entries by strangers.

Pure: the caller looks the person up in the watch list and passes the hit in; this module keeps per-door state.
Each event yields findings (alert steps) and at most one risky entry (what car-park alerts may be linked to).
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from detectors.access.entry_config import EntryRulesConfig
from detectors.access.types import REFUSED, AccessEvent, AccessResult, LinkedEntry, RiskTier

logger = logging.getLogger(__name__)


class WatchHit(BaseModel):
    """A watch-list entry that matched an event's person refs (looked up by the caller)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tier: RiskTier
    label: str
    reason: str
    matched_by: str  # employee, card or name


@dataclass(frozen=True)
class EntryFinding:
    """One step of an entry alert; `key` identifies the incident so its alert id is stable."""

    rule: Literal["watchlist_entry", "refused_attempts", "night_entry"]
    phase: Literal["start", "update"]
    key: str
    tier: RiskTier
    reason: str
    event: AccessEvent  # the event that made this step
    started_at: float
    attempts: int = 1
    person_label: str | None = None


@dataclass(frozen=True)
class EntryOutcome:
    findings: tuple[EntryFinding, ...] = ()
    risky: LinkedEntry | None = None
    too_late_by_s: float | None = None  # set when the event was beyond the allowed lateness and ignored
    duplicate: bool = False  # the same device event seen before (a redelivery or a device retry)
    resident_home: bool = False  # a resident's own credential let them in: evidence that lowers car-park risk


@dataclass
class _Burst:
    started_at: float  # the first refusal of the window that reached the threshold
    last_ts: float
    attempts: int


@dataclass
class _DoorState:
    watermark: float = float("-inf")
    refused_ts: list[float] = field(default_factory=list)
    burst: _Burst | None = None
    seen: dict[str, float] = field(default_factory=dict)  # event id -> event time, while it can still matter


class EntryRules:
    """Keeps, per door, the newest event time and recent refused attempts."""

    def __init__(self, config: EntryRulesConfig) -> None:
        self.config = config
        self._doors: dict[str, _DoorState] = {}

    def observe(self, event: AccessEvent, watch: WatchHit | None = None) -> EntryOutcome:
        door = self._doors.setdefault(f"{event.stream_id}/{event.door_id}", _DoorState())  # replays apart from live
        if event.event_id in door.seen:
            return EntryOutcome(duplicate=True)
        lateness = door.watermark - event.ts
        if lateness > self.config.allowed_lateness_s:
            return EntryOutcome(too_late_by_s=lateness)
        door.watermark = max(door.watermark, event.ts)
        door.seen[event.event_id] = event.ts
        if event.result is AccessResult.OTHER:
            return EntryOutcome()
        findings: list[EntryFinding] = []
        risky: LinkedEntry | None = None
        if watch is not None and self.config.watchlist:
            finding = self._watchlist(event, watch)
            findings.append(finding)
            risky = _risky(event, finding.tier, finding.reason, watch.label)
        if event.result in REFUSED:
            burst = self._refused(door, event)
            if burst is not None:
                findings.append(burst)
                risky = risky or _risky(event, burst.tier, burst.reason)
        night = self._night(event)
        if night is not None:
            findings.append(night)
            risky = risky or _risky(event, night.tier, night.reason)
        elif risky is None and self._night_attempt(event):
            risky = _risky(event, "yellow", f"{_describe(event.result)} at {event.door_name} at night")
        self._expire(door, event.ts)
        resident = (
            event.result is AccessResult.GRANTED
            and watch is None
            and event.person.known
            and (event.user_type or "") not in self.config.non_resident_user_types
        )
        return EntryOutcome(findings=tuple(findings), risky=risky, resident_home=resident)

    def export_state(self, key: str) -> object:
        """The state of the doors behind one partition key: a door id (live) or a replayed log's stream id."""
        return {k: v for k, v in self._doors.items() if _under(k, key)} or None

    def restore_state(self, key: str, state: object) -> None:
        self._doors = {k: v for k, v in self._doors.items() if not _under(k, key)}
        if isinstance(state, dict):
            self._doors.update(state)

    def _watchlist(self, event: AccessEvent, watch: WatchHit) -> EntryFinding:
        verb = "entered" if event.result is AccessResult.GRANTED else f"tried ({_describe(event.result)})"
        reason = f"watch list ({watch.tier}, by {watch.matched_by}): {watch.label} {verb} {event.door_name}"
        if watch.reason:
            reason += f" [{watch.reason}]"
        return EntryFinding(
            "watchlist_entry", "start", event.event_id, watch.tier, reason, event, event.ts, person_label=watch.label
        )

    def _refused(self, door: _DoorState, event: AccessEvent) -> EntryFinding | None:
        bisect.insort(door.refused_ts, event.ts)
        window = self.config.refused_window_s
        lo = bisect.bisect_left(door.refused_ts, event.ts - window)
        hi = bisect.bisect_right(door.refused_ts, event.ts + window)
        # the densest window of length `window` that contains this event, and where it starts
        best, first, times = 0, event.ts, door.refused_ts[lo:hi]
        for i, start in enumerate(times):
            if start > event.ts:
                break
            count = bisect.bisect_right(times, start + window) - i
            if count > best and start + window >= event.ts:
                best, first = count, start
        if best < self.config.refused_attempts:
            return None
        burst = door.burst
        if burst is not None and event.ts - burst.last_ts <= window:
            burst.attempts += 1
            burst.last_ts = max(burst.last_ts, event.ts)
            phase: Literal["start", "update"] = "update"
        else:
            burst = door.burst = _Burst(first, event.ts, best)
            phase = "start"
        reason = f"{burst.attempts} refused attempts at {event.door_name} within {window:.0f} s"
        return EntryFinding(
            "refused_attempts",
            phase,
            f"{event.door_id}:{burst.started_at:.3f}",
            "yellow",
            reason,
            event,
            burst.started_at,
            attempts=burst.attempts,
        )

    def _at_night(self, ts: float) -> bool:
        night = self.config.night
        return night is not None and night.contains(ts, self.config.timezone)

    def _night(self, event: AccessEvent) -> EntryFinding | None:
        if event.result is not AccessResult.GRANTED or not self._at_night(event.ts):
            return None
        resident = event.person.known and (event.user_type or "") not in self.config.non_resident_user_types
        if resident:
            return None
        who = event.user_type or "unidentified person"
        reason = f"night entry at {event.door_name} by a non-resident ({who})"
        return EntryFinding("night_entry", "start", event.event_id, "yellow", reason, event, event.ts)

    def _night_attempt(self, event: AccessEvent) -> bool:
        return event.result in self.config.night_risky_results and self._at_night(event.ts)

    def _expire(self, door: _DoorState, now: float) -> None:
        """Forget refused attempts that can no longer fall in a window with a new, not-too-late event."""
        horizon = door.watermark - self.config.allowed_lateness_s - self.config.refused_window_s
        cut = bisect.bisect_left(door.refused_ts, horizon)
        if cut:
            del door.refused_ts[:cut]
        if door.burst is not None and door.burst.last_ts < horizon:
            door.burst = None
        if len(door.seen) > 1024:
            door.seen = {eid: ts for eid, ts in door.seen.items() if ts >= horizon}


def _risky(event: AccessEvent, tier: RiskTier, reason: str, label: str | None = None) -> LinkedEntry:
    return LinkedEntry(
        event_id=event.event_id,
        door_id=event.door_id,
        door_name=event.door_name,
        ts=event.ts,
        result=event.result.value,
        risk_tier=tier,
        reason=reason,
        person_label=label,
    )


def _describe(result: AccessResult) -> str:
    return {
        AccessResult.DENIED: "access denied",
        AccessResult.STRANGER: "unknown face",
        AccessResult.FACE_MISMATCH: "face mismatch",
    }.get(result, result.value)


def _under(door_key: str, partition_key: str) -> bool:
    """Door state keys are 'stream/door'; a partition key is the door (live) or the stream (a replay)."""
    stream, _, door = door_key.partition("/")
    return stream == partition_key or (stream == "live" and door == partition_key)

"""Rule v1: a person whose foot point stays near a parked car for the dwell threshold raises one incident.

Runs on event time only (frame capture timestamps), so a replay at any speed yields the same events.

One alert per incident: people who stay at the same parked car at overlapping times are one incident (a group at
a car). A later person whose stay passes the threshold while the car already has an open alert joins it (an
update step listing the whole group) instead of raising a second alert; the alert ends when the last member
has gone. A group shares one standing at the car: a stranger beside the car's owner (`owns`, the camera's owner
evidence) is not the owner's group, so the owner's stay stays green and the stranger's is an alert of its own.
"""

from __future__ import annotations

import logging
import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from detectors.behaviour.incidents import EndReason, IncidentPhase, LoiterIncidentEvent
from detectors.behaviour.vehicles import StationaryVehicles, parked_car_zones
from detectors.config import LoiterConfig
from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject, TrackFrame

logger = logging.getLogger(__name__)


@dataclass
class _Stay:
    """A person's presence at one car; becomes an incident once the dwell passes the threshold."""

    person_id: int
    vehicle_id: int
    started_at: float
    last_near: float
    person_box: Box
    vehicle_box: Box
    frame_seq: int
    dwell: float = 0.0
    alerted: bool = False
    emitted_dwell: float = 0.0
    ended_at: float | None = None
    hand_s: float = 0.0  # time a wrist was seen at the car's door height (pose evidence)
    last_look: float | None = None
    hand_reported: bool = False
    inside: bool = False  # last seen with the foot inside the car's own box (at an open door, getting in)
    joined_to: tuple[int, int] | None = None  # the open stay whose alert this one joined (a group at the car)
    members: list[int] = field(default_factory=list)  # an alerted stay's group: person ids, this one first


def trusted_person(scores: deque[float], score: float, config: LoiterConfig) -> bool:
    """Frigate-style: a person track is judged by the median of its recent scores (`scores`, which takes this
    frame's `score`; at most `score_history` of them), not by one detection. `sentinel eval-tracks` reports the
    people this leaves the rule."""
    scores.append(score)
    return statistics.median(scores) >= config.min_person_score


class LoiterRule:
    """Loitering-at-car state for one camera stream."""

    def __init__(self, config: LoiterConfig, camera_id: str, owns: Callable[[int, int], bool] | None = None) -> None:
        self.config = config
        self.camera_id = camera_id
        self._owns = owns or (lambda person_id, car_id: False)
        self._stream_id: str | None = None
        self._last_ts: float | None = None
        self._frame_size = (1, 1)
        self._reset()

    def _reset(self) -> None:
        self._vehicles = StationaryVehicles(
            self.config.stationary_window_s, self.config.stationary_max_shift_ratio, self.config.vehicle_forget_s
        )
        self._stays: dict[tuple[int, int], _Stay] = {}
        self._scores: dict[int, tuple[float, deque[float]]] = {}  # person -> (last seen, recent scores)
        self._last_ts = None

    def reconfigure(self, config: LoiterConfig) -> None:
        """Take the camera's settings of now and keep the stays, vehicles and scores (a state restored from a
        checkpoint saved under another config)."""
        self.config = config
        self._vehicles.reconfigure(
            config.stationary_window_s, config.stationary_max_shift_ratio, config.vehicle_forget_s
        )
        self._scores = {
            pid: (seen, deque(scores, maxlen=config.score_history)) for pid, (seen, scores) in self._scores.items()
        }

    def process(self, frame: TrackFrame) -> list[LoiterIncidentEvent]:
        """Advance the rule by one frame; returns the incident events this frame caused."""
        events: list[LoiterIncidentEvent] = []
        if frame.stream_id != self._stream_id:
            if self._stream_id is not None and self._last_ts is not None:
                events.extend(self.finish())
                logger.info("camera %s: new stream %s, rule state reset", self.camera_id, frame.stream_id)
            self._stream_id = frame.stream_id
            self._reset()
        if self._last_ts is not None and frame.ts < self._last_ts:
            logger.warning(
                "camera %s: frame %s goes back in time (%.3f < %.3f), skipped",
                self.camera_id,
                frame.seq,
                frame.ts,
                self._last_ts,
            )
            return events
        self._last_ts = frame.ts
        self._frame_size = (frame.width, frame.height)
        if frame.end_of_stream:
            return events + self.finish()

        self._vehicles.update(frame.ts, [o for o in frame.objects if o.is_vehicle])
        near = self._near_pairs(frame)
        for (pid, vid), (person, vehicle_box) in near.items():
            events.extend(self._observe_near(frame, pid, vid, person, vehicle_box))
        seen = {o.track_id for o in frame.objects if o.cls is ObjectClass.PERSON}
        events.extend(self._close_absent(frame.ts, set(near), seen))
        horizon = frame.ts - max(self.config.gap_tolerance_s, self.config.reopen_within_s)
        self._scores = {pid: entry for pid, entry in self._scores.items() if entry[0] >= horizon}
        return events

    def finish(self) -> list[LoiterIncidentEvent]:
        """End every open incident: the stream is over (replay end, camera removed)."""
        events = []
        for stay in self._stays.values():
            if stay.alerted and stay.ended_at is None and stay.joined_to is None:
                events.append(self._event(stay, IncidentPhase.END, self._group_last_near(stay), EndReason.STREAM_ENDED))
        self._stays.clear()
        return events

    def _near_pairs(self, frame: TrackFrame) -> dict[tuple[int, int], tuple[TrackedObject, Box]]:
        size = (frame.width, frame.height)
        parked = parked_car_zones(self._vehicles, self.config.margin_ratio, self.config.parking_area, size)
        pairs: dict[tuple[int, int], tuple[TrackedObject, Box]] = {}
        for person in frame.objects:
            if person.cls is not ObjectClass.PERSON or not self._trusted(person.track_id, person.confidence):
                continue
            foot = person.box.foot_point()
            for vid, box, zone in parked:
                if zone.contains(foot):
                    pairs[(person.track_id, vid)] = (person, box)
        return pairs

    def _has_open_alert(self, person_id: int) -> bool:
        """One alert per person at a time: standing between two parked cars is one incident, not two."""
        return any(s.alerted and s.ended_at is None for s in self._stays.values() if s.person_id == person_id)

    def _trusted(self, person_id: int, score: float) -> bool:
        _, scores = self._scores.get(person_id) or (0.0, deque(maxlen=self.config.score_history))
        self._scores[person_id] = (self._last_ts or 0.0, scores)
        return trusted_person(scores, score, self.config)

    def _observe_near(
        self, frame: TrackFrame, pid: int, vid: int, person: TrackedObject, vehicle_box: Box
    ) -> list[LoiterIncidentEvent]:
        person_box = person.box
        stay = self._stays.get((pid, vid))
        resumed = False
        if stay is None:
            stay = self._stays[(pid, vid)] = _Stay(pid, vid, frame.ts, frame.ts, person_box, vehicle_box, frame.seq)
        elif stay.ended_at is not None:
            resumed = True  # back at the same car soon after the alert ended: same incident continues
            stay.ended_at = None
        else:
            stay.dwell += frame.ts - stay.last_near
        stay.last_near = frame.ts
        stay.person_box, stay.vehicle_box, stay.frame_seq = person_box, vehicle_box, frame.seq
        stay.inside = vehicle_box.contains(person_box.foot_point())
        self._look_at_hands(stay, person, vehicle_box, frame.ts)
        if stay.joined_to is not None:
            return self._group_step(stay, frame.ts, resumed)

        if not stay.alerted and stay.dwell >= self.config.dwell_s and not self._has_open_alert(pid):
            lead = self._open_alert_at(vid, pid)
            if lead is not None:
                return self._join(stay, lead, frame.ts)
            stay.alerted = True
            stay.members = [pid]
            stay.emitted_dwell = stay.dwell
            stay.hand_reported = stay.hand_s >= self.config.hand_min_s  # already in the start's evidence
            return [self._event(stay, IncidentPhase.START, frame.ts)]
        if stay.alerted and not stay.hand_reported and stay.hand_s >= self.config.hand_min_s:
            stay.hand_reported = True
            stay.emitted_dwell = stay.dwell
            return [self._event(stay, IncidentPhase.UPDATE, frame.ts)]  # new evidence: a hand at a door
        if stay.alerted and (resumed or stay.dwell - stay.emitted_dwell >= self.config.update_interval_s):
            stay.emitted_dwell = stay.dwell
            return [self._event(stay, IncidentPhase.UPDATE, frame.ts)]
        return []

    def _open_alert_at(self, vid: int, pid: int) -> _Stay | None:
        """The open alert another person of the same standing (both owners of the car, or neither) leads at this
        car, if any: a later stay there joins it."""
        mine = self._owns(pid, vid)
        return next(
            (
                s
                for s in self._stays.values()
                if s.vehicle_id == vid
                and s.person_id != pid
                and s.alerted
                and s.ended_at is None
                and s.joined_to is None
                and self._owns(s.person_id, vid) == mine
            ),
            None,
        )

    def _join(self, stay: _Stay, lead: _Stay, ts: float) -> list[LoiterIncidentEvent]:
        """A second person at a car with an open alert: the same incident, an update naming the whole group."""
        stay.alerted = True
        stay.joined_to = (lead.person_id, lead.vehicle_id)
        if stay.person_id not in lead.members:
            lead.members.append(stay.person_id)
        lead.emitted_dwell = lead.dwell
        return [self._event(lead, IncidentPhase.UPDATE, ts)]

    def _group_step(self, stay: _Stay, ts: float, resumed: bool) -> list[LoiterIncidentEvent]:
        """A group member's stay speaks through the lead's alert; alone again if that alert is gone."""
        lead = self._stays.get(stay.joined_to) if stay.joined_to is not None else None
        if lead is None or not lead.alerted:
            stay.joined_to, stay.alerted = None, False  # the lead's incident is over: a stay of its own from now
            return []
        if resumed or lead.ended_at is not None:
            lead.ended_at = None  # back at the car within reopen_within_s: the group's incident goes on
            lead.emitted_dwell = lead.dwell
            return [self._event(lead, IncidentPhase.UPDATE, ts)]
        return []

    def _group_present(self, lead: _Stay) -> float | None:
        """The latest time a member who joined the lead's alert was at the car, while any is still there."""
        times = [
            s.last_near
            for s in self._stays.values()
            if s.joined_to == (lead.person_id, lead.vehicle_id) and s.ended_at is None
        ]
        return max(times) if times else None

    def _group_last_near(self, lead: _Stay) -> float:
        """When the lead's group was last at the car: the lead's own time, or a member's who stayed on."""
        key = (lead.person_id, lead.vehicle_id)
        return max([lead.last_near, *(s.last_near for s in self._stays.values() if s.joined_to == key)])

    def _look_at_hands(self, stay: _Stay, person: TrackedObject, car: Box, ts: float) -> None:
        """Pose evidence: time with a wrist inside the car's door band (between two looks, at most a second)."""
        if person.wrists is None:
            return
        low, high = self.config.door_band
        band = Box(
            x1=car.x1 - 0.05 * car.width,
            y1=car.y1 + low * car.height,
            x2=car.x2 + 0.05 * car.width,
            y2=car.y1 + high * car.height,
        )
        if stay.last_look is not None and any(band.contains(w) for w in person.wrists):
            stay.hand_s += min(1.0, ts - stay.last_look)
        stay.last_look = ts

    def _got_in(self, stay: _Stay, ts: float, seen: set[int]) -> bool:
        """The person's track ended inside the car's box (they got in) and the car is still there: the stay waits
        `got_in_wait_s` for the car to leave (a driver pulls out seconds to a minute after getting in)."""
        return (
            stay.inside
            and stay.person_id not in seen
            and ts - stay.last_near <= self.config.got_in_wait_s
            and self._vehicles.is_tracked(stay.vehicle_id)
        )

    def _close_absent(self, ts: float, present: set[tuple[int, int]], seen: set[int]) -> list[LoiterIncidentEvent]:
        events = []
        for key, stay in list(self._stays.items()):
            if key in present:
                continue
            if stay.ended_at is not None:
                if ts - stay.ended_at > self.config.reopen_within_s:
                    del self._stays[key]
                continue
            moved = self._vehicles.is_tracked(stay.vehicle_id) and not self._vehicles.is_stationary(stay.vehicle_id)
            gone = ts - stay.last_near > self.config.gap_tolerance_s and not self._got_in(stay, ts, seen)
            if not (moved or gone):
                continue
            if stay.joined_to is not None and not moved:
                stay.ended_at = ts  # the group's alert ends with its last member, through the lead
                continue
            if not moved and stay.alerted and self._group_present(stay) is not None:
                continue  # the lead left, others of the group are still at the car: the incident goes on
            if stay.joined_to is not None:
                del self._stays[key]  # the car drove off: the lead's alert ends for the whole group
                continue
            if stay.alerted:
                reason = EndReason.VEHICLE_MOVED if moved else EndReason.LEFT
                events.append(self._event(stay, IncidentPhase.END, self._group_last_near(stay), reason))
                stay.ended_at = ts
                if moved:
                    del self._stays[key]  # a car that drove off cannot be returned to
            else:
                del self._stays[key]
        return events

    def _event(
        self, stay: _Stay, phase: IncidentPhase, ts: float, reason: EndReason | None = None
    ) -> LoiterIncidentEvent:
        width, height = self._frame_size
        return LoiterIncidentEvent(
            phase=phase,
            camera_id=self.camera_id,
            stream_id=self._stream_id or "",
            person_track_id=stay.person_id,
            vehicle_track_id=stay.vehicle_id,
            person_box=stay.person_box,
            vehicle_box=stay.vehicle_box,
            started_at=stay.started_at,
            ts=ts,
            dwell_s=round(stay.dwell, 3),
            frame_seq=stay.frame_seq,
            frame_width=width,
            frame_height=height,
            end_reason=reason,
            hand_at_door_s=round(stay.hand_s, 3),
            group_track_ids=tuple(stay.members) if len(stay.members) > 1 else (),
        )

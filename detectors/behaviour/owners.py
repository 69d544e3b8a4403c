"""Owner evidence from what the camera sees: who is the driver, a passenger or a member of their party of a car.

An officer alerted to every driver unloading shopping stops reading alerts. Real owners stand at their car for
30 s to minutes, so time alone cannot tell them from a stranger; what the camera sees can:
  - arrived with the car: a person whose track begins at a car that came to rest shortly before got out of it;
  - carrying: a carried object (class bag) on the person while they stand at a parked car is loading/unloading;
  - party: people who appeared together with an owner (same place, same moment) share the owner's cars.
Evidence is per car: a thief who arrives in his own car owns that car only, and stays at others are still his.
Pure, on event time, fed the frames after person/vehicle continuity; never reads labels.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

from detectors.behaviour.incidents import LoiterIncidentEvent
from detectors.config import OwnerConfig
from detectors.geometry import Box, distance
from detectors.types import ObjectClass, TrackedObject, TrackFrame

logger = logging.getLogger(__name__)


@dataclass
class _Car:
    box: Box
    samples: deque[tuple[float, tuple[float, float]]] = field(default_factory=deque)
    last_moved: float | None = None  # event time the car was last seen moving (None: parked since first seen)


@dataclass
class _Person:
    first_ts: float
    first_foot: tuple[float, float]
    height: float
    last_ts: float
    carrying_s: dict[int, float] = field(default_factory=dict)  # car -> seconds seen carrying at it


class OwnerEvidence:
    """Per camera stream: which people own which cars, and why (the reasons shown in an alert's risk)."""

    def __init__(self, config: OwnerConfig) -> None:
        self.config = config
        self._stream_id: str | None = None
        self._reset()

    def _reset(self) -> None:
        self._cars: dict[int, _Car] = {}
        self._people: dict[int, _Person] = {}
        self._evidence: dict[int, dict[int, str]] = {}  # person -> car -> the person's own evidence
        self._last_ts: float | None = None

    def update(self, frame: TrackFrame) -> None:
        """Advance by one frame (after continuity): car motion, new people, carried objects."""
        if not self.config.enabled or frame.end_of_stream:
            return
        if frame.stream_id != self._stream_id:
            self._stream_id = frame.stream_id
            self._reset()
        ts = frame.ts
        dt = 0.0 if self._last_ts is None else min(1.0, max(0.0, ts - self._last_ts))
        self._last_ts = ts
        for vehicle in (o for o in frame.objects if o.is_vehicle):
            self._see_car(vehicle.track_id, vehicle.box, ts)
        people = [o for o in frame.objects if o.cls is ObjectClass.PERSON]
        carriers = _carriers(people, [o.box for o in frame.objects if o.cls is ObjectClass.BAG])
        for person in people:
            self._see_person(person.track_id, person.box, ts, person.track_id in carriers, dt)
        forget = ts - self.config.forget_s
        self._cars = {vid: car for vid, car in self._cars.items() if car.samples and car.samples[-1][0] >= forget}
        gone = [pid for pid, p in self._people.items() if p.last_ts < forget]
        for pid in gone:
            del self._people[pid]
            self._evidence.pop(pid, None)

    def evidence(self, person_id: int, car_id: int) -> tuple[str, ...]:
        """Why this person belongs to this car (empty: no evidence, a stranger to it)."""
        own = self._evidence.get(person_id, {}).get(car_id)
        if own is not None:
            return (own,)
        for other in self._party_of(person_id):
            theirs = self._evidence.get(other, {}).get(car_id)
            if theirs is not None:
                return (f"arrived together with #{other}, who {theirs}",)
        return ()

    def owns(self, person_id: int, car_id: int) -> bool:
        return bool(self.evidence(person_id, car_id))

    def _see_car(self, vid: int, box: Box, ts: float) -> None:
        car = self._cars.get(vid)
        if car is None:
            car = self._cars[vid] = _Car(box)
        car.box = box
        car.samples.append((ts, box.center()))
        while len(car.samples) > 2 and car.samples[1][0] <= ts - self.config.motion_window_s:
            car.samples.popleft()
        oldest = car.samples[0][1]
        if distance(oldest, box.center()) > self.config.moving_shift_ratio * box.diagonal:
            car.last_moved = ts

    def _see_person(self, pid: int, box: Box, ts: float, carrying: bool, dt: float) -> None:
        foot = box.foot_point()
        person = self._people.get(pid)
        if person is None:
            person = self._people[pid] = _Person(ts, foot, box.height, ts)
            self._arrived(pid, person)
        person.last_ts = ts
        if not carrying or dt <= 0.0:
            return
        reach = self.config.car_reach_ratio * box.height
        for vid, car in self._cars.items():
            if car.box.gap_to(foot) <= reach and self._parked(car, ts):
                person.carrying_s[vid] = person.carrying_s.get(vid, 0.0) + dt
                if person.carrying_s[vid] >= self.config.carry_min_s:
                    self._grant(pid, vid, f"carried an object at car #{vid} (loading or unloading)")

    def _arrived(self, pid: int, person: _Person) -> None:
        """A track that begins at a car that came to rest shortly before: its driver or a passenger."""
        reach = self.config.car_reach_ratio * person.height
        for vid, car in self._cars.items():
            if car.last_moved is None or car.box.gap_to(person.first_foot) > reach:
                continue
            since = person.first_ts - car.last_moved
            if -self.config.motion_window_s <= since <= self.config.arrival_window_s:
                self._grant(pid, vid, f"got out of car #{vid}, which had just parked")

    def _grant(self, pid: int, vid: int, reason: str) -> None:
        cars = self._evidence.setdefault(pid, {})
        if vid not in cars:
            cars[vid] = reason
            logger.debug("person %s owns car %s: %s", pid, vid, reason)

    def _parked(self, car: _Car, ts: float) -> bool:
        return car.last_moved is None or ts - car.last_moved >= self.config.motion_window_s

    def _party_of(self, person_id: int) -> list[int]:
        """People who appeared within party_window_s of this one, within party_reach_ratio of their height."""
        me = self._people.get(person_id)
        if me is None:
            return []
        reach = self.config.party_reach_ratio * me.height
        return [
            pid
            for pid, other in self._people.items()
            if pid != person_id
            and abs(other.first_ts - me.first_ts) <= self.config.party_window_s
            and distance(other.first_foot, me.first_foot) <= reach
        ]


def _carriers(people: list[TrackedObject], bags: list[Box]) -> set[int]:
    """Who carries each object: the person whose box overlaps it most (held, wheeled or on the back), not
    everyone standing beside the carrier."""
    carriers = set()
    for bag in bags:
        best = max(((p.box.intersection(bag), p.track_id) for p in people), default=(0.0, -1))
        if best[0] > 0:
            carriers.add(best[1])
    return carriers


def with_owner_evidence(incident: LoiterIncidentEvent, owners: OwnerEvidence) -> LoiterIncidentEvent:
    """A stay at a car with what the camera saw of the person belonging to it (casing counts no owned car).

    A group at one car is owners only when every member is: by their own evidence for that car, or by arriving
    together with someone who has it (`evidence` gives the party's). A stranger beside an owner is not covered, so a
    thief next to a lookout, or someone at a car whose owner stands there, keeps the group's alert pushed."""
    if incident.rule != "loitering":
        return incident
    members = incident.group_track_ids or (incident.person_track_id,)
    each = [owners.evidence(pid, incident.vehicle_track_id) for pid in members]
    if not all(each):
        return incident
    evidence = tuple(dict.fromkeys(why for reasons in each for why in reasons))
    return incident.model_copy(update={"owner_evidence": evidence})

"""Casing: one person stopping briefly at several different parked cars within a few minutes.

Pure and on event time, like the loitering rule; it shares that rule's parked-car model, car zones and parking
area, and emits the same incident type (rule "casing"), so alerts, snapshots and delivery need nothing new.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from detectors.behaviour.incidents import EndReason, IncidentPhase, LoiterIncidentEvent
from detectors.behaviour.vehicles import StationaryVehicles, parked_car_zones
from detectors.config import CasingConfig, LoiterConfig
from detectors.geometry import Box, distance
from detectors.types import ObjectClass, TrackFrame

logger = logging.getLogger(__name__)


@dataclass
class _Person:
    samples: deque[tuple[float, float, float, float]] = field(default_factory=deque)  # ts, foot x, foot y, height
    near_since: dict[int, float] = field(default_factory=dict)  # car -> since when continuously nearest
    anchor: tuple[float, float] | None = None  # foot point of the last counted stop
    stops: dict[int, float] = field(default_factory=dict)  # car -> latest stop time there
    last_seen: float = 0.0
    box: Box | None = None
    incident_started: float | None = None
    reported_cars: int = 0
    first_car: int = -1
    last_car: int = -1
    last_car_box: Box | None = None
    frame_seq: int = 0


class CasingRule:
    """Casing state for one camera stream."""

    def __init__(
        self,
        config: CasingConfig,
        zones: LoiterConfig,
        camera_id: str,
        owned: Callable[[int, int], bool] | None = None,
    ) -> None:
        self.config = config
        self._owned = owned or (lambda _person, _car: False)
        self.zones = zones
        self.camera_id = camera_id
        self._stream_id: str | None = None
        self._frame_size = (1, 1)
        self._vehicles = self._new_vehicles()
        self._people: dict[int, _Person] = {}

    def reconfigure(self, config: CasingConfig, zones: LoiterConfig) -> None:
        """Take the settings of now and keep the people's stops and the vehicles (a restored state)."""
        self.config, self.zones = config, zones
        self._vehicles.reconfigure(zones.stationary_window_s, zones.stationary_max_shift_ratio, zones.vehicle_forget_s)

    def _new_vehicles(self) -> StationaryVehicles:
        z = self.zones
        return StationaryVehicles(z.stationary_window_s, z.stationary_max_shift_ratio, z.vehicle_forget_s)

    def process(self, frame: TrackFrame) -> list[LoiterIncidentEvent]:
        events: list[LoiterIncidentEvent] = []
        if frame.stream_id != self._stream_id:
            events += self.finish()
            self._stream_id, self._vehicles, self._people = frame.stream_id, self._new_vehicles(), {}
        self._frame_size = (frame.width, frame.height)
        if frame.end_of_stream:
            return events + self.finish()
        if not self.config.enabled:
            return events
        self._vehicles.update(frame.ts, [o for o in frame.objects if o.is_vehicle])
        size = (frame.width, frame.height)
        parked = parked_car_zones(self._vehicles, self.zones.margin_ratio, self.zones.parking_area, size)
        bags = [o.box for o in frame.objects if o.cls is ObjectClass.BAG]
        for person in frame.objects:
            if person.cls is ObjectClass.PERSON:
                carrying = any(person.box.intersection(bag) > 0 for bag in bags)
                events += self._observe(frame, person.track_id, person.box, parked, carrying)
        events += self._end_absent(frame.ts)
        return events

    def finish(self) -> list[LoiterIncidentEvent]:
        events = [
            self._event(pid, p, IncidentPhase.END, p.last_seen, EndReason.STREAM_ENDED)
            for pid, p in self._people.items()
            if p.incident_started is not None
        ]
        self._people = {}
        return events

    def _observe(
        self, frame: TrackFrame, pid: int, box: Box, parked: list[tuple[int, Box, Box]], carrying: bool
    ) -> list[LoiterIncidentEvent]:
        person = self._people.setdefault(pid, _Person())
        ts = frame.ts
        foot = box.foot_point()
        person.samples.append((ts, foot[0], foot[1], box.y2 - box.y1))
        while person.samples and person.samples[0][0] < ts - self.config.min_stop_s - 1.0:
            person.samples.popleft()
        person.last_seen, person.box, person.frame_seq = ts, box, frame.seq
        # A stop belongs to the one car nearest where it began, for its whole length (standing still between two
        # overlapping car boxes is one stop, not one at each as the nearer one flips), and a stop counts only after
        # a real walk from the last one. Cars the camera saw the person belong to, and stops while carrying
        # something (loading), are not what casing looks like.
        near = sorted((vbox.gap_to(foot), vid, vbox) for vid, vbox, zone in parked if zone.contains(foot))
        person.near_since = {vid: person.near_since.get(vid, ts) for _, vid, _ in near[:1]}
        walked = person.anchor is None or distance(foot, person.anchor) >= self.config.min_walk_ratio * box.height
        for vid, since in person.near_since.items():
            if walked and not carrying and ts - since >= self.config.min_stop_s and self._still(person, ts):
                person.anchor = foot
                if not self._owned(pid, vid):
                    person.stops[vid] = ts
                    person.last_car, person.last_car_box = vid, near[0][2]
        horizon = ts - self.config.window_s
        person.stops = {vid: at for vid, at in person.stops.items() if at >= horizon}
        if len(person.stops) < self.config.min_cars or len(person.stops) <= person.reported_cars:
            return []
        first = person.incident_started is None
        if first:
            person.incident_started = min(person.stops.values())
            person.first_car = min(person.stops, key=lambda v: person.stops[v])
        person.reported_cars = len(person.stops)
        return [self._event(pid, person, IncidentPhase.START if first else IncidentPhase.UPDATE, ts)]

    def _still(self, person: _Person, ts: float) -> bool:
        """The foot point stayed within a radius scaled by the person's height over the last min_stop_s."""
        recent = [s for s in person.samples if s[0] >= ts - self.config.min_stop_s]
        if len(recent) < 2:
            return False
        height = sorted(s[3] for s in recent)[len(recent) // 2]
        xs, ys = [s[1] for s in recent], [s[2] for s in recent]
        spread = max(max(xs) - min(xs), max(ys) - min(ys))
        return spread <= self.config.stop_radius_ratio * height

    def _end_absent(self, ts: float) -> list[LoiterIncidentEvent]:
        events = []
        for pid, person in list(self._people.items()):
            if ts - person.last_seen <= self.config.end_after_s:
                continue
            if person.incident_started is not None:
                events.append(self._event(pid, person, IncidentPhase.END, person.last_seen, EndReason.LEFT))
            del self._people[pid]
        return events

    def _event(
        self, pid: int, person: _Person, phase: IncidentPhase, ts: float, reason: EndReason | None = None
    ) -> LoiterIncidentEvent:
        width, height = self._frame_size
        started = person.incident_started if person.incident_started is not None else ts
        return LoiterIncidentEvent(
            rule="casing",
            phase=phase,
            camera_id=self.camera_id,
            stream_id=self._stream_id or "",
            person_track_id=pid,
            vehicle_track_id=person.first_car,
            person_box=person.box or Box(x1=0, y1=0, x2=1, y2=1),
            vehicle_box=person.last_car_box or Box(x1=0, y1=0, x2=1, y2=1),
            started_at=started,
            ts=ts,
            dwell_s=round(max(0.0, ts - started), 3),
            frame_seq=person.frame_seq,
            frame_width=width,
            frame_height=height,
            end_reason=reason,
            vehicles_visited=tuple(sorted(person.stops, key=lambda v: person.stops[v])),
        )

"""Which vehicles are parked: a car counts as stationary once it has stayed put for a window of event time."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from detectors.behaviour.zones import contains
from detectors.geometry import Box, distance
from detectors.types import TrackedObject

logger = logging.getLogger(__name__)


@dataclass
class _VehicleHistory:
    box: Box
    last_seen: float
    samples: deque[tuple[float, tuple[float, float]]] = field(default_factory=deque)


class StationaryVehicles:
    """Per-camera memory of vehicle positions over the last window, keyed by track id."""

    def __init__(self, window_s: float, max_shift_ratio: float, forget_s: float) -> None:
        self._window_s = window_s
        self._max_shift_ratio = max_shift_ratio
        self._forget_s = forget_s
        self._vehicles: dict[int, _VehicleHistory] = {}

    def reconfigure(self, window_s: float, max_shift_ratio: float, forget_s: float) -> None:
        """Other settings, the same vehicles (a rules state restored under a changed config)."""
        self._window_s, self._max_shift_ratio, self._forget_s = window_s, max_shift_ratio, forget_s

    def update(self, ts: float, vehicles: list[TrackedObject]) -> None:
        for vehicle in vehicles:
            history = self._vehicles.get(vehicle.track_id)
            if history is None:
                history = self._vehicles[vehicle.track_id] = _VehicleHistory(box=vehicle.box, last_seen=ts)
            history.box = vehicle.box
            history.last_seen = ts
            history.samples.append((ts, vehicle.box.center()))
            # Keep exactly one sample at or before the window start, so the window's span is known.
            while len(history.samples) >= 2 and history.samples[1][0] <= ts - self._window_s:
                history.samples.popleft()
        stale = [tid for tid, h in self._vehicles.items() if ts - h.last_seen > self._forget_s]
        for tid in stale:
            del self._vehicles[tid]

    def is_tracked(self, track_id: int) -> bool:
        return track_id in self._vehicles

    def box(self, track_id: int) -> Box | None:
        history = self._vehicles.get(track_id)
        return history.box if history else None

    def is_stationary(self, track_id: int) -> bool:
        """True when the vehicle has been observed for the whole window and its centre stayed within the bound."""
        history = self._vehicles.get(track_id)
        if history is None or not history.samples:
            return False
        newest_ts, newest_center = history.samples[-1]
        oldest_ts = history.samples[0][0]
        if newest_ts - oldest_ts < self._window_s:
            return False
        limit = self._max_shift_ratio * history.box.diagonal
        return all(distance(center, newest_center) <= limit for _, center in history.samples)

    def stationary_ids(self) -> list[int]:
        return [tid for tid in self._vehicles if self.is_stationary(tid)]


def parked_car_zones(
    vehicles: StationaryVehicles,
    margin_ratio: float,
    parking_area: Sequence[tuple[float, float]] | None,
    frame_size: tuple[int, int],
) -> list[tuple[int, Box, Box]]:
    """(id, box, zone) of each parked car: stationary, inside the parking area when one is set, with its zone
    (the box grown by `margin_ratio`). What "at a parked car" means to every behaviour rule."""
    width, height = frame_size
    parked = []
    for vid in vehicles.stationary_ids():
        box = vehicles.box(vid)
        if box is None:
            continue
        if parking_area is not None:
            x, y = box.foot_point()
            if not contains(parking_area, (x / width, y / height)):
                continue
        parked.append((vid, box, box.expanded(margin_ratio)))
    return parked

"""Cameras that stop sending frames, terminals that stop sending heartbeats: silence longer than a limit.

Pure bookkeeping: the caller says when each device was last heard from and what time it is now. An incident
starts at the moment the device was last heard (so two workers reading the same liveness agree on its id) and
ends when the device is heard again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from detectors.behaviour.incidents import IncidentPhase
from detectors.devices.findings import DeviceFinding, DeviceRule

logger = logging.getLogger(__name__)


@dataclass
class _Device:
    last_seen: float
    silent_since: float | None = None  # the last_seen an open incident started at


class SilenceWatch:
    def __init__(self, rule: DeviceRule, kind: Literal["camera", "terminal"], after_s: float) -> None:
        self.rule = rule
        self.kind = kind
        self.after_s = after_s
        self._devices: dict[str, _Device] = {}

    def seen(self, device_id: str, at: float) -> list[DeviceFinding]:
        """The device was heard at `at`; ends its silence incident if one is open."""
        device = self._devices.get(device_id)
        if device is None:
            self._devices[device_id] = _Device(at)
            return []
        device.last_seen = max(device.last_seen, at)
        if device.silent_since is None or at <= device.silent_since:
            return []
        started, device.silent_since = device.silent_since, None
        gap = at - started
        return [self._finding(device_id, IncidentPhase.END, started, at, f"heard again after {gap:.0f} s")]

    def check(self, now: float) -> list[DeviceFinding]:
        """Start incidents for devices silent longer than the limit at `now`."""
        out = []
        for device_id, device in self._devices.items():
            if device.silent_since is None and now - device.last_seen >= self.after_s:
                device.silent_since = device.last_seen
                what = "no frames" if self.kind == "camera" else "no heartbeat or event"
                reason = f"{what} from {self.kind} {device_id} for {self.after_s:.0f} s"
                # stamped when the limit passed, not when checked: every checker writes the same step
                at = device.last_seen + self.after_s
                out.append(self._finding(device_id, IncidentPhase.START, device.last_seen, at, reason, self.after_s))
        return out

    def forget(self, device_id: str) -> list[DeviceFinding]:
        """The device stopped on purpose (a finite stream ended): no silence incident, and any open one ends."""
        device = self._devices.pop(device_id, None)
        if device is None or device.silent_since is None:
            return []
        return [self._finding(device_id, IncidentPhase.END, device.silent_since, device.last_seen, "stream ended")]

    def drop(self, device_id: str) -> None:
        """Another worker watches the device now (its partition moved): stop watching, report nothing."""
        self._devices.pop(device_id, None)

    def last_seen(self, device_id: str) -> float | None:
        device = self._devices.get(device_id)
        return device.last_seen if device is not None else None

    def open_since(self, device_id: str) -> float | None:
        device = self._devices.get(device_id)
        return device.silent_since if device is not None else None

    def _finding(
        self, device_id: str, phase: IncidentPhase, started: float, ts: float, reason: str, silent: float = 0.0
    ) -> DeviceFinding:
        measures = {"silent_s": round(silent, 1)} if silent else {}
        return DeviceFinding(self.rule, phase, self.kind, device_id, started, ts, reason, measures)

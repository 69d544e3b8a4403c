"""What the device rules report: one incident step about one camera or terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from detectors.behaviour.incidents import IncidentPhase


class DeviceRule(StrEnum):
    CAMERA_OFFLINE = "camera_offline"
    CAMERA_COVERED = "camera_covered"
    CAMERA_MOVED = "camera_moved"
    TERMINAL_SILENT = "terminal_silent"


@dataclass(frozen=True)
class DeviceFinding:
    rule: DeviceRule
    phase: IncidentPhase
    device_kind: Literal["camera", "terminal"]
    device_id: str
    started_at: float  # event time the bad state began (not when it was confirmed), so ids agree across workers
    ts: float
    reason: str
    measures: dict[str, float] = field(default_factory=dict)

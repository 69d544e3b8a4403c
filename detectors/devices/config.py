"""Thresholds of the device-health rules: cameras offline, covered or moved, door terminals silent.

Defaults come from how the failures look, not from one clip: a lens covered by a hand, tape or a bag leaves a
near-uniform picture (intensity spread under 12 levels) or keeps under a third of its usual edges; a camera turned
15 % away keeps well under half of its static edges where they were. Times say how long a state must last.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from detectors.base import StrictModel

Tier = Literal["red", "yellow", "green"]


class DeviceSeverity(StrictModel):
    """Tier of each device rule before the night schedule and linked door entries raise it."""

    camera_offline: Tier = "yellow"
    camera_covered: Tier = "yellow"
    camera_moved: Tier = "yellow"
    terminal_silent: Tier = "yellow"


class DeviceHealthConfig(StrictModel):
    enabled: bool = Field(default=True, description="Watch cameras and terminals and raise `device` alerts")
    offline_after_s: float = Field(default=30.0, gt=0, le=86_400, description="No frames from a live camera this long")
    tamper_after_s: float = Field(default=10.0, gt=0, le=3_600, description="Covered or blinded this long")
    moved_after_s: float = Field(default=15.0, gt=0, le=3_600, description="Static background off its reference")
    silent_after_s: float = Field(
        default=300.0, gt=0, le=86_400, description="No heartbeat or event from a configured terminal this long"
    )
    recover_s: float = Field(default=3.0, ge=0, le=600, description="A good picture this long ends an incident")
    sample_every_s: float = Field(default=1.0, gt=0, le=60, description="Picture checks per camera: one per this")
    learn_samples: int = Field(default=8, ge=2, le=1000, description="Good samples that make a camera's reference")
    check_every_s: float = Field(default=2.0, gt=0, le=60, description="How often offline and silence are checked")
    uniform_std: float = Field(
        default=12.0, ge=0, le=128, description="Intensity spread (grey levels) under which a picture is uniform"
    )
    edge_loss_ratio: float = Field(
        default=0.3, gt=0, lt=1, description="Covered when the edges fall under this share of the usual amount"
    )
    moved_shift: float = Field(
        default=0.04, gt=0, lt=1, description="Moved when the whole view slid by this share of its width"
    )
    moved_match: float = Field(
        default=0.75, gt=0, lt=1, description="A slide counts when under this share of static edges are in place"
    )
    turned_match: float = Field(
        default=0.4, gt=0, lt=1, description="Moved, slid or not, when under this share of static edges are in place"
    )
    terminals: tuple[str, ...] | None = Field(
        default=None, description="Terminal ids watched for silence; unset: every access.devices entry"
    )
    severity: DeviceSeverity = Field(default_factory=DeviceSeverity)

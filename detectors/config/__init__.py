"""Configuration of the model, the tracker and the behaviour rules, one module per section (as Frigate keeps
its config): `models` (the detector backends), `tracking` (motion gate, ByteTrack, continuity), `rules`
(loitering, casing, owners). Everything is importable from here."""

from __future__ import annotations

from detectors.config.models import (
    CombinedModelConfig,
    MemberModelConfig,
    ModelBase,
    ModelConfig,
    OmzModelBase,
    OpenVinoModelConfig,
    PedestrianAdasModelConfig,
    PersonVehicleBikeModelConfig,
    UltralyticsModelConfig,
)
from detectors.config.rules import (
    CasingConfig,
    LoiterConfig,
    OwnerConfig,
)
from detectors.config.tracking import (
    ContinuityConfig,
    MotionConfig,
    TrackerConfig,
)

__all__ = [
    "CasingConfig",
    "CombinedModelConfig",
    "ContinuityConfig",
    "LoiterConfig",
    "MemberModelConfig",
    "ModelBase",
    "ModelConfig",
    "MotionConfig",
    "OmzModelBase",
    "OpenVinoModelConfig",
    "OwnerConfig",
    "PedestrianAdasModelConfig",
    "PersonVehicleBikeModelConfig",
    "TrackerConfig",
    "UltralyticsModelConfig",
]

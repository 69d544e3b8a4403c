"""Pose evidence in the loitering rule: a wrist at the car's door height adds 'hand at a door' to the incident."""

from __future__ import annotations

import pytest

from alerts.models import AlertPhase
from detectors.behaviour.loitering import LoiterRule
from detectors.config import LoiterConfig
from streams.config import CameraConfig, SiteConfig
from streams.stages.assembly import alert_from_incident, risk_scored
from tests.builders import CAR_BOX, SceneBuilder, car, person_at

FOOT = (CAR_BOX.x2 + 10, CAR_BOX.y2)  # beside the car's right side
AT_HANDLE = (CAR_BOX.x2 - 5, CAR_BOX.y1 + 0.5 * CAR_BOX.height)
AT_HIP_AWAY = (CAR_BOX.x2 + 60, CAR_BOX.y1 + 0.5 * CAR_BOX.height)  # outside the door band


def scene(wrists: tuple[tuple[float, float], ...] | None) -> list:
    return (
        SceneBuilder()
        .frames(5, lambda t: [car()])
        .frames(20, lambda t: [car(), person_at(3, *FOOT, wrists=wrists)])
        .end()
    )


def run(wrists: tuple[tuple[float, float], ...] | None) -> list:
    rule = LoiterRule(LoiterConfig(dwell_s=10), "cam-test")
    return [event for frame in scene(wrists) for event in rule.process(frame)]


@pytest.mark.parametrize(
    ("wrists", "hand"),
    [((AT_HANDLE,), True), ((AT_HIP_AWAY,), False), ((), False), (None, False)],  # None: pose did not look
)
def test_hand_at_door_evidence(wrists: tuple[tuple[float, float], ...] | None, hand: bool) -> None:
    events = run(wrists)
    start = events[0]
    assert start.phase.value == "start"
    assert (start.hand_at_door_s >= 1.0) is hand


def test_the_evidence_raises_the_risk_with_its_reason() -> None:
    config = SiteConfig(cameras=(CameraConfig(id="cam-test", loitering={"dwell_s": 10}),))
    with_hand, without = (
        risk_scored(alert_from_incident("s", run(w)[0]), config) for w in ((AT_HANDLE,), (AT_HIP_AWAY,))
    )
    assert with_hand.risk_score == without.risk_score + 25  # type: ignore[operator]
    assert any(reason.startswith("+25 hand at a car door") for reason in with_hand.risk_reasons)
    assert with_hand.phase is AlertPhase.START

"""'Got in and left' on constructed tracks: a person whose track ends inside the car's box is waited for until the
car drives off (or `got_in_wait_s` passes), and with `push_confirm_s` a yellow start waits for that ending."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alerts.models import AlertEvent, AlertPhase, Severity
from detectors.behaviour.incidents import EndReason, IncidentPhase
from detectors.behaviour.loitering import LoiterRule
from detectors.config import LoiterConfig
from detectors.geometry import Box
from detectors.types import TrackedObject
from streams.config import CameraConfig, SiteConfig
from streams.stages.rules import RuleStage
from tests.builders import CAR_BOX, SceneBuilder, car, person_at

BESIDE = (CAR_BOX.x2 + 20, CAR_BOX.y2 - 10)
IN_DOOR = (CAR_BOX.x2 - 30, CAR_BOX.y2 - 10)  # the last step: feet inside the car's box, at the open door


def car_leaving_at(start: float) -> Callable[[float], TrackedObject]:
    def at(t: float) -> TrackedObject:
        shift = max(0.0, t - start) * 80
        return car(box=Box(x1=CAR_BOX.x1 + shift, y1=CAR_BOX.y1, x2=CAR_BOX.x2 + shift, y2=CAR_BOX.y2))

    return at


def scene(stay_s: float, last_foot: tuple[float, float], car_leaves_after_s: float | None) -> list:
    """Parked all along (no owner evidence), a person at it for `stay_s`, the last 2 s at `last_foot`, then gone;
    the car pulls out `car_leaves_after_s` after the person vanished (None: it stays)."""
    leave = 1e9 if car_leaves_after_s is None else stay_s + car_leaves_after_s
    moving = car_leaving_at(leave)
    out = SceneBuilder().frames(5, lambda t: [car()])
    out.frames(stay_s, lambda t: [moving(t), person_at(1, *(BESIDE if t < stay_s - 2 else last_foot))])
    out.frames(90, lambda t: [moving(t + stay_s)])
    return out.end()


@pytest.mark.parametrize(
    ("name", "last_foot", "car_leaves_after_s", "reason"),
    [
        ("got in, car pulls out 12 s later", IN_DOOR, 12.0, EndReason.VEHICLE_MOVED),
        ("got in, car pulls out 40 s later", IN_DOOR, 40.0, EndReason.VEHICLE_MOVED),
        ("got in, car stays: sitting in it", IN_DOOR, None, EndReason.LEFT),
        ("walked off beside the car, car leaves later", BESIDE, 12.0, EndReason.LEFT),
    ],
)
def test_got_in_and_left_ends_the_stay(
    name: str, last_foot: tuple[float, float], car_leaves_after_s: float | None, reason: EndReason
) -> None:
    rule = LoiterRule(LoiterConfig(), "cam-test")
    events = [e for f in scene(40, last_foot, car_leaves_after_s) for e in rule.process(f)]
    ends = [e for e in events if e.phase is IncidentPhase.END]
    assert len(ends) == 1 and ends[0].end_reason is reason, name


def run_stage(frames: list, confirm_s: float) -> list[AlertEvent]:
    camera = CameraConfig(id="cam-test", loitering={"push_confirm_s": confirm_s})
    stage = RuleStage(SiteConfig(cameras=(camera,)))
    return [a for f in frames for a in stage.process(f) if isinstance(a, AlertEvent)]


@pytest.mark.parametrize(
    ("name", "stay_s", "car_leaves_after_s", "confirm_s", "pushed_start"),
    [
        ("driver gets in at 32 s, drives off 8 s later: no push", 32, 8.0, 15.0, False),
        ("the same without a hold: pushed", 32, 8.0, 0.0, True),
        ("driver gets in at 32 s, drives off 30 s later: pushed", 32, 30.0, 15.0, True),
        ("stays a minute, car never leaves: pushed", 60, None, 15.0, True),
    ],
)
def test_push_confirmation(
    name: str, stay_s: float, car_leaves_after_s: float | None, confirm_s: float, pushed_start: bool
) -> None:
    steps = run_stage(scene(stay_s, IN_DOOR, car_leaves_after_s), confirm_s)
    (start,) = [a for a in steps if a.phase is AlertPhase.START]
    assert (start.severity is not Severity.GREEN) is pushed_start, name
    assert [a.phase for a in steps][0] is AlertPhase.START and steps[-1].phase is AlertPhase.END, "order kept"
    assert start.dwell_s == pytest.approx(30.0, abs=0.3), "held, not changed: the start says when it began"
    if not pushed_start:
        assert start.end_reason == "vehicle_moved" and any("drove off" in r for r in start.risk_reasons)


def test_held_start_goes_out_when_the_hold_runs_out() -> None:
    frames = scene(60, IN_DOOR, None)
    camera = CameraConfig(id="cam-test", loitering={"push_confirm_s": 15.0})
    stage = RuleStage(SiteConfig(cameras=(camera,)))
    sent_at = next(f.ts for f in frames for a in stage.process(f) if getattr(a, "phase", None) is AlertPhase.START)
    first = frames[0].ts + 5
    assert sent_at == pytest.approx(first + 30 + 15, abs=0.3)

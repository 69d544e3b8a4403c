"""Device rules as pure logic: silence of cameras and terminals, and the tier of a device alert (configured tier,
night hours, a linked risky door entry)."""

from __future__ import annotations

from alerts.models import AlertPhase
from detectors.access.correlation import Correlation
from detectors.access.types import LinkedEntry
from detectors.behaviour.incidents import IncidentPhase
from detectors.devices.findings import DeviceFinding, DeviceRule
from detectors.devices.silence import SilenceWatch
from streams.config import SiteConfig
from streams.stages.device_alerts import device_alert
from tests.access_builders import AFTERNOON, NIGHT_1AM


def test_silence_starts_once_after_the_limit_and_ends_when_heard_again() -> None:
    watch = SilenceWatch(DeviceRule.CAMERA_OFFLINE, "camera", after_s=30)
    assert watch.seen("cam", 100.0) == [] and watch.seen("cam", 101.0) == []
    assert watch.check(130.9) == []
    started = watch.check(131.0)
    assert [(f.phase, f.started_at, f.ts) for f in started] == [(IncidentPhase.START, 101.0, 131.0)]
    assert watch.check(200.0) == []  # once
    ended = watch.seen("cam", 205.0)
    assert [(f.phase, f.started_at) for f in ended] == [(IncidentPhase.END, 101.0)]
    assert watch.check(220.0) == []


def test_start_is_the_same_whenever_it_is_checked() -> None:
    """Two workers reading the same liveness at different moments produce the same step (dedupe by event id)."""
    early, late = (
        SilenceWatch(DeviceRule.TERMINAL_SILENT, "terminal", 60),
        SilenceWatch(DeviceRule.TERMINAL_SILENT, "terminal", 60),
    )
    early.seen("t", 0.0)
    late.seen("t", 0.0)
    a, b = early.check(61.0), late.check(95.0)
    config = SiteConfig()
    assert device_alert(config, a[0], "x").event_id == device_alert(config, b[0], "x").event_id


def test_a_finished_stream_is_not_an_offline_camera() -> None:
    watch = SilenceWatch(DeviceRule.CAMERA_OFFLINE, "camera", after_s=30)
    watch.seen("cam", 0.0)
    assert watch.forget("cam") == [] and watch.check(1000.0) == []


def finding(ts: float, rule: DeviceRule = DeviceRule.CAMERA_COVERED) -> DeviceFinding:
    return DeviceFinding(rule, IncidentPhase.START, "camera", "cam-1", ts - 10, ts, "covered")


def entry(tier: str) -> Correlation:
    linked = LinkedEntry(
        event_id="e1", door_id="gate-2", door_name="Gate 2", ts=0, result="granted", risk_tier=tier, reason="watch list"
    )
    return Correlation(entries=(linked,), tier=tier)  # type: ignore[arg-type]


def test_tier_follows_configuration_night_and_linked_entries() -> None:
    config = SiteConfig()
    day = device_alert(config, finding(AFTERNOON), "s")
    assert (day.severity.value, day.phase, day.rule) == ("yellow", AlertPhase.START, "camera_covered")
    assert device_alert(config, finding(NIGHT_1AM), "s").severity.value == "red"  # night hours: one tier up
    linked = device_alert(config, finding(AFTERNOON), "s", correlation=entry("red"))
    assert linked.severity.value == "red" and linked.linked_entries and "linked" in linked.message
    quiet = SiteConfig.model_validate({"devices": {"severity": {"camera_covered": "green"}}})
    assert device_alert(quiet, finding(AFTERNOON), "s").severity.value == "green"
    assert device_alert(quiet, finding(AFTERNOON), "s", correlation=entry("yellow")).severity.value == "yellow"

"""Risk score per incident: the points, the reasons officers read, the tiers, and zone schedules on event time."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from detectors.behaviour.risk import IncidentFacts, RiskConfig, ScheduleWindow, assess
from tests.access_builders import AFTERNOON, NIGHT_1AM, SHANGHAI

CONFIG = RiskConfig()


def facts(**overrides: object) -> IncidentFacts:
    base: dict[str, object] = {"rule": "loitering", "started_at": AFTERNOON, "dwell_s": 30.0, "dwell_threshold_s": 30.0}
    return IncidentFacts(**{**base, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "score", "tier"),
    [
        ({}, 45, "yellow"),  # a stay at the dwell threshold, in the afternoon
        ({"dwell_s": 150.0}, 65, "yellow"),  # two more minutes at the car
        ({"dwell_s": 600.0}, 85, "red"),  # ten minutes: the extra is capped at 40
        ({"started_at": NIGHT_1AM}, 60, "yellow"),  # the night adds 15
        ({"started_at": NIGHT_1AM, "dwell_s": 90.0}, 70, "red"),  # a minute more at night tips it
        ({"linked_tiers": ("yellow",)}, 75, "red"),
        ({"linked_tiers": ("yellow", "red")}, 95, "red"),
        ({"resident_entries": 1}, 25, "green"),  # a resident just came in through the gate: owner-like
        ({"left_with_car": True, "dwell_s": 90.0}, 15, "green"),  # got in and drove off
        ({"linked_tiers": ("red",), "resident_entries": 2}, 75, "red"),  # a suspect came in too: still red
        ({"rule": "casing", "cars": 3}, 70, "red"),
        ({"rule": "casing", "cars": 5}, 90, "red"),
    ],
)
def test_score_and_tier(overrides: dict[str, object], score: int, tier: str) -> None:
    risk = assess(facts(**overrides), CONFIG)
    assert (risk.score, risk.tier) == (score, tier)
    assert sum(int(reason.split()[0]) for reason in risk.reasons) == score


def test_reasons_say_what_counted() -> None:
    risk = assess(facts(started_at=NIGHT_1AM, dwell_s=52.0, linked_tiers=("red",)), CONFIG)
    assert risk.reasons == (
        "+48 stayed 52 s at a parked car",
        "+15 night hours (23:00-05:00)",
        "+50 linked to a red-tier door entry",
    )


def test_camera_schedule_replaces_the_sites() -> None:
    quiet_day = (ScheduleWindow(name="school run", start=time(7, 0), end=time(9, 0), add=-20),)
    morning = datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI).timestamp()
    assert assess(facts(started_at=morning), CONFIG, quiet_day).score == 25
    assert assess(facts(started_at=NIGHT_1AM), CONFIG, quiet_day).score == 45  # the site's night no longer applies
    assert assess(facts(started_at=morning, dwell_s=10), CONFIG, quiet_day).tier == "green"


def test_tiers_are_configurable() -> None:
    assert assess(facts(), RiskConfig(red_at=40)).tier == "red"
    with pytest.raises(ValueError, match="unknown time zone"):
        RiskConfig(timezone="Atlantis/Capital")


def test_named_zone_gives_the_alert_its_name_and_its_hours() -> None:
    from streams.config import SiteConfig
    from streams.stages.assembly import risk_scored
    from tests.alert_builders import alert_event

    zones = [
        {
            "name": "Row B",
            "polygon": [[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]],  # lower half of the view
            "schedules": [{"name": "always watched", "start": "00:00", "end": "23:59", "add": 30}],
        },
        {"name": "Road", "polygon": [[0.0, 0.0], [1.0, 0.0], [1.0, 0.5], [0.0, 0.5]]},
    ]
    config = SiteConfig(cameras=({"id": "row-b", "zone": "Car park", "zones": zones},))  # type: ignore[arg-type]
    in_row_b = risk_scored(alert_event(camera_id="row-b", started_at=AFTERNOON), config)  # feet at y=220 of 360
    assert in_row_b.zone == "Row B" and in_row_b.risk_score == 75 and in_row_b.severity.value == "red"
    on_road = alert_event(camera_id="row-b", started_at=AFTERNOON).model_copy(
        update={"person_box": (100, 20, 140, 150)}
    )
    scored = risk_scored(on_road, config)
    assert scored.zone == "Road" and scored.risk_score == 45  # no hours of its own: the site's, none now

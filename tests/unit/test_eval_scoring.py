"""Scoring of alerts against scenario labels: matches, misses, false and duplicate alerts, background activity."""

from __future__ import annotations

from typing import Any

from alerts.models import AlertEvent, AlertPhase
from streams.evaluation.rules_eval import ScenarioResult, joined_starts, score
from tests.alert_builders import alert_event

T0 = 1_795_000_000.0


def label(kind: str, expect: list[str], persons: list[int], synthetic: bool = True) -> dict[str, Any]:
    return {
        "scenario": kind,
        "kind": kind,
        "expect": expect,
        "persons": persons,
        "start": T0,
        "end": T0 + 60,
        "synthetic": synthetic,
    }


def alert(person: int, rule: str = "casing", started: float = T0 + 5) -> AlertEvent:
    event = alert_event(f"a{person}{rule}{started}".ljust(20, "x")[:20], started_at=started)
    return event.model_copy(update={"person_track_id": person, "rule": rule})


def test_scoring() -> None:
    results = [
        ScenarioResult(label("casing", ["casing"], [900]), [alert(900)], 120),  # detected
        ScenarioResult(label("casing", ["casing"], [910, 911]), [alert(911), alert(911, started=T0 + 9)], 120),  # dup
        ScenarioResult(label("casing", ["casing"], [920]), [alert(920, started=T0 + 500)], 120),  # too late: false
        ScenarioResult(label("dwell", ["loitering"], [930]), [], 120),  # missed
        ScenarioResult(label("pass_by", [], [940]), [alert(940)], 120),  # a negative that alerted
        ScenarioResult(label("casing", ["casing"], [950]), [alert(7, "loitering")], 120),  # the scene's own person
        ScenarioResult(label("normal", [], [], synthetic=False), [alert(7, "loitering")], 1800),
    ]
    rules, extra = score(results, slack_s=10)
    casing, loitering = rules["casing"], rules["loitering"]
    assert (casing.labelled, casing.detected, casing.duplicates, casing.false_alerts) == (4, 2, 1, 2)
    assert casing.recall == 0.5 and casing.precision == 0.5
    assert (loitering.labelled, loitering.detected, loitering.recall) == (1, 0, 0.0)
    assert extra["negatives"] == {"alerts": 1, "scenarios": 1}
    assert extra["background"]["alerts"] == 1 and extra["background"]["hours"] == 0.5


def test_a_person_who_joins_a_group_alert_is_alerted_from_that_step() -> None:
    """One alert for a group at a car: the later member is alerted by the update that first lists them."""
    lead = alert(7, "loitering", started=T0 - 100)
    update = lead.model_copy(
        update={"phase": AlertPhase.UPDATE, "ts": T0 + 40, "group_track_ids": (7, 930), "event_id": "u1"}
    )
    listed: set[tuple[str, int]] = set()
    joined = joined_starts(lead, listed) + joined_starts(update, listed) + joined_starts(update, listed)
    assert [(a.person_track_id, a.started_at) for a in joined] == [(930, T0 + 40)], "listed once, at the join"
    rules, _ = score([ScenarioResult(label("dwell", ["loitering"], [930]), [lead, *joined], 120)], slack_s=10)
    assert (rules["loitering"].detected, rules["loitering"].false_alerts) == (1, 0)

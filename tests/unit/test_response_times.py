"""Response-time arithmetic: seconds to each stage from the audit trail, percentiles, targets per site and responder."""

from __future__ import annotations

import pytest

from alerts.response_times import AlertResponse, Step, percentile, response_of, summarize

OPENED = 1_000.0


def test_each_stage_is_the_first_transition_reaching_it() -> None:
    steps = [
        Step("acknowledged", OPENED + 40),
        Step("dispatched", OPENED + 100, responder="guard1"),
        Step("en_route", OPENED + 110),
        Step("on_scene", OPENED + 250),
        Step("resolved", OPENED + 900),
    ]
    response = response_of("site-a", OPENED, steps)
    assert response.seconds == {"acknowledged": 40.0, "dispatched": 100.0, "on_scene": 250.0}
    assert response.responder == "guard1"


def test_a_later_stage_implies_the_earlier_ones_and_a_reopen_does_not_count_again() -> None:
    straight = response_of("site-a", OPENED, [Step("dispatched", OPENED + 30, "patrol7")])
    assert straight.seconds == {"acknowledged": 30.0, "dispatched": 30.0}
    reopened = response_of(
        "site-a",
        OPENED,
        [Step("false_alarm", OPENED + 20), Step("acknowledged", OPENED + 600), Step("acknowledged", OPENED + 700)],
    )
    assert reopened.seconds == {"acknowledged": 600.0}, "a false alarm is not an acknowledgement"
    assert response_of("site-a", OPENED, []).seconds == {} and response_of("s", OPENED, []).responder == "-"


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 50, None),
        ([7.0], 90, 7.0),
        ([1, 2, 3, 4], 50, 2),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9),
        ([5, 1], 90, 5),
    ],
)
def test_nearest_rank_percentile(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected


def test_summary_per_site_and_responder_against_the_1_3_5_targets() -> None:
    guard = [
        AlertResponse("site-a", "guard1", {"acknowledged": s, "dispatched": s * 2, "on_scene": s * 4})
        for s in (30, 50, 90)
    ]
    nobody = [AlertResponse("site-a", "-", {"acknowledged": 20.0})]
    other_site = [AlertResponse("site-b", "guard1", {"acknowledged": 10.0})]
    rows = summarize(guard + nobody + other_site)
    assert [(r["site_id"], r["responder"], r["alerts"]) for r in rows] == [
        ("site-a", "-", 1),
        ("site-a", "guard1", 3),
        ("site-b", "guard1", 1),
    ]
    ack = rows[1]["acknowledged"]
    assert ack == {"count": 3, "p50_s": 50, "p90_s": 90, "target_s": 60.0, "within_target": 0.667}
    assert rows[1]["on_scene"] == {"count": 3, "p50_s": 200, "p90_s": 360, "target_s": 300.0, "within_target": 0.667}
    assert rows[0]["dispatched"]["count"] == 0 and rows[0]["dispatched"]["within_target"] is None  # type: ignore[index]
    strict = summarize(guard, {"acknowledged": 45.0, "dispatched": 180.0, "on_scene": 300.0})
    assert strict[0]["acknowledged"]["within_target"] == 0.333  # type: ignore[index]

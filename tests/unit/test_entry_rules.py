"""Entry rules on constructed door-event sequences, on event time (table-driven)."""

from __future__ import annotations

import pytest

from detectors.access.entry_config import EntryRulesConfig, NightSchedule
from detectors.access.entry_rules import EntryRules, WatchHit
from detectors.access.types import AccessResult
from tests.access_builders import AFTERNOON, NIGHT_1AM, access_event

RED_HIT = WatchHit(tier="red", label="Suspect A", reason="case 113", matched_by="employee")
DENIED, STRANGER, GRANTED = AccessResult.DENIED, AccessResult.STRANGER, AccessResult.GRANTED


def rules(**overrides: object) -> EntryRules:
    return EntryRules(EntryRulesConfig.model_validate(overrides))


def test_watch_listed_person_raises_red_alert_and_risky_entry() -> None:
    outcome = rules().observe(access_event(ts=AFTERNOON), RED_HIT)
    (finding,) = outcome.findings
    assert (finding.rule, finding.phase, finding.tier, finding.person_label) == (
        "watchlist_entry",
        "start",
        "red",
        "Suspect A",
    )
    assert "Suspect A" in finding.reason and "case 113" in finding.reason
    assert outcome.risky is not None and outcome.risky.risk_tier == "red"


def test_watch_list_rule_can_be_turned_off() -> None:
    assert rules(watchlist=False).observe(access_event(ts=AFTERNOON), RED_HIT).findings == ()


@pytest.mark.parametrize(
    ("offsets", "results", "expected_phases"),
    [
        ((0, 60, 120), (DENIED, STRANGER, DENIED), [None, None, "start"]),  # third refusal within 300 s
        ((0, 200, 400), (DENIED, DENIED, DENIED), [None, None, None]),  # never 3 within 300 s
        ((0, 60, 120, 180), (DENIED,) * 4, [None, None, "start", "update"]),  # one incident, updated
        ((0, 60, 120, 1000, 1060, 1120), (DENIED,) * 6, [None, None, "start", None, None, "start"]),  # a new burst
        ((0, 60, 120), (DENIED, GRANTED, DENIED), [None, None, None]),  # a granted entry is not a refusal
        ((0, 60, 120), (AccessResult.FACE_MISMATCH,) * 3, [None, None, "start"]),
    ],
)
def test_refused_attempts_burst(
    offsets: tuple[int, ...], results: tuple[AccessResult, ...], expected_phases: list[str | None]
) -> None:
    engine = rules(refused_attempts=3, refused_window_s=300, night=None)
    phases = []
    for offset, result in zip(offsets, results, strict=True):
        outcome = engine.observe(access_event(ts=AFTERNOON + offset, result=result, employee=None), None)
        burst = [f for f in outcome.findings if f.rule == "refused_attempts"]
        phases.append(burst[0].phase if burst else None)
    assert phases == expected_phases


def test_burst_keeps_one_alert_key_and_counts_attempts() -> None:
    engine = rules(night=None)
    outs = [engine.observe(access_event(ts=AFTERNOON + i * 10, result=DENIED, employee=None)) for i in range(5)]
    steps = [f for o in outs for f in o.findings]
    assert [s.attempts for s in steps] == [3, 4, 5]
    assert len({s.key for s in steps}) == 1
    assert all(s.started_at == AFTERNOON for s in steps)


def test_out_of_order_refusal_within_lateness_counts_at_its_own_time() -> None:
    engine = rules(night=None, allowed_lateness_s=600)
    engine.observe(access_event(ts=AFTERNOON + 100, result=DENIED, employee=None))
    engine.observe(access_event(ts=AFTERNOON + 200, result=DENIED, employee=None))
    late = engine.observe(access_event(ts=AFTERNOON, result=DENIED, employee=None))  # arrives last, happened first
    assert [f.rule for f in late.findings] == ["refused_attempts"]


def test_event_beyond_allowed_lateness_is_reported_not_applied() -> None:
    engine = rules(allowed_lateness_s=60)
    engine.observe(access_event(ts=AFTERNOON + 600))
    outcome = engine.observe(access_event(ts=AFTERNOON, employee="someone-else"), RED_HIT)
    assert outcome.findings == () and outcome.too_late_by_s == pytest.approx(600)


def test_repeated_event_is_a_duplicate() -> None:
    engine = rules()
    event = access_event(ts=AFTERNOON)
    assert engine.observe(event, RED_HIT).findings
    repeat = engine.observe(event, RED_HIT)
    assert repeat.duplicate and repeat.findings == ()


def test_replayed_stream_has_its_own_watermark() -> None:
    engine = rules(allowed_lateness_s=60)
    engine.observe(access_event(ts=AFTERNOON + 86400))  # live, a day later
    replayed = engine.observe(access_event(ts=AFTERNOON, stream_id="replay-1"), RED_HIT)
    assert replayed.too_late_by_s is None and replayed.findings


@pytest.mark.parametrize(
    ("ts", "employee", "user_type", "result", "night_alert", "risky"),
    [
        (NIGHT_1AM, None, None, GRANTED, True, True),  # nobody identified came in at 01:00
        (NIGHT_1AM, "ref-v", "visitor", GRANTED, True, True),  # a visitor credential at night
        (NIGHT_1AM, "ref-r", "normal", GRANTED, False, False),  # a resident coming home
        (AFTERNOON, None, None, GRANTED, False, False),  # daytime
        (NIGHT_1AM, None, None, STRANGER, False, True),  # an unknown face at night: risky, no alert by itself
        (NIGHT_1AM, None, None, AccessResult.OTHER, False, False),  # door status events never count
    ],
)
def test_night_entries(
    ts: float, employee: str | None, user_type: str | None, result: AccessResult, night_alert: bool, risky: bool
) -> None:
    outcome = rules().observe(access_event(ts=ts, employee=employee, user_type=user_type, result=result))
    assert any(f.rule == "night_entry" for f in outcome.findings) is night_alert
    assert (outcome.risky is not None) is risky


@pytest.mark.parametrize(
    ("start", "end", "local_hour", "inside"),
    [
        ("23:00", "05:00", 1, True),
        ("23:00", "05:00", 22, False),
        ("01:00", "04:00", 2, True),
        ("01:00", "04:00", 5, False),
    ],
)
def test_night_schedule_handles_midnight(start: str, end: str, local_hour: int, inside: bool) -> None:
    night = NightSchedule.model_validate({"start": start, "end": end})
    ts = NIGHT_1AM + (local_hour - 1) * 3600
    assert night.contains(ts, "Asia/Shanghai") is inside


def test_unknown_time_zone_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        EntryRulesConfig(timezone="Mars/Olympus")


@pytest.mark.parametrize(
    ("employee", "user_type", "result", "watch", "resident"),
    [
        ("ref-r", "normal", GRANTED, None, True),  # a resident's own credential
        ("ref-v", "visitor", GRANTED, None, False),
        (None, None, GRANTED, None, False),  # nobody identified
        ("ref-r", "normal", DENIED, None, False),
        ("ref-r", "normal", GRANTED, RED_HIT, False),  # on the watch list: never reassuring
    ],
)
def test_resident_home(
    employee: str | None, user_type: str | None, result: AccessResult, watch: WatchHit | None, resident: bool
) -> None:
    event = access_event(ts=AFTERNOON, employee=employee, user_type=user_type, result=result)
    assert rules().observe(event, watch).resident_home is resident


def test_state_moves_with_its_partition_key() -> None:
    """Saved per partition key: a door (live) or a replayed log's stream; restoring one leaves the others."""
    import pickle

    engine = rules(night=None)
    for i in range(2):
        engine.observe(access_event(ts=AFTERNOON + i, result=DENIED, employee=None, door="gate-2"))
        engine.observe(access_event(ts=AFTERNOON + i, result=DENIED, employee=None, door="lobby", stream_id="replay-x"))
    gate, log = engine.export_state("gate-2"), engine.export_state("replay-x")
    assert list(gate) == ["live/gate-2"] and list(log) == ["replay-x/lobby"]  # type: ignore[call-overload]
    fresh = rules(night=None)
    fresh.restore_state("gate-2", pickle.loads(pickle.dumps(gate)))
    third = fresh.observe(access_event(ts=AFTERNOON + 2, result=DENIED, employee=None, door="gate-2"))
    assert [f.rule for f in third.findings] == ["refused_attempts"]  # the two earlier refusals were kept
    assert fresh.export_state("replay-x") is None

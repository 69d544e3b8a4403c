"""Alert lifecycle, escalation and the push rule: pure decisions, table-driven, on the times they are given."""

from __future__ import annotations

import pytest

from alerts.config import EscalationConfig, EscalationLevel, PushPolicy
from alerts.delivery.escalation import due_level
from alerts.delivery.push import should_push
from alerts.lifecycle import Action, AlertState, LifecycleState, Role, decide
from alerts.models import AlertPhase, Severity
from tests.alert_builders import alert_event

S = AlertState
A = Action


def state(current: AlertState, last: Action | None = None, escalations: int = 0, at: float = 1000.0) -> LifecycleState:
    return LifecycleState(alert_id="a" * 20, state=current, last_action=last, updated_at=at, escalations=escalations)


@pytest.mark.parametrize(
    ("current", "action", "role", "note", "ok", "to", "changed"),
    [
        (S.NEW, A.ACKNOWLEDGE, Role.OFFICER, "", True, S.ACKNOWLEDGED, True),
        (S.NEW, A.DISPATCH, Role.OFFICER, "", True, S.DISPATCHED, True),
        (S.ACKNOWLEDGED, A.DISPATCH, Role.OFFICER, "", True, S.DISPATCHED, True),
        (S.DISPATCHED, A.RESOLVE, Role.OFFICER, "", True, S.RESOLVED, True),
        (S.ACKNOWLEDGED, A.FALSE_ALARM, Role.OFFICER, "resident loading the boot", True, S.FALSE_ALARM, True),
        (S.NEW, A.RESOLVE, Role.OFFICER, "", False, S.NEW, False),  # nobody has looked at it yet
        (S.RESOLVED, A.ACKNOWLEDGE, Role.OFFICER, "", False, S.RESOLVED, False),
        (S.ACKNOWLEDGED, A.FALSE_ALARM, Role.OFFICER, "  ", False, S.ACKNOWLEDGED, False),  # needs a note
        (S.RESOLVED, A.REOPEN, Role.OFFICER, "wrong car", False, S.RESOLVED, False),  # supervisors only
        (S.RESOLVED, A.REOPEN, Role.SUPERVISOR, "wrong car", True, S.ACKNOWLEDGED, True),
        (S.FALSE_ALARM, A.REOPEN, Role.ADMIN, "it was him", True, S.ACKNOWLEDGED, True),
    ],
)
def test_transitions(
    current: AlertState, action: Action, role: Role, note: str, ok: bool, to: AlertState, changed: bool
) -> None:
    outcome = decide(state(current), action, role, note)
    assert (outcome.ok, outcome.state, outcome.changed) == (ok, to, changed)
    assert outcome.ok or outcome.reason, "a refusal must say why"


def test_repeating_the_last_action_is_idempotent() -> None:
    outcome = decide(state(S.ACKNOWLEDGED, A.ACKNOWLEDGE), A.ACKNOWLEDGE, Role.OFFICER)
    assert outcome.ok and not outcome.changed and outcome.state is S.ACKNOWLEDGED


ESCALATION = EscalationConfig(
    ack_within_s={Severity.RED: 120, Severity.YELLOW: 600},
    levels=(EscalationLevel(name="duty-desk", channels=("a",)), EscalationLevel(name="chief", channels=("b",))),
)


@pytest.mark.parametrize(
    ("current", "severity", "escalations", "elapsed", "level"),
    [
        (S.NEW, Severity.RED, 0, 119, None),
        (S.NEW, Severity.RED, 0, 120, 0),  # two minutes without acknowledgement: the duty desk
        (S.NEW, Severity.RED, 1, 200, None),
        (S.NEW, Severity.RED, 1, 240, 1),  # two more: the chief
        (S.NEW, Severity.RED, 2, 10_000, None),  # no level left
        (S.NEW, Severity.YELLOW, 0, 599, None),
        (S.NEW, Severity.YELLOW, 0, 600, 0),
        (S.NEW, Severity.GREEN, 0, 10_000, None),  # not listed: never escalates
        (S.ACKNOWLEDGED, Severity.RED, 0, 10_000, None),  # someone has it
    ],
)
def test_escalation_due(
    current: AlertState, severity: Severity, escalations: int, elapsed: float, level: int | None
) -> None:
    assert (
        due_level(state(current, escalations=escalations, at=1000.0), severity, 1000.0 + elapsed, ESCALATION) == level
    )


POLICY = PushPolicy(severities=(Severity.RED, Severity.YELLOW))


@pytest.mark.parametrize(
    ("phase", "severity", "last", "push"),
    [
        (AlertPhase.START, Severity.YELLOW, None, True),  # the incident starts: push at once
        (AlertPhase.START, Severity.YELLOW, Severity.YELLOW, False),  # a redelivered start: not twice
        (AlertPhase.UPDATE, Severity.YELLOW, Severity.YELLOW, False),  # dwell grows: no spam
        (AlertPhase.UPDATE, Severity.RED, Severity.YELLOW, True),  # linked to a watch-listed entry: push again
        (AlertPhase.UPDATE, Severity.YELLOW, Severity.RED, False),
        (AlertPhase.END, Severity.RED, None, False),  # never at the end
        (AlertPhase.START, Severity.GREEN, None, False),  # not a severity this channel takes
    ],
)
def test_push_rule(phase: AlertPhase, severity: Severity, last: Severity | None, push: bool) -> None:
    assert should_push(alert_event(phase=phase, severity=severity), POLICY, last) is push

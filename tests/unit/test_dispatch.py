"""Dispatch to a responder: the guard or patrol account sent takes the "on my way" / "on scene" / "resolved" steps;
nobody else in those roles can, and responders cannot acknowledge or dispatch."""

from __future__ import annotations

import pytest

from alerts.lifecycle import Action, AlertState, LifecycleState, Role, decide

S, A = AlertState, Action


def sent_to(current: AlertState, responder: str | None = "guard1") -> LifecycleState:
    return LifecycleState(alert_id="a" * 20, state=current, responder=responder, updated_at=1000.0)


@pytest.mark.parametrize(
    ("current", "action", "role", "by", "ok", "to"),
    [
        (S.DISPATCHED, A.ON_MY_WAY, Role.GUARD, "guard1", True, S.EN_ROUTE),
        (S.EN_ROUTE, A.ON_SCENE, Role.GUARD, "guard1", True, S.ON_SCENE),
        (S.DISPATCHED, A.ON_SCENE, Role.PATROL, "guard1", True, S.ON_SCENE),  # already there: skips "on my way"
        (S.ON_SCENE, A.RESOLVE, Role.GUARD, "guard1", True, S.RESOLVED),
        (S.DISPATCHED, A.ON_MY_WAY, Role.GUARD, "guard2", False, S.DISPATCHED),  # sent someone else
        (S.NEW, A.ACKNOWLEDGE, Role.GUARD, "guard1", False, S.NEW),  # responders do not triage
        (S.ACKNOWLEDGED, A.DISPATCH, Role.PATROL, "guard1", False, S.ACKNOWLEDGED),
        (S.ON_SCENE, A.ON_MY_WAY, Role.GUARD, "guard1", False, S.ON_SCENE),  # no going back
        (S.EN_ROUTE, A.RESOLVE, Role.OFFICER, "officer1", True, S.RESOLVED),  # the desk may close it
        (S.ON_SCENE, A.FALSE_ALARM, Role.OFFICER, "officer1", False, S.ON_SCENE),  # ... a false alarm needs a note
    ],
)
def test_responder_steps(current: AlertState, action: Action, role: Role, by: str, ok: bool, to: AlertState) -> None:
    outcome = decide(sent_to(current), action, role, by=by)
    assert (outcome.ok, outcome.state) == (ok, to), outcome.reason


def test_an_alert_dispatched_to_nobody_in_particular_takes_no_responder_steps() -> None:
    outcome = decide(sent_to(S.DISPATCHED, responder=None), A.ON_MY_WAY, Role.GUARD, by="guard1")
    assert not outcome.ok and "dispatched to nobody" in outcome.reason


def test_dispatch_names_a_responder_or_nobody() -> None:
    new = sent_to(S.ACKNOWLEDGED, responder=None)
    assert decide(new, A.DISPATCH, Role.OFFICER, by="officer1", responder="guard1").state is S.DISPATCHED
    assert decide(new, A.DISPATCH, Role.OFFICER, by="officer1").state is S.DISPATCHED
    assert not decide(new, A.DISPATCH, Role.OFFICER, by="officer1", responder="  ").ok

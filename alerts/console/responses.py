"""Response times for the console: gathered from the alert store and the audit trails, summarized per site and
responder (`alerts/response_times.py` does the arithmetic), and reported to metrics as stages are reached."""

from __future__ import annotations

import logging
from collections.abc import Callable

from alerts.lifecycle import LifecycleStore, Transition
from alerts.response_times import AlertResponse, Step, response_of
from alerts.store import AlertStore

logger = logging.getLogger(__name__)

# (stage, site, responder, seconds): the worker wires this to its Prometheus histogram
ResponseObserver = Callable[[str, str, str, float], None]


def steps_of(history: list[Transition]) -> list[Step]:
    return [Step(t.to_state.value, t.at, t.responder) for t in history]


async def gather(store: AlertStore, lifecycle: LifecycleStore, limit: int = 500) -> list[AlertResponse]:
    """The newest `limit` alerts that have a lifecycle with its opening time."""
    out = []
    for alert_id in await store.list_ids(limit=limit):
        state, alert = await lifecycle.get(alert_id), await store.get(alert_id)
        if state is None or state.opened_at is None or alert is None:
            continue
        out.append(response_of(alert.site_id, state.opened_at, steps_of(await lifecycle.history(alert_id))))
    return out


async def observe_new_stages(
    store: AlertStore, lifecycle: LifecycleStore, alert_id: str, observe: ResponseObserver
) -> None:
    """After a transition: report each stage it reached for the first time (a reopen does not count twice)."""
    state, alert = await lifecycle.get(alert_id), await store.get(alert_id)
    if state is None or state.opened_at is None or alert is None:
        return
    history = await lifecycle.history(alert_id)
    before = response_of(alert.site_id, state.opened_at, steps_of(history[:-1]))
    after = response_of(alert.site_id, state.opened_at, steps_of(history))
    for stage, seconds in after.seconds.items():
        if stage not in before.seconds:
            observe(stage, after.site_id, after.responder, seconds)

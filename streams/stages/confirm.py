"""Push confirmation: a car-park alert's yellow start step held a short, configurable time of event time.

Why: a driver who has stood at their car for the dwell threshold and then gets in and drives off is an owner,
and the rule knows it once the car leaves with them (end reason `vehicle_moved`). Holding a yellow-only start for
`loitering.push_confirm_s` lets that evidence count before the officer's phone rings: the start is then sent
already knowing how the incident ended (green, never pushed). Red starts, escalations to red and every other
step pass at once; a held start is sent as soon as its incident ends any other way, its hold runs out, or the
stream ends. Off by default (0 s): docs/owners.md says why.
"""

from __future__ import annotations

from collections.abc import Callable

from alerts.models import AlertEvent, AlertPhase, Severity, StreamEnd

GOT_IN_AND_LEFT = "vehicle_moved"


class PushHold:
    """Per camera: the held start steps (and the updates behind them), by alert id, in arrival order."""

    def __init__(self) -> None:
        self._held: dict[str, list[AlertEvent]] = {}

    def __len__(self) -> int:
        return len(self._held)

    def pass_through(
        self,
        steps: list[AlertEvent | StreamEnd],
        now: float,
        hold_s: float,
        rescore: Callable[[AlertEvent], AlertEvent],
    ) -> list[AlertEvent | StreamEnd]:
        """The steps to send now, in order; `rescore` scores a held step again once its end is known."""
        out: list[AlertEvent | StreamEnd] = []
        for step in steps:
            if isinstance(step, StreamEnd):
                out += self._release(list(self._held))
                out.append(step)
                continue
            held = self._held.get(step.alert_id)
            if held is None:
                if hold_s > 0 and _holdable(step):
                    self._held[step.alert_id] = [step]
                else:
                    out.append(step)
            elif step.phase is AlertPhase.END and step.end_reason == GOT_IN_AND_LEFT:
                del self._held[step.alert_id]
                out += [rescore(h.model_copy(update={"end_reason": GOT_IN_AND_LEFT})) for h in held]
                out.append(step)
            elif step.phase is AlertPhase.END or step.severity is Severity.RED:
                out += self._release([step.alert_id])
                out.append(step)
            else:
                held.append(step)
        out += self._release([aid for aid, held in self._held.items() if now - held[0].ts >= hold_s])
        return out

    def _release(self, alert_ids: list[str]) -> list[AlertEvent | StreamEnd]:
        return [step for aid in alert_ids for step in self._held.pop(aid, [])]


def _holdable(step: AlertEvent) -> bool:
    """A yellow start of a stay at a car: the only step a got-in-and-left ending can still turn green."""
    return step.phase is AlertPhase.START and step.severity is Severity.YELLOW and step.rule == "loitering"

"""Who is handling an alert: new -> acknowledged -> dispatched -> en_route -> on_scene -> resolved | false_alarm,
with an audit trail. A dispatch names its responder (a guard or patrol account); only they take the responder's
steps ("on my way", "on scene") for that alert, and each step is a transition in the trail.

`decide` is the pure rule (which action is allowed from which state, for which role); `LifecycleStore` applies
it in Redis atomically, so two officers pressing buttons at once get one transition and one clear refusal.
Repeating the action that made the current state (a double tap, a retried request) changes nothing and is
not an error. Keys: lifecycle:{id} JSON state | lifecycle:{id}:log list of transitions | lifecycle:open zset.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis.asyncio as aioredis
from pydantic import BaseModel, ConfigDict, Field
from redis.exceptions import WatchError

logger = logging.getLogger(__name__)


class AlertState(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    RESOLVED = "resolved"
    FALSE_ALARM = "false_alarm"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    DISPATCH = "dispatch"
    ON_MY_WAY = "on_my_way"
    ON_SCENE = "on_scene"
    RESOLVE = "resolve"
    FALSE_ALARM = "false_alarm"
    REOPEN = "reopen"


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    GUARD = "guard"  # the compound's guard: a responder
    PATROL = "patrol"  # a patrol car or foot patrol: a responder


RESPONDERS = frozenset({Role.GUARD, Role.PATROL})
OPEN_STATES = frozenset(
    {AlertState.NEW, AlertState.ACKNOWLEDGED, AlertState.DISPATCHED, AlertState.EN_ROUTE, AlertState.ON_SCENE}
)
_ON_THE_WAY = frozenset({AlertState.DISPATCHED, AlertState.EN_ROUTE, AlertState.ON_SCENE})
_RULES: dict[Action, tuple[frozenset[AlertState], AlertState]] = {
    Action.ACKNOWLEDGE: (frozenset({AlertState.NEW}), AlertState.ACKNOWLEDGED),
    Action.DISPATCH: (frozenset({AlertState.NEW, AlertState.ACKNOWLEDGED}), AlertState.DISPATCHED),
    Action.ON_MY_WAY: (frozenset({AlertState.DISPATCHED}), AlertState.EN_ROUTE),
    Action.ON_SCENE: (frozenset({AlertState.DISPATCHED, AlertState.EN_ROUTE}), AlertState.ON_SCENE),
    Action.RESOLVE: (frozenset({AlertState.ACKNOWLEDGED}) | _ON_THE_WAY, AlertState.RESOLVED),
    Action.FALSE_ALARM: (frozenset(OPEN_STATES), AlertState.FALSE_ALARM),
    Action.REOPEN: (frozenset({AlertState.RESOLVED, AlertState.FALSE_ALARM}), AlertState.ACKNOWLEDGED),
}
_ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.OFFICER: frozenset(
        {Action.ACKNOWLEDGE, Action.DISPATCH, Action.ON_MY_WAY, Action.ON_SCENE, Action.RESOLVE, Action.FALSE_ALARM}
    ),
    Role.SUPERVISOR: frozenset(Action),
    Role.ADMIN: frozenset(Action),
    Role.GUARD: frozenset({Action.ON_MY_WAY, Action.ON_SCENE, Action.RESOLVE}),
    Role.PATROL: frozenset({Action.ON_MY_WAY, Action.ON_SCENE, Action.RESOLVE}),
}
NOTE_REQUIRED = frozenset({Action.FALSE_ALARM, Action.REOPEN})


class Transition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Action
    from_state: AlertState
    to_state: AlertState
    by: str
    role: Role
    at: float = Field(description="Wall-clock time the officer acted")
    note: str = Field(default="", max_length=1000)
    responder: str | None = Field(default=None, description="Dispatch: the guard or patrol account sent")
    via: str = Field(
        default="", max_length=64, description="Where the step was taken if not the console, e.g. ntfy button"
    )


class LifecycleState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: str
    state: AlertState = AlertState.NEW
    last_action: Action | None = None
    responder: str | None = Field(default=None, description="Who the alert was dispatched to")
    opened_at: float | None = Field(default=None, description="When the console got it: response times start here")
    updated_at: float
    escalations: int = Field(default=0, description="Escalation steps sent while the alert was not acknowledged")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    state: AlertState
    changed: bool = False
    reason: str = ""


def decide(
    current: LifecycleState, action: Action, role: Role, note: str = "", by: str = "", responder: str | None = None
) -> Outcome:
    """Whether `by` in `role` may take `action` now, and the state it leads to; pure."""
    allowed_from, target = _RULES[action]
    if action not in _ROLE_ACTIONS[role]:
        return Outcome(False, current.state, reason=f"a {role.value} may not {action.value} alerts")
    if role in RESPONDERS and current.responder != by:
        return Outcome(False, current.state, reason=f"this alert was dispatched to {current.responder or 'nobody'}")
    if action is Action.DISPATCH and responder is not None and not responder.strip():
        return Outcome(False, current.state, reason="dispatch needs the responder's account name")
    if current.state is target and current.last_action is action:
        return Outcome(True, current.state)  # a repeat: already done, nothing to record
    if current.state not in allowed_from:
        allowed = ", ".join(sorted(s.value for s in allowed_from))
        return Outcome(
            False,
            current.state,
            reason=f"cannot {action.value} an alert that is {current.state.value} (only from: {allowed})",
        )
    if action in NOTE_REQUIRED and not note.strip():
        return Outcome(False, current.state, reason=f"{action.value} needs a note saying why")
    return Outcome(True, target, changed=True)


class LifecycleStore:
    def __init__(self, client: aioredis.Redis, retention_s: int, prefix: str = "sentinel:") -> None:
        self.redis = client
        self.retention_s = retention_s
        self.prefix = prefix

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(("lifecycle", *parts))

    @property
    def changes_key(self) -> str:
        """Stream of every transition, for live consoles."""
        return self._key("changes")

    async def open(self, alert_id: str, at: float | None = None) -> LifecycleState:
        """Register a new alert (idempotent: an existing lifecycle is kept as it is)."""
        now = at if at is not None else time.time()
        state = LifecycleState(alert_id=alert_id, updated_at=now, opened_at=now)
        created = await self.redis.set(self._key(alert_id), state.model_dump_json(), nx=True, ex=self.retention_s)
        if created:
            await self.redis.zadd(self._key("open"), {alert_id: state.updated_at})
            return state
        return await self.get(alert_id) or state

    async def get(self, alert_id: str) -> LifecycleState | None:
        raw = await self.redis.get(self._key(alert_id))
        return LifecycleState.model_validate_json(raw) if raw else None

    async def history(self, alert_id: str) -> list[Transition]:
        return [Transition.model_validate_json(r) for r in await self.redis.lrange(self._key(alert_id, "log"), 0, -1)]

    async def apply(
        self,
        alert_id: str,
        action: Action,
        by: str,
        role: Role,
        note: str = "",
        responder: str | None = None,
        via: str = "",
    ) -> Outcome:
        """Take the action atomically; a concurrent change makes this one re-check against the new state."""
        result: list[Outcome] = []

        def change(current: LifecycleState | None, pipe: Any) -> LifecycleState | None:
            if current is None:
                result[:] = [Outcome(False, AlertState.NEW, reason=f"no alert {alert_id}")]
                return None
            outcome = decide(current, action, role, note, by, responder)
            result[:] = [outcome]
            if not outcome.changed:
                return None
            now = time.time()
            step = Transition(
                action=action,
                from_state=current.state,
                to_state=outcome.state,
                by=by,
                role=role,
                at=now,
                note=note.strip(),
                responder=responder if action is Action.DISPATCH else None,
                via=via,
            )
            pipe.rpush(self._key(alert_id, "log"), step.model_dump_json())
            pipe.expire(self._key(alert_id, "log"), self.retention_s)
            pipe.zrem(self._key("open"), alert_id)  # someone has it: escalation stops
            event: dict[Any, Any] = {
                "alert_id": alert_id,
                "state": outcome.state.value,
                "transition": step.model_dump_json(),
            }
            pipe.xadd(self.changes_key, event, maxlen=10_000, approximate=True)  # consoles follow this
            logger.info(
                "alert %s %s -> %s by %s%s",
                alert_id,
                current.state,
                outcome.state,
                by,
                f" via {via}" if via else "",
                extra={"alert_id": alert_id},
            )
            update: dict[str, Any] = {"state": outcome.state, "last_action": action, "updated_at": now}
            if action is Action.DISPATCH:
                update["responder"] = responder
            return current.model_copy(update=update)

        await self._update(alert_id, change)
        return result[0]

    async def unacknowledged(self, limit: int = 500) -> list[LifecycleState]:
        """Alerts still new (nobody has acknowledged them), oldest first: what escalation looks at."""
        ids = await self.redis.zrange(self._key("open"), 0, limit - 1)
        states = [await self.get(i.decode() if isinstance(i, bytes) else str(i)) for i in ids]
        return [s for s in states if s is not None and s.state is AlertState.NEW]

    async def count_escalation(self, alert_id: str) -> LifecycleState | None:
        """Record one escalation step, unless the alert was acknowledged meanwhile (then None)."""

        def change(current: LifecycleState | None, pipe: Any) -> LifecycleState | None:
            if current is None or current.state is not AlertState.NEW:
                return None
            return current.model_copy(update={"escalations": current.escalations + 1})

        return await self._update(alert_id, change)

    async def _update(
        self, alert_id: str, change: Callable[[LifecycleState | None, Any], LifecycleState | None]
    ) -> LifecycleState | None:
        """Optimistic transaction on one alert's state: `change` sees the current state and queues its writes on
        the pipeline; it runs again if another writer got there first. Returns the state written, or None."""
        key = self._key(alert_id)
        while True:
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    pipe.multi()
                    new = change(LifecycleState.model_validate_json(raw) if raw else None, pipe)
                    if new is None:
                        await pipe.reset()
                        return None
                    pipe.set(key, new.model_dump_json(), ex=self.retention_s)
                    await pipe.execute()
                    return new
                except WatchError:
                    continue

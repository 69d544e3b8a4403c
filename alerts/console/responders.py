"""The console's side of responders: whom an alert can be dispatched to (and on which push channels), each
account's own ntfy topic on their profile, the dispatch push, and the one-time buttons of push notifications.

A button's token (alerts/action_tokens.py) is its only credential: the officers' "Acknowledge" is recorded as
"<channel> button"; a responder's "On my way" / "On scene" / "Resolved" as that responder, via "<channel> button",
and the lifecycle's rules still apply (the alert must still be dispatched to them).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from alerts.action_tokens import ActionTokens
from alerts.console.auth import SESSION_KEY, ChangeRefused, ConsoleAuth
from alerts.delivery.dispatch import DispatchPush, masked
from alerts.lifecycle import RESPONDERS, LifecycleStore, Role
from alerts.store import AlertStore

logger = logging.getLogger(__name__)


def error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


class ResponderApi:
    def __init__(
        self,
        auth: ConsoleAuth,
        lifecycle: LifecycleStore,
        store: AlertStore,
        tokens: ActionTokens,
        dispatch: DispatchPush | None,
        on_change: Callable[[str], Awaitable[None]],
    ) -> None:
        self.auth = auth
        self.lifecycle = lifecycle
        self.store = store
        self.tokens = tokens
        self.dispatch = dispatch
        self.on_change = on_change  # after a transition: response-time metrics

    async def responders(self, request: web.Request) -> web.StreamResponse:
        """Guard and patrol accounts, with the channels a dispatch to each would be pushed on (none: no push)."""
        out = []
        for account in await self.auth.accounts():
            if Role(account.role) not in RESPONDERS:
                continue
            push = await self.dispatch.channels_of(account.username, account.ntfy_topic) if self.dispatch else []
            out.append({"username": account.username, "role": account.role, "push": push})
        return web.json_response(out)

    async def push_dispatch(self, alert_id: str, responder: str) -> dict[str, Any]:
        """After a dispatch to `responder`: push it to them; what happened, for the officer who dispatched."""
        if self.dispatch is None:
            return {"reached": [], "failed": [], "note": f"{responder} has no push channel (no push is configured)"}
        alert, account = await self.store.get(alert_id), await self.auth.account(responder)
        if alert is None or account is None:
            return {"reached": [], "failed": [], "note": f"nothing pushed to {responder}: alert or account gone"}
        return (await self.dispatch.send(alert, responder, account.ntfy_topic)).as_json()

    async def my_topic(self, request: web.Request) -> web.StreamResponse:
        """The signed-in account's ntfy topic, masked, and the server to subscribe to it on."""
        account = await self.auth.account(request[SESSION_KEY].username)
        topic = account.ntfy_topic if account else None
        server = self.dispatch.ntfy_server if self.dispatch else None
        return web.json_response({"topic": masked(topic) if topic else None, "server": server})

    async def set_my_topic(self, request: web.Request) -> web.StreamResponse:
        """Set (or, with null, clear) the signed-in account's own ntfy topic."""
        username = request[SESSION_KEY].username
        try:
            topic = (await request.json())["topic"]
            if topic is not None and not isinstance(topic, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return error(400, 'send {"topic": "..."} or {"topic": null}')
        try:
            await self.auth.set_ntfy_topic(username, topic or None)
        except ChangeRefused as exc:
            return error(400, str(exc))
        return web.json_response({"topic": masked(topic) if topic else None})

    async def act_by_token(self, request: web.Request) -> web.StreamResponse:
        """A notification's button: /api/act/{alert_id}/{token} (and /api/ack/{token}, links sent before)."""
        grant = await self.tokens.redeem(request.match_info["token"], request.match_info.get("alert_id"))
        if grant is None:
            return error(404, "unknown, used or expired link, or one for another alert")
        by, role, via = f"{grant.channel} button", Role.OFFICER, ""
        if grant.by is not None:  # a responder's own button: the step is theirs
            account = await self.auth.account(grant.by)
            if account is None:
                return error(403, "the account this link was made for no longer exists")
            by, role, via = grant.by, Role(account.role), f"{grant.channel} button"
        outcome = await self.lifecycle.apply(grant.alert_id, grant.action, by, role, via=via)
        if not outcome.ok:
            return error(409, outcome.reason)
        if outcome.changed:
            await self.on_change(grant.alert_id)
        return web.json_response({"alert_id": grant.alert_id, "state": outcome.state.value, "by": by})

"""The console's HTTP side (aiohttp, like the service's other endpoints): pages, JSON API, server-sent events.

Every page and API needs a session (pages redirect to /login, the API answers 401); state-changing requests
need the session's CSRF token in `X-CSRF-Token`; login takes JSON only (a cross-site form cannot send it) and is
throttled. Snapshots are served only to logged-in users. Responses carry a strict Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

from aiohttp import web
from pydantic import ValidationError

from alerts.action_tokens import ActionTokens
from alerts.console.auth import SESSION_KEY, ConsoleAuth, LoginRefused, Session
from alerts.console.devices import DevicesApi
from alerts.console.ranges import byte_range_response
from alerts.console.responders import ResponderApi
from alerts.console.responses import ResponseObserver, observe_new_stages
from alerts.console.responses import gather as gather_responses
from alerts.delivery.dispatch import DispatchPush
from alerts.delivery.webpush import PushSubscription, PushSubscriptions
from alerts.device_liveness import DeviceLiveness
from alerts.evidence.live_view import render_live
from alerts.lifecycle import RESPONDERS, Action, LifecycleStore, Role
from alerts.response_times import summarize
from alerts.store import AlertStore, parse_alert
from alerts.timeline import Action as TimelineAction
from alerts.timeline import is_replay, timeline
from alerts.web_site import WebSite

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
COOKIE = "sentinel_session"
PUBLIC = ("/login", "/api/login", "/api/ack/", "/api/act/", "/static/", "/manifest.webmanifest", "/sw.js")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Console:
    def __init__(
        self,
        store: AlertStore,
        lifecycle: LifecycleStore,
        auth: ConsoleAuth,
        push_public_key: str | None = None,
        timezone: str = "UTC",
        targets: dict[str, float] | None = None,
        on_response: ResponseObserver | None = None,
        dispatch: DispatchPush | None = None,
    ) -> None:
        self.store = store
        self.targets = targets  # response-time targets per stage (alerts.response_targets_s)
        self.on_response = on_response
        self.dispatch = dispatch  # a dispatch reaches the responder's own phones (Web Push, their ntfy topic)
        self.timezone = timezone  # the site's: the timeline's times are written in it
        self.lifecycle = lifecycle
        self.auth = auth
        self.push_public_key = push_public_key  # VAPID public key, when Web Push is configured
        self.subscriptions = PushSubscriptions(store.redis, store.prefix)
        self.tokens = ActionTokens(store.redis, auth.config.session_ttl_s, store.prefix)
        self.responders = ResponderApi(auth, lifecycle, store, self.tokens, dispatch, self._observe)
        self.devices = DevicesApi(DeviceLiveness(store.redis, store.prefix))
        self._site = WebSite(shutdown_timeout=2.0)  # live feeds end when the console stops

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers, self._sessions], client_max_size=64 * 1024)
        r = app.router
        r.add_get("/", self._page("index.html"))
        r.add_get("/alerts/{alert_id}", self._page("alert.html"))
        r.add_get("/login", self._page("login.html"))
        r.add_get("/devices", self._page("devices.html"))
        r.add_get("/api/devices", self.devices.devices)
        r.add_get("/manifest.webmanifest", self._file("manifest.webmanifest", "application/manifest+json"))
        r.add_get("/sw.js", self._file("sw.js", "text/javascript"))
        r.add_static("/static/", STATIC)
        r.add_post("/api/login", self._login)
        r.add_post("/api/logout", self._logout)
        r.add_get("/api/me", self._me)
        r.add_get("/api/alerts", self._alerts)
        r.add_get("/api/alerts/{alert_id}", self._alert)
        r.add_get("/api/alerts/{alert_id}/snapshot", self._snapshot)
        r.add_get("/api/alerts/{alert_id}/clip", self._clip)
        r.add_get("/api/cameras/{camera_id}/live", self._live)
        r.add_post("/api/alerts/{alert_id}/actions", self._action)
        r.add_get("/api/stream", self._stream)
        r.add_post("/api/ack/{token}", self.responders.act_by_token)  # acknowledge links sent before /api/act/
        r.add_post("/api/act/{alert_id}/{token}", self.responders.act_by_token)
        r.add_get("/api/accounts", self._accounts)
        r.add_get("/api/responders", self.responders.responders)
        r.add_get("/api/me/ntfy-topic", self.responders.my_topic)
        r.add_put("/api/me/ntfy-topic", self.responders.set_my_topic)
        r.add_get("/profile", self._page("profile.html"))
        r.add_get("/api/response-times", self._response_times)
        r.add_get("/response-times", self._page("responses.html"))
        r.add_post("/api/accounts", self._add_account)
        r.add_delete("/api/accounts/{username}", self._remove_account)
        r.add_get("/api/push/key", self._push_key)
        r.add_post("/api/push/subscriptions", self._subscribe)
        return app

    async def start(self, host: str, port: int) -> int:
        bound = await self._site.start(self.app(), host, port)
        logger.info("console on http://%s:%s", host, bound)
        return bound

    async def stop(self) -> None:
        await self._site.stop()
        if self.dispatch is not None:
            await self.dispatch.close()

    @web.middleware
    async def _headers(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'",  # blob: the live view's frames
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @web.middleware
    async def _sessions(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/login" or any(request.path.startswith(p) for p in PUBLIC[1:]):
            return await handler(request)
        session = await self.auth.session(request.cookies.get(COOKIE))
        if session is None:
            if request.path.startswith("/api/"):
                return _error(401, "log in first")
            raise web.HTTPFound(f"/login?next={request.path}")
        if request.method not in ("GET", "HEAD") and not session.csrf_ok(request.headers.get("X-CSRF-Token")):
            return _error(403, "missing or wrong CSRF token")
        request[SESSION_KEY] = session
        return await handler(request)

    def _page(self, name: str) -> Handler:
        async def page(request: web.Request) -> web.StreamResponse:
            return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-cache"})

        return page

    def _file(self, name: str, content_type: str) -> Handler:
        async def serve(request: web.Request) -> web.StreamResponse:
            return web.Response(body=(STATIC / name).read_bytes(), content_type=content_type)

        return serve

    async def _login(self, request: web.Request) -> web.StreamResponse:
        if request.content_type != "application/json":
            return _error(415, "send JSON")
        origin = request.headers.get("Origin")
        if origin and origin.split("//", 1)[-1] != request.host:
            return _error(403, "cross-site login refused")
        try:
            body = await request.json()
            username, password = str(body["username"]), str(body["password"])
        except (ValueError, KeyError, TypeError):
            return _error(400, "username and password required")
        try:
            session = await self.auth.login(username, password, request.remote or "unknown")
        except LoginRefused as exc:
            return _error(429 if "too many" in str(exc) else 401, str(exc))
        response = web.json_response(_me(session))
        response.set_cookie(
            COOKIE,
            session.token,
            max_age=self.auth.config.session_ttl_s,
            httponly=True,
            samesite="Strict",
            secure=self.auth.config.secure_cookies,
            path="/",
        )
        return response

    async def _logout(self, request: web.Request) -> web.StreamResponse:
        await self.auth.logout(request[SESSION_KEY].token)
        response = web.json_response({"status": "logged out"})
        response.del_cookie(COOKIE, path="/")
        return response

    async def _me(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(_me(request[SESSION_KEY]))

    async def _alerts(self, request: web.Request) -> web.StreamResponse:
        try:
            limit = max(1, min(int(request.query.get("limit", "50")), 500))
        except ValueError:
            return _error(400, "limit must be a number")
        ids = await self.store.list_ids(limit=limit)
        items = [await self._summary(alert_id) for alert_id in ids]
        return web.json_response([item for item in items if item is not None])

    async def _summary(self, alert_id: str) -> dict[str, Any] | None:
        alert = await self.store.get(alert_id)
        if alert is None:
            return None
        state = await self.lifecycle.get(alert_id)
        return {
            "alert": json.loads(alert.model_dump_json()),
            "state": state.state.value if state else None,
            "escalations": state.escalations if state else 0,
            "responder": state.responder if state else None,
        }

    async def _alert(self, request: web.Request) -> web.StreamResponse:
        alert_id = request.match_info["alert_id"]
        summary = await self._summary(alert_id)
        if summary is None:
            return _error(404, "no such alert")
        summary["timeline"] = [json.loads(e.model_dump_json()) for e in await self.store.timeline(alert_id)]
        summary["transitions"] = [json.loads(t.model_dump_json()) for t in await self.lifecycle.history(alert_id)]
        summary["deliveries"] = await self.store.delivery_log(alert_id)
        summary["clip"] = await self.store.clip_info(alert_id)
        actions = [
            TimelineAction(t.at, t.by, t.from_state.value, t.to_state.value, t.note, t.responder, t.via)
            for t in await self.lifecycle.history(alert_id)
        ]
        events = await self.store.timeline(alert_id)
        summary["entries"] = [e.as_json() for e in timeline(events, actions, self.timezone)]
        summary["replay"] = bool(events) and is_replay(events[0])
        return web.json_response(summary)

    async def _snapshot(self, request: web.Request) -> web.StreamResponse:
        jpeg = await self.store.get_snapshot(request.match_info["alert_id"])
        if jpeg is None:
            return _error(404, "no snapshot")
        return web.Response(body=jpeg, content_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})

    async def _clip(self, request: web.Request) -> web.StreamResponse:
        """The evidence clip, with byte ranges (Safari on iPhones plays video only from servers that answer them)."""
        alert_id = request.match_info["alert_id"]
        video = await self.store.get_clip(alert_id)
        info = await self.store.clip_info(alert_id)
        if video is None or info is None:
            return _error(404, "no clip (yet): it is built just after the alert starts")
        return byte_range_response(request, video, str(info.get("content_type", "video/mp4")))

    async def _live(self, request: web.Request) -> web.StreamResponse:
        """The camera's latest frame with its boxes (the alert page asks for it once a second)."""
        camera_id = request.match_info["camera_id"]
        latest = await self.store.get_live(camera_id)
        if latest is None:
            return _error(404, "no live view: the camera has sent nothing in the last seconds")
        jpeg, boxes, ts = latest
        image = await asyncio.get_running_loop().run_in_executor(
            None, render_live, camera_id, jpeg, boxes, ts, self.timezone
        )
        if image is None:
            return _error(404, "the latest frame could not be read")
        headers = {"Cache-Control": "no-store", "X-Captured-At": repr(ts)}
        return web.Response(body=image, content_type="image/jpeg", headers=headers)

    async def _action(self, request: web.Request) -> web.StreamResponse:
        session = request[SESSION_KEY]
        try:
            body = await request.json()
            action = Action(body["action"])
            note = str(body.get("note", ""))[:1000]
            responder = str(body["responder"]) if action is Action.DISPATCH and body.get("responder") else None
        except (ValueError, KeyError, TypeError):
            return _error(400, f"action must be one of {[a.value for a in Action]}")
        if responder is not None:
            account = await self.auth.account(responder)
            if account is None or Role(account.role) not in RESPONDERS:
                return _error(400, f"{responder} is not a guard or patrol account")
        outcome = await self.lifecycle.apply(
            request.match_info["alert_id"], action, session.username, Role(session.role), note, responder
        )
        if not outcome.ok:
            return _error(409, outcome.reason)
        reply: dict[str, Any] = {"state": outcome.state.value, "changed": outcome.changed}
        if outcome.changed and responder is not None:
            reply["push"] = await self.responders.push_dispatch(request.match_info["alert_id"], responder)
        if outcome.changed:
            await self._observe(request.match_info["alert_id"])
        return web.json_response(reply)

    async def _observe(self, alert_id: str) -> None:
        """After a transition: the response-time stages it reached, to metrics."""
        if self.on_response is not None:
            await observe_new_stages(self.store, self.lifecycle, alert_id, self.on_response)

    async def _response_times(self, request: web.Request) -> web.StreamResponse:
        """p50/p90 per site and responder of alert -> acknowledged, -> dispatched, -> on scene, against targets."""
        responses = await gather_responses(self.store, self.lifecycle)
        return web.json_response({"targets_s": self.targets, "rows": summarize(responses, self.targets)})

    async def _accounts(self, request: web.Request) -> web.StreamResponse:
        if request[SESSION_KEY].role != "admin":
            return _error(403, "admins only")
        accounts = await self.auth.accounts()
        return web.json_response(
            [{"username": a.username, "role": a.role, "ntfy": bool(a.ntfy_topic)} for a in accounts]
        )

    async def _add_account(self, request: web.Request) -> web.StreamResponse:
        if request[SESSION_KEY].role != "admin":
            return _error(403, "admins only")
        try:
            body = await request.json()
            username, role, password = str(body["username"]), str(body["role"]), str(body["password"])
        except (ValueError, KeyError, TypeError):
            return _error(400, "username, role and password required")
        if role not in {r.value for r in Role} or len(password) < 10:
            roles = ", ".join(r.value for r in Role)
            return _error(400, f"role must be one of {roles}; passwords need 10 characters or more")
        if not re.fullmatch(r"[A-Za-z0-9._@-]{1,64}", username):
            return _error(400, "user names are letters, digits and ._@- (64 at most)")
        await self.auth.add_account(username, role, password)
        logger.info("console account %s (%s) added by %s", username, role, request[SESSION_KEY].username)
        return web.json_response({"username": username, "role": role}, status=201)

    async def _remove_account(self, request: web.Request) -> web.StreamResponse:
        if request[SESSION_KEY].role != "admin":
            return _error(403, "admins only")
        if not await self.auth.remove_account(request.match_info["username"]):
            return _error(404, "no such account added in the console (config accounts are changed in the config)")
        return web.json_response({"removed": request.match_info["username"]})

    async def _push_key(self, request: web.Request) -> web.StreamResponse:
        if self.push_public_key is None:
            return _error(404, "Web Push is not configured (alerts.webpush)")
        return web.json_response({"public_key": self.push_public_key})

    async def _subscribe(self, request: web.Request) -> web.StreamResponse:
        """Keep this browser's push subscription, so alerts reach it while the console is closed."""
        if self.push_public_key is None:
            return _error(404, "Web Push is not configured (alerts.webpush)")
        try:
            subscription = PushSubscription.model_validate_json(await request.read())
        except ValidationError as exc:
            return _error(400, f"not a push subscription: {exc.error_count()} problem(s)")
        subscription = subscription.model_copy(update={"username": request[SESSION_KEY].username})
        await self.subscriptions.add(subscription)
        return web.json_response({"id": subscription.id}, status=201)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: `alert` for every stored alert step, `state` for every lifecycle change."""
        session = request[SESSION_KEY]
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        feed, changes = self.store.key("feed"), self.lifecycle.changes_key
        positions: dict[str, str] = {feed: "$", changes: "$"}
        await response.write(b"retry: 2000\n\n")
        idle = 0
        while await self.auth.session(session.token) is not None:  # a logout or an expiry ends the stream
            # block well under the Redis client's socket timeout (5 s by default)
            reply: Any = await self.store.redis.xread(cast(Any, positions), block=3_000, count=100)
            if not reply:
                idle += 1
                if idle % 5 == 0:
                    await response.write(b": keep-alive\n\n")  # proxies and phones drop silent connections
                continue
            for stream, entries in reply:
                name = stream.decode()
                for entry_id, fields in entries:
                    positions[name] = entry_id.decode()
                    await response.write(await self._event(name == feed, fields))
        return response

    async def _event(self, is_alert: bool, fields: dict[bytes, bytes]) -> bytes:
        if is_alert:
            alert = parse_alert(fields[b"event"])
            state = await self.lifecycle.get(alert.alert_id)
            data = {"alert": json.loads(alert.model_dump_json()), "state": state.state.value if state else "new"}
            kind = "alert"
        else:
            transition = json.loads(fields[b"transition"])
            data = {
                "alert_id": fields[b"alert_id"].decode(),
                "state": fields[b"state"].decode(),
                "transition": transition,
            }
            kind = "state"
        return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()


def _me(session: Session) -> dict[str, Any]:
    return {"user": session.username, "role": session.role, "csrf": session.csrf, "expires_at": session.expires_at}


def _error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)

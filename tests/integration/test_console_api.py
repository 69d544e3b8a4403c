"""The console's API on real Redis: sessions, CSRF, roles, login throttling, logout, and what needs a login."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from alerts.config import AccountConfig, ConsoleConfig
from alerts.console.app import Console
from alerts.console.auth import ConsoleAuth, hash_password
from alerts.lifecycle import LifecycleStore
from alerts.service import AlertService
from streams.config import load_config
from streams.runtime import make_store
from tests.alert_builders import alert_event

OFFICER = AccountConfig(username="officer1", role="officer", password_hash=hash_password("pw-1"))  # type: ignore[arg-type]


async def scenario(config: Any) -> dict[str, Any]:
    store = make_store(config)
    lifecycle = LifecycleStore(store.redis, 3600, store.prefix)
    console_config = ConsoleConfig(accounts=(OFFICER,), login_max_failures=3)
    auth = ConsoleAuth(store.redis, console_config, store.prefix)
    await auth.add_account("chief", "supervisor", "pw-2")
    console = Console(store, lifecycle, auth)
    port = await console.start("127.0.0.1", 0)
    base = f"http://127.0.0.1:{port}"
    alert = alert_event("console-alert-01")
    await AlertService(store, [], lifecycle=lifecycle).handle(alert)
    out: dict[str, Any] = {}

    async def status(http: aiohttp.ClientSession, method: str, path: str, **kw: Any) -> int:
        async with http.request(method, base + path, **kw) as reply:
            return reply.status

    try:
        async with aiohttp.ClientSession() as anonymous:
            out["anonymous api"] = await status(anonymous, "GET", "/api/alerts")
            out["anonymous snapshot"] = await status(anonymous, "GET", f"/api/alerts/{alert.alert_id}/snapshot")
            out["anonymous page"] = await status(anonymous, "GET", "/", allow_redirects=False)
            out["form login"] = await status(anonymous, "POST", "/api/login", data={"username": "officer1"})
            out["cross-site login"] = await status(
                anonymous,
                "POST",
                "/api/login",
                json={"username": "officer1", "password": "pw-1"},
                headers={"Origin": "https://evil.example"},
            )
            bad = {"username": "chief", "password": "nope"}
            out["failures"] = [await status(anonymous, "POST", "/api/login", json=bad) for _ in range(4)]
            out["locked out"] = await status(anonymous, "POST", "/api/login", json={**bad, "password": "pw-2"})
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as officer:  # IP host
            async with officer.post(base + "/api/login", json={"username": "officer1", "password": "pw-1"}) as reply:
                me = await reply.json()
                out["cookie"] = reply.cookies["sentinel_session"]
            action = f"/api/alerts/{alert.alert_id}/actions"
            out["no csrf"] = await status(officer, "POST", action, json={"action": "acknowledge"})
            csrf = {"X-CSRF-Token": me["csrf"]}
            out["ack"] = await status(officer, "POST", action, json={"action": "acknowledge"}, headers=csrf)
            out["resolve"] = await status(officer, "POST", action, json={"action": "resolve"}, headers=csrf)
            out["reopen as officer"] = await status(
                officer, "POST", action, json={"action": "reopen", "note": "x"}, headers=csrf
            )
            async with officer.get(base + f"/api/alerts/{alert.alert_id}") as reply:
                out["detail"] = await reply.json()
            out["snapshot"] = await status(officer, "GET", f"/api/alerts/{alert.alert_id}/snapshot")
            out["logout"] = await status(officer, "POST", "/api/logout", headers=csrf)
            out["after logout"] = await status(officer, "GET", "/api/alerts")
    finally:
        await console.stop()
        await store.redis.aclose()
    return out


def test_console_api_guards(make_site: Any) -> None:
    out = asyncio.run(scenario(load_config(make_site().path)))
    assert (out["anonymous api"], out["anonymous snapshot"], out["anonymous page"]) == (401, 401, 302)
    assert (out["form login"], out["cross-site login"]) == (415, 403)
    assert out["failures"] == [401, 401, 401, 429] and out["locked out"] == 429  # even the right password
    cookie = out["cookie"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert out["no csrf"] == 403
    assert (out["ack"], out["resolve"], out["reopen as officer"]) == (200, 200, 409)
    assert [t["to_state"] for t in out["detail"]["transitions"]] == ["acknowledged", "resolved"]
    assert out["detail"]["state"] == "resolved" and out["snapshot"] == 200
    assert (out["logout"], out["after logout"]) == (200, 401)


def test_admin_accounts_and_one_time_acknowledge_links(make_site: Any) -> None:
    from alerts.action_tokens import ActionTokens
    from alerts.lifecycle import AlertState

    config = load_config(make_site().path)

    async def run() -> dict[str, Any]:
        store = make_store(config)
        lifecycle = LifecycleStore(store.redis, 3600, store.prefix)
        auth = ConsoleAuth(store.redis, ConsoleConfig(accounts=(OFFICER,)), store.prefix)
        await auth.add_account("root", "admin", "admin-pw-123")
        console = Console(store, lifecycle, auth)
        base = f"http://127.0.0.1:{await console.start('127.0.0.1', 0)}"
        alert = alert_event("token-alert-001")
        await AlertService(store, [], lifecycle=lifecycle).handle(alert)
        token = await ActionTokens(store.redis, 600, store.prefix).issue(alert.alert_id, "ntfy")
        out: dict[str, Any] = {}
        jar = aiohttp.CookieJar(unsafe=True)
        try:
            async with aiohttp.ClientSession() as anonymous:
                out["ack"] = (await anonymous.post(f"{base}/api/ack/{token}")).status
                out["ack again"] = (await anonymous.post(f"{base}/api/ack/{token}")).status
                out["guessed"] = (await anonymous.post(f"{base}/api/ack/not-a-token")).status
            out["state"] = await lifecycle.get(alert.alert_id)
            out["history"] = await lifecycle.history(alert.alert_id)
            async with aiohttp.ClientSession(cookie_jar=jar) as admin:
                me = await (
                    await admin.post(f"{base}/api/login", json={"username": "root", "password": "admin-pw-123"})
                ).json()
                csrf = {"X-CSRF-Token": me["csrf"]}
                new = {"username": "night1", "role": "officer", "password": "night-shift-77"}
                out["add"] = (await admin.post(f"{base}/api/accounts", json=new, headers=csrf)).status
                out["weak"] = (
                    await admin.post(f"{base}/api/accounts", json={**new, "password": "x"}, headers=csrf)
                ).status
                out["list"] = await (await admin.get(f"{base}/api/accounts")).json()
                async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as night:
                    await night.post(f"{base}/api/login", json={"username": "night1", "password": "night-shift-77"})
                    out["officer lists"] = (await night.get(f"{base}/api/accounts")).status
                    out["remove"] = (await admin.delete(f"{base}/api/accounts/night1", headers=csrf)).status
                    out["removed user"] = (await night.get(f"{base}/api/alerts")).status
        finally:
            await console.stop()
            await store.redis.aclose()
        return out

    out = asyncio.run(run())
    assert (out["ack"], out["ack again"], out["guessed"]) == (200, 404, 404)
    assert out["state"].state is AlertState.ACKNOWLEDGED and out["history"][0].by == "ntfy button"
    assert (out["add"], out["weak"]) == (201, 400)
    assert {(a["username"], a["role"]) for a in out["list"]} == {
        ("officer1", "officer"),
        ("root", "admin"),
        ("night1", "officer"),
    }
    assert out["officer lists"] == 403
    assert (out["remove"], out["removed user"]) == (200, 401)

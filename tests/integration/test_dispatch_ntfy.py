"""A dispatch reaches the responder on their own ntfy topic, on real parts: the console on a real port, real Redis,
and a local HTTP receiver standing in for the ntfy server. guard1 sets their topic on their profile, the officer
dispatches to them, the push carries three one-time buttons, and pressing "On my way" (a POST, as the ntfy app
makes it) moves the alert and is recorded as guard1's step via "ntfy button". A link used twice, or aimed at
another alert, is refused; a dispatch to a responder with no push channel says so to the officer.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
import pytest

from alerts.action_tokens import ActionTokens
from alerts.config import AccountConfig, ConsoleConfig, NtfyConfig
from alerts.console.app import Console
from alerts.console.auth import ConsoleAuth, hash_password
from alerts.delivery.dispatch import DispatchPush
from alerts.delivery.push import NtfyChannel
from alerts.lifecycle import Action, LifecycleStore, Role
from alerts.service import AlertService
from streams.config import load_config
from streams.kafka.broker import free_port
from streams.runtime import make_store
from tests.alert_builders import alert_event

OFFICER = AccountConfig(username="officer1", role="officer", password_hash=hash_password("pw-officer-1"))  # type: ignore[arg-type]
TOPIC = "guard1-k3XaQ9pLm2Zt7"


async def login(http: aiohttp.ClientSession, base: str, username: str, password: str) -> dict[str, str]:
    async with http.post(f"{base}/api/login", json={"username": username, "password": password}) as reply:
        assert reply.status == 200, await reply.text()
        return {"X-CSRF-Token": (await reply.json())["csrf"]}


async def scenario(config: Any, ntfy_url: str, received: list[tuple[dict[str, str], bytes]]) -> dict[str, Any]:
    store = make_store(config)
    lifecycle = LifecycleStore(store.redis, 3600, store.prefix)
    auth = ConsoleAuth(store.redis, ConsoleConfig(accounts=(OFFICER,)), store.prefix)
    await auth.add_account("guard1", "guard", "pw-guard-1")
    await auth.add_account("patrol1", "patrol", "pw-patrol-1")  # no topic, no Web Push: no push channel
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ntfy = NtfyChannel(NtfyConfig(url=ntfy_url, topic="officers-north", max_attempts=1))  # type: ignore[arg-type]
    dispatch = DispatchPush(ActionTokens(store.redis, 600, store.prefix), ntfy=ntfy, console_url=base)
    console = Console(store, lifecycle, auth, dispatch=dispatch)
    await console.start("127.0.0.1", port)
    first, other = alert_event("ntfy-dispatch-01"), alert_event("ntfy-dispatch-02", camera_id="row-c")
    service = AlertService(store, [], lifecycle=lifecycle)
    await service.handle(first)
    await service.handle(other)
    out: dict[str, Any] = {}
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as guard:
            csrf = await login(guard, base, "guard1", "pw-guard-1")
            topic_api = f"{base}/api/me/ntfy-topic"
            out["weak topic"] = (await guard.put(topic_api, json={"topic": "guard1"}, headers=csrf)).status
            out["set topic"] = (await guard.put(topic_api, json={"topic": TOPIC}, headers=csrf)).status
            out["my topic"] = await (await guard.get(topic_api)).json()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as officer:
            csrf = await login(officer, base, "officer1", "pw-officer-1")
            out["responders"] = await (await officer.get(f"{base}/api/responders")).json()
            act = f"{base}/api/alerts/{first.alert_id}/actions"
            await officer.post(act, json={"action": "acknowledge"}, headers=csrf)
            reply = await officer.post(act, json={"action": "dispatch", "responder": "guard1"}, headers=csrf)
            out["dispatch"] = await reply.json()
            act_other = f"{base}/api/alerts/{other.alert_id}/actions"
            reply = await officer.post(act_other, json={"action": "dispatch", "responder": "patrol1"}, headers=csrf)
            out["dispatch to patrol1"] = await reply.json()
            out["pushes"] = list(received)
            buttons = {a["label"]: a["url"] for a in json.loads(out["pushes"][0][1])["actions"]}
            async with aiohttp.ClientSession() as phone:  # the ntfy app: no session, the link is the credential
                reply = await phone.post(buttons["On my way"])
                out["on my way"] = (reply.status, await reply.json())
                out["on my way again"] = (await phone.post(buttons["On my way"])).status
                elsewhere = buttons["On scene"].replace(first.alert_id, other.alert_id)
                out["on scene, other alert"] = (await phone.post(elsewhere)).status
                out["on scene, after misuse"] = (await phone.post(buttons["On scene"])).status
                out["other state"] = await lifecycle.get(other.alert_id)
                reply = await phone.post(buttons["Resolved"])
                out["resolved"] = (reply.status, await reply.json())
            out["history"] = await lifecycle.history(first.alert_id)
            out["detail"] = await (await officer.get(f"{base}/api/alerts/{first.alert_id}")).json()
    finally:
        await console.stop()
        await service.close()
        await store.redis.aclose()
    return out


def test_dispatch_pushes_to_the_guards_own_ntfy_topic_and_its_buttons_act_once(
    make_site: Any, webhook: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url, received = webhook
    caplog.set_level(logging.DEBUG)
    out = asyncio.run(scenario(load_config(make_site().path), url, received))

    assert (out["weak topic"], out["set topic"]) == (400, 200)
    assert out["my topic"]["topic"] == "guar…(20)" and out["my topic"]["server"].startswith("http://127.0.0.1")
    assert {r["username"]: r["push"] for r in out["responders"]} == {"guard1": ["ntfy"], "patrol1": []}

    assert out["dispatch"]["state"] == "dispatched"
    assert out["dispatch"]["push"] == {"reached": ["ntfy"], "failed": [], "note": None}
    assert out["dispatch to patrol1"]["push"]["note"] == "patrol1 has no push channel"
    assert len(out["pushes"]) == 1, "one push, to guard1's topic; none for patrol1"
    _headers, raw = out["pushes"][0]
    push = json.loads(raw)
    assert push["topic"] == TOPIC and push["title"].startswith("Dispatched to you: [YELLOW]")
    page = push["click"]
    assert page.endswith("/alerts/ntfy-dispatch-01") and f"Alert: {page}" in push["message"]
    assert "Clip: http://127.0.0.1" in push["message"] and push["message"].endswith("/api/alerts/ntfy-dispatch-01/clip")
    assert [(a["label"], a["action"], a["method"]) for a in push["actions"]] == [
        ("On my way", "http", "POST"),
        ("On scene", "http", "POST"),
        ("Resolved", "http", "POST"),
    ]
    assert len({a["url"] for a in push["actions"]}) == 3, "a token per button"

    assert out["on my way"] == (200, {"alert_id": "ntfy-dispatch-01", "state": "en_route", "by": "guard1"})
    assert out["on my way again"] == 404, "a link acts once"
    assert out["on scene, other alert"] == 404, "a link is for its own alert only"
    assert out["on scene, after misuse"] == 404, "a link aimed at another alert is burnt"
    assert out["other state"].state.value == "dispatched" and out["other state"].responder == "patrol1"
    assert out["resolved"][0] == 200 and out["resolved"][1]["state"] == "resolved"

    steps = [(t.action, t.by, t.role, t.via) for t in out["history"]]
    assert steps == [
        (Action.ACKNOWLEDGE, "officer1", Role.OFFICER, ""),
        (Action.DISPATCH, "officer1", Role.OFFICER, ""),
        (Action.ON_MY_WAY, "guard1", Role.GUARD, "ntfy button"),
        (Action.RESOLVE, "guard1", Role.GUARD, "ntfy button"),
    ]
    texts = [e["text"] for e in out["detail"]["entries"] if e["kind"] == "action"]
    assert "dispatched → en_route by guard1 via ntfy button" in texts
    assert out["detail"]["state"] == "resolved"
    assert TOPIC not in caplog.text, "a topic is a secret: never logged in full"


def test_an_admin_sets_a_responders_topic_from_the_command_line(make_site: Any) -> None:
    from click.testing import CliRunner

    from streams.cli.main import main

    site = make_site(alerts={"console": {"accounts": [OFFICER.model_dump(mode="json") | {"password_hash": "x"}]}})

    def cli(*args: str, stdin: str | None = None) -> Any:
        return CliRunner().invoke(main, ["console", *args, "--config", str(site.path)], input=stdin)

    assert cli("add-user", "guard1", "--role", "guard", "--password", "pw-guard-1").exit_code == 0
    generated = cli("ntfy-topic", "guard1", "--generate")
    weak = cli("ntfy-topic", "guard1", stdin="guard1\n")
    config_account = cli("ntfy-topic", "officer1", stdin=TOPIC + "\n")
    repassword = cli("add-user", "guard1", "--role", "guard", "--password", "pw-guard-2")

    async def topic_of(username: str) -> str | None:
        store = make_store(load_config(site.path))
        try:
            account = await ConsoleAuth(store.redis, ConsoleConfig(), store.prefix).account(username)
            return account.ntfy_topic if account else None
        finally:
            await store.redis.aclose()

    assert generated.exit_code == 0, generated.output
    saved = asyncio.run(topic_of("guard1"))
    assert saved is not None and len(saved) >= 32 and saved in generated.output, "shown once, to subscribe with"
    assert weak.exit_code == 1 and "16-64" in weak.output
    assert config_account.exit_code == 1 and "config account" in config_account.output
    assert repassword.exit_code == 0 and asyncio.run(topic_of("guard1")) == saved, "a new password keeps the topic"
    hidden = cli("ntfy-topic", "guard1", stdin=TOPIC + "\n")
    assert hidden.exit_code == 0 and "guar…(20) set" in hidden.output and TOPIC not in hidden.output
    assert asyncio.run(topic_of("guard1")) == TOPIC
    assert cli("ntfy-topic", "guard1", "--clear").exit_code == 0 and asyncio.run(topic_of("guard1")) is None

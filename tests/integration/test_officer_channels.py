"""Officer channels on real parts: MQTT through the local Mosquitto, ntfy-style and webhook pushes to a local
receiver, the push rule across an incident's steps, the lifecycle in Redis and escalation to the duty desk.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiomqtt

from alerts.action_tokens import ActionTokens
from alerts.config import EscalationConfig, EscalationLevel, MqttConfig, NtfyConfig, WebhookConfig
from alerts.delivery.channels import WebhookChannel
from alerts.delivery.escalation import Escalator
from alerts.delivery.push import MqttChannel, NtfyChannel
from alerts.lifecycle import Action, AlertState, LifecycleStore, Role
from alerts.models import AlertPhase, Severity
from alerts.service import AlertService
from streams.config import load_config
from streams.runtime import make_store
from tests.alert_builders import alert_event

INCIDENT = [
    (AlertPhase.START, Severity.YELLOW, 30),  # pushed
    (AlertPhase.UPDATE, Severity.YELLOW, 45),  # dwell grows: not pushed
    (AlertPhase.UPDATE, Severity.RED, 50),  # linked to a watch-listed entry: pushed again
    (AlertPhase.END, Severity.RED, 60),  # not pushed
]


def steps(alert_id: str) -> list[Any]:
    start = 1_795_000_000.0
    return [alert_event(alert_id, phase, severity, start, start + dt) for phase, severity, dt in INCIDENT]


def test_mqtt_and_ntfy_get_the_start_and_the_rise_only(make_site: Any, webhook: Any) -> None:
    url, received = webhook
    site = make_site()
    config = load_config(site.path)
    mqtt = MqttConfig(topic_prefix=f"sentinel-test/{site.prefix}")
    ntfy = NtfyConfig(url=url, topic="officers-north", console_url="https://console.example.org")

    async def run() -> list[Any]:
        store = make_store(config)
        tokens = ActionTokens(store.redis, 600, store.prefix)
        channels = [MqttChannel(mqtt, config.site_id, "https://console.example.org"), NtfyChannel(ntfy, tokens)]
        service = AlertService(store, channels)
        messages = []
        try:
            async with aiomqtt.Client("127.0.0.1", 1883) as subscriber:
                await subscriber.subscribe(f"{mqtt.topic_prefix}/#", qos=1)
                for step in steps("mqtt-alert-0001"):
                    await service.handle(step)
                    await service.handle(step)  # a redelivery changes nothing
                async with asyncio.timeout(10):
                    async for message in subscriber.messages:
                        messages.append((str(message.topic), json.loads(message.payload)))
                        if len(messages) == 2:
                            break
                await asyncio.sleep(0.5)  # anything more would arrive now
        finally:
            await service.close()
            await store.redis.aclose()
        return messages

    messages = asyncio.run(run())
    assert [(m["phase"], m["severity"]) for _, m in messages] == [("start", "yellow"), ("update", "red")]
    topic, first = messages[0]
    assert topic == f"{mqtt.topic_prefix}/test-site/alerts/yellow"
    assert first["url"] == "https://console.example.org/alerts/mqtt-alert-0001" and first["source"] == "row-b"
    pushes = [json.loads(body) for _, body in received]
    assert [p["priority"] for p in pushes] == [4, 5]
    assert pushes[0]["topic"] == "officers-north" and pushes[0]["actions"][0]["label"] == "Open"
    ack = pushes[0]["actions"][1]
    assert ack["label"] == "Acknowledge" and ack["method"] == "POST"
    assert (
        ack["url"].startswith("https://console.example.org/api/act/mqtt-alert-0001/")
        and ack["url"] != pushes[1]["actions"][1]["url"]
    )
    assert pushes[1]["title"].startswith("[RED]")
    clip = "https://console.example.org/api/alerts/mqtt-alert-0001/clip"  # the evidence clip, linked from each push
    assert first["clip_url"] == clip and pushes[0]["actions"][2] == {
        "action": "view",
        "label": "Clip",
        "url": clip,
        "clear": False,
    }


def test_unacknowledged_alert_escalates_to_the_duty_desk_once_per_level(make_site: Any, webhook: Any) -> None:
    url, received = webhook
    config = load_config(make_site().path)
    escalation = EscalationConfig(
        ack_within_s={Severity.RED: 60}, levels=(EscalationLevel(name="duty-desk", channels=("duty",)),)
    )

    async def run() -> dict[str, Any]:
        store = make_store(config)
        lifecycle = LifecycleStore(store.redis, 3600, store.prefix)
        duty = WebhookChannel(WebhookConfig(name="duty", url=url))
        service = AlertService(store, [], lifecycle=lifecycle)
        escalator = Escalator(lifecycle, store, {"duty": duty}, escalation, service.deliver)
        out: dict[str, Any] = {}
        try:
            urgent, handled = alert_event("esc-alert-0001", severity=Severity.RED), alert_event("esc-alert-0002")
            await service.handle(urgent)
            await service.handle(handled.model_copy(update={"severity": Severity.RED}))
            opened = (await lifecycle.get(urgent.alert_id)).updated_at  # type: ignore[union-attr]
            await lifecycle.apply(handled.alert_id, Action.ACKNOWLEDGE, "officer1", Role.OFFICER)
            out["early"] = await escalator.check_once(now=opened + 30)
            out["due"] = await escalator.check_once(now=opened + 61)
            out["again"] = await escalator.check_once(now=opened + 500)  # one level only: nothing more
            out["state"] = await lifecycle.get(urgent.alert_id)
            out["log"] = await store.delivery_log(urgent.alert_id)
            out["refused"] = await lifecycle.apply(urgent.alert_id, Action.RESOLVE, "officer1", Role.OFFICER)
            out["ack"] = await lifecycle.apply(urgent.alert_id, Action.ACKNOWLEDGE, "officer1", Role.OFFICER)
            out["history"] = await lifecycle.history(urgent.alert_id)
        finally:
            await duty.close()
            await store.redis.aclose()
        return out

    out = asyncio.run(run())
    assert out["early"] == [] and out["again"] == []
    (step,) = out["due"]
    assert step.alert_id == "esc-alert-0001" and step.message.startswith(
        "NOT ACKNOWLEDGED for 1 min, escalated to duty-desk"
    )
    assert len(received) == 1 and json.loads(received[0][1])["event_id"] == "esc-alert-0001:escalate:0"
    assert received[0][0]["X-Sentinel-Clip"] == "/api/alerts/esc-alert-0001/clip", "webhooks get the clip's path"
    assert out["state"].escalations == 1 and out["log"][-1]["channel"] == "duty"
    assert not out["refused"].ok and "only from" in out["refused"].reason
    assert out["ack"].state is AlertState.ACKNOWLEDGED
    assert [(t.action, t.by) for t in out["history"]] == [(Action.ACKNOWLEDGE, "officer1")]


def test_concurrent_actions_give_one_transition(make_site: Any) -> None:
    config = load_config(make_site().path)

    async def run() -> tuple[list[Any], list[Any]]:
        store = make_store(config)
        lifecycle = LifecycleStore(store.redis, 3600, store.prefix)
        try:
            await lifecycle.open("race-alert-01")
            outcomes = await asyncio.gather(
                *(lifecycle.apply("race-alert-01", Action.DISPATCH, f"officer{i}", Role.OFFICER) for i in range(5)),
                lifecycle.apply("race-alert-01", Action.FALSE_ALARM, "officer9", Role.OFFICER, "cat on the bonnet"),
            )
            return list(outcomes), await lifecycle.history("race-alert-01")
        finally:
            await store.redis.aclose()

    outcomes, history = asyncio.run(run())
    assert len(history) == 1 or (len(history) == 2 and history[0].to_state is AlertState.DISPATCHED)
    assert sum(o.changed for o in outcomes) == len(history)
    assert all(o.ok or o.reason for o in outcomes)

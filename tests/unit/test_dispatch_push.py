"""A dispatch's push to the responder's own ntfy topic, the pure parts: the topic rule, how a topic is shown, the
message with its three one-time step buttons, the note when a responder has no push channel, and the timeline's
words for a step taken from a notification."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from pydantic import ValidationError

from alerts.action_tokens import ActionTokens
from alerts.config import AccountConfig
from alerts.delivery.dispatch import DispatchPush, dispatch_message, masked, new_topic, valid_topic
from alerts.lifecycle import Action
from alerts.models import Severity
from alerts.timeline import Action as TimelineAction
from alerts.timeline import timeline
from tests.alert_builders import alert_event

CONSOLE = "https://console.example.org"
BUTTONS = {a: f"{CONSOLE}/api/act/x/{a.value}-token" for a in (Action.ON_MY_WAY, Action.ON_SCENE, Action.RESOLVE)}


@pytest.mark.parametrize(
    ("topic", "ok"),
    [
        ("guard1-k3XaQ9pLm2Zt", True),
        ("A" * 64, True),
        ("guard1", False),  # guessable: anyone could read a guard's pushes
        ("A" * 65, False),
        ("guard1 k3XaQ9pLm2Zt", False),
        ("guard1/k3XaQ9pLm2Zt", False),  # would be a path on the ntfy server
    ],
)
def test_topic_rule(topic: str, ok: bool) -> None:
    assert valid_topic(topic) is ok
    if not ok:  # the config says the same
        with pytest.raises(ValidationError):
            AccountConfig(username="g", role="guard", password_hash="x", ntfy_topic=topic)  # type: ignore[arg-type]


def test_a_new_topic_is_valid_and_random() -> None:
    topics = {new_topic() for _ in range(20)}
    assert len(topics) == 20 and all(valid_topic(t) and len(t) >= 32 for t in topics)


def test_a_topic_is_shown_masked() -> None:
    shown = masked("guard1-k3XaQ9pLm2Zt")
    assert shown == "guar…(19)" and "k3Xa" not in shown


def test_the_dispatch_message_has_the_page_the_clip_and_three_one_time_steps() -> None:
    red = alert_event("disp-alert-01", severity=Severity.RED)
    body = dispatch_message(red, "guard1-k3XaQ9pLm2Zt", CONSOLE + "/", BUTTONS)
    assert body["topic"] == "guard1-k3XaQ9pLm2Zt" and body["priority"] == 5
    assert body["title"] == "Dispatched to you: [RED] Person at parked car"
    assert body["click"] == f"{CONSOLE}/alerts/disp-alert-01"
    assert body["message"].splitlines() == [
        "Person #1 at parked vehicle #2",
        f"Alert: {CONSOLE}/alerts/disp-alert-01",
        f"Clip: {CONSOLE}/api/alerts/disp-alert-01/clip",
    ]
    actions = body["actions"]
    assert len(actions) == 3, "ntfy shows three buttons at most"
    assert [(a["label"], a["method"], a["url"], a["clear"]) for a in actions] == [
        ("On my way", "POST", BUTTONS[Action.ON_MY_WAY], False),
        ("On scene", "POST", BUTTONS[Action.ON_SCENE], False),
        ("Resolved", "POST", BUTTONS[Action.RESOLVE], True),  # the last step clears the notification
    ]


def test_without_a_console_url_the_message_has_no_links() -> None:
    body = dispatch_message(alert_event("disp-alert-02"), "guard1-k3XaQ9pLm2Zt", None, {})
    assert "actions" not in body and "click" not in body and body["message"] == "Person #1 at parked vehicle #2"


def test_a_responder_with_no_channel_is_reported_not_silent() -> None:
    tokens = ActionTokens(cast(Any, None), 60)  # never used: nothing is sent
    alone = DispatchPush(tokens)
    report = asyncio.run(alone.send(alert_event("disp-alert-03"), "guard1", None))
    assert (report.reached, report.note) == ([], "guard1 has no push channel")
    with_topic = asyncio.run(alone.send(alert_event("disp-alert-03"), "guard1", "guard1-k3XaQ9pLm2Zt"))
    assert with_topic.note is not None and "alerts.ntfy is not configured" in with_topic.note
    assert "k3Xa" not in with_topic.note


def test_the_timeline_says_a_step_came_from_a_notification() -> None:
    step = TimelineAction(1_795_000_100.0, "guard1", "dispatched", "en_route", via="ntfy button")
    (entry,) = timeline([], [step], "UTC")
    assert entry.text == "dispatched → en_route by guard1 via ntfy button"

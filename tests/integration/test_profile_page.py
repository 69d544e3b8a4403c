"""A responder's own ntfy topic in a real browser: guard1 makes one on their profile page, the officer dispatches
an alert to them from the feed (the list shows guard1's channel), the card says where the push went, and the
local receiver standing in for the ntfy server got it on guard1's topic. Headless Debian Chromium, Playwright."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from pathlib import Path
from typing import Any

from playwright.sync_api import expect, sync_playwright

from alerts.config import ConsoleConfig
from alerts.console.auth import ConsoleAuth, hash_password
from alerts.lifecycle import LifecycleStore
from alerts.service import AlertService
from streams.config import load_config
from streams.kafka.broker import free_port
from streams.runtime import make_store
from tests.alert_builders import alert_event
from tests.integration.conftest import SENTINEL
from tests.integration.test_console_browser import ARTIFACTS, CHROMIUM, PHONE, log_in, wait_for_http


async def prepare(config: Any) -> None:
    store = make_store(config)
    try:
        await ConsoleAuth(store.redis, ConsoleConfig(), store.prefix).add_account("guard1", "guard", "gate-house-7")
        await AlertService(store, [], lifecycle=LifecycleStore(store.redis, 3600, store.prefix)).handle(
            alert_event("profile-alert-01")
        )
    finally:
        await store.redis.aclose()


async def topic_of(config: Any, username: str) -> str | None:
    store = make_store(config)
    try:
        account = await ConsoleAuth(store.redis, ConsoleConfig(), store.prefix).account(username)
        return account.ntfy_topic if account else None
    finally:
        await store.redis.aclose()


def test_a_guard_sets_their_topic_and_a_dispatch_reaches_it(make_site: Any, webhook: Any, tmp_path: Path) -> None:
    url, received = webhook
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    officer = {"username": "officer1", "role": "officer", "password_hash": hash_password("night-shift-1")}
    site = make_site(
        alerts={
            "console": {"port": port, "host": "127.0.0.1", "accounts": [officer]},
            "ntfy": {"url": url, "topic": "officers-north", "console_url": base},
        }
    )
    config = load_config(site.path)
    asyncio.run(prepare(config))
    log = (tmp_path / "console.log").open("w")
    console = subprocess.Popen(
        [str(SENTINEL), "run", "--config", str(site.path), "--role", "console"], stdout=log, stderr=subprocess.STDOUT
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        wait_for_http(base + "/login")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            phone = browser.new_page(viewport=PHONE, device_scale_factor=2)  # the guard's
            log_in(phone, base, "guard1", "gate-house-7")
            phone.click("a[href='/profile']")
            expect(phone).to_have_url(base + "/profile")
            expect(phone.locator("#current")).to_contain_text("You have no ntfy topic")
            phone.fill("#topic", "guard1")
            phone.click("#save")  # refused by the browser's own check (too short): nothing saved
            phone.click("#generate")
            topic = phone.input_value("#topic")
            assert re.fullmatch(r"[A-Za-z0-9_-]{32}", topic), topic
            phone.click("#save")
            expect(phone.locator("#result")).to_contain_text(f"Subscribe to {topic} in the ntfy app")
            expect(phone.locator("#current")).to_have_text(f"Your topic: {topic[:4]}…(32) on {url}")
            phone.screenshot(path=str(ARTIFACTS / "profile.png"), full_page=True)

            page = browser.new_context(viewport=PHONE, device_scale_factor=2).new_page()  # the officer's
            log_in(page, base, "officer1", "night-shift-1")
            card = page.locator('article[data-alert-id="profile-alert-01"]')
            dispatch = card.locator('button[data-action="dispatch"]')
            dispatch.click()
            expect(card.locator("select.responder option[value='guard1']")).to_have_text("guard1 (guard) · ntfy")
            card.locator("select.responder").select_option("guard1")
            dispatch.click()
            expect(card.locator(".state")).to_have_text("dispatched")
            expect(card.locator(".push-note")).to_have_text("pushed to guard1 by ntfy")
            browser.close()
    finally:
        console.terminate()
        console.wait(timeout=30)
        log.close()
    assert asyncio.run(topic_of(config, "guard1")) == topic
    pushes = [json.loads(body) for _, body in received]
    assert [p["topic"] for p in pushes] == [topic], "the dispatch, on guard1's own topic"
    assert pushes[0]["title"].startswith("Dispatched to you: ") and len(pushes[0]["actions"]) == 3
    assert topic not in (tmp_path / "console.log").read_text(), "the topic is never logged"

"""The devices page in a real browser: cameras and terminals as the liveness in Redis has them (written through
the same classes the receiver and the devices stage use), with their state, frame rate and last-heard time.
Headless Debian Chromium driven by Playwright; a screenshot goes to artifacts/console/."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect, sync_playwright

from alerts.console.auth import hash_password
from alerts.device_liveness import DeviceLiveness, DeviceSeen
from streams.config import load_config
from streams.kafka.broker import free_port
from streams.runtime import make_store
from tests.integration.conftest import SENTINEL
from tests.integration.test_console_browser import ARTIFACTS, CHROMIUM, PHONE, log_in, wait_for_http


async def record(config: Any) -> None:
    store = make_store(config)
    liveness = DeviceLiveness(store.redis, store.prefix)
    now = time.time()
    await liveness.put(DeviceSeen("row-a", now - 2, "frame", now - 2, "camera", 4.9, "ok"))
    await liveness.put(DeviceSeen("row-b", now - 3, "frame", now - 3, "camera", 5.0, "covered"))
    await liveness.mark("gate2-term", now - 40, "heartbeat")
    await liveness.put(DeviceSeen("lobby-panel", now - 900, "never heard", None, "terminal", None, "silent"))
    await store.redis.aclose()


def test_devices_page_lists_cameras_and_terminals(make_site: Any, tmp_path: Path) -> None:
    port = free_port()
    account = {"username": "officer1", "role": "officer", "password_hash": hash_password("night-shift-1")}
    site = make_site(alerts={"console": {"port": port, "host": "127.0.0.1", "accounts": [account]}})
    asyncio.run(record(load_config(site.path)))
    log = (tmp_path / "console.log").open("w")
    console = subprocess.Popen(
        [str(SENTINEL), "run", "--config", str(site.path), "--role", "console"], stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        wait_for_http(base + "/login")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport=PHONE, device_scale_factor=2)
            log_in(page, base, "officer1", "night-shift-1")
            page.click("a[href='/devices']")
            expect(page).to_have_url(base + "/devices")
            rows = page.locator("#rows tr")
            expect(rows).to_have_count(4)
            expect(page.locator("#empty")).to_be_hidden()
            covered = page.locator("tr[data-device='row-b']")
            expect(covered.locator("td").nth(4)).to_have_text("covered")
            expect(covered.locator("td").nth(3)).to_have_text("5.0 fps")
            expect(page.locator("tr[data-device='gate2-term'] td").nth(2)).to_contain_text("heartbeat")
            expect(page.locator("tr[data-device='lobby-panel'] td").nth(4)).to_have_text("silent")
            page.screenshot(path=str(ARTIFACTS / "devices.png"), full_page=True)
            browser.close()
    finally:
        console.terminate()
        console.wait(timeout=30)
        log.close()

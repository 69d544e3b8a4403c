"""The officer console in a real browser: log in, see an alert arrive live with its image, acknowledge it,
reload and find the state kept. Headless Debian Chromium driven by Playwright; a screenshot is saved to
artifacts/console/ for whoever reads the CI output.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

from playwright.sync_api import Page, expect, sync_playwright

from alerts.console.auth import hash_password
from streams.kafka.broker import free_port
from tests.integration.conftest import SENTINEL, virat_tracks

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "console"
PHONE = {"width": 412, "height": 915}


def wait_for_http(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            urlopen(url, timeout=1)  # noqa: S310 - a local test URL
            return
        except URLError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout_s:.0f} s")


def replay_virat(site: Any, tmp_path: Path) -> str:
    out = tmp_path / "alerts.jsonl"
    command = [str(SENTINEL), "replay-tracks", str(virat_tracks(tmp_path)), "--config", str(site.path)]
    subprocess.run([*command, "--out", str(out), "--no-progress"], check=True, capture_output=True, timeout=300)
    alerts = [json.loads(line) for line in out.read_text().splitlines()]
    return next(a["alert_id"] for a in alerts if a["phase"] == "start")


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(base + "/")
    expect(page).to_have_url(base + "/login?next=/")
    page.fill("#username", username)
    page.fill("#password", "wrong")
    page.click("#login-button")
    expect(page.locator("#login-error")).to_contain_text("wrong user name or password")
    page.fill("#password", password)
    page.click("#login-button")
    expect(page).to_have_url(base + "/")
    expect(page.locator("#connection")).to_have_text("live", timeout=15_000)


def test_alert_appears_live_and_acknowledgement_survives_reload(make_site: Any, tmp_path: Path) -> None:
    port = free_port()
    account = {"username": "officer1", "role": "officer", "password_hash": hash_password("night-shift-1")}
    site = make_site(
        alerts={"console": {"port": port, "host": "127.0.0.1", "accounts": [account]}},
        cameras=[{"id": "virat-0503", "zone": "Car park row B"}],
    )
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
            expect(page.locator("#empty")).to_be_visible()
            worker = page.evaluate(
                "() => Promise.race([navigator.serviceWorker.ready.then(r => r.active ? r.active.scriptURL : null),"
                " new Promise(done => setTimeout(() => done(null), 10000))])"
            )
            assert worker == base + "/sw.js", "installable: the service worker is active"
            manifest = page.request.get(base + "/manifest.webmanifest")
            assert manifest.ok and manifest.json()["display"] == "standalone"

            alert_id = replay_virat(site, tmp_path)  # raises the VIRAT loitering alert, from another process
            card = page.locator(f'article[data-alert-id="{alert_id}"]')
            expect(card).to_be_visible(timeout=20_000)  # arrived over the live stream, no reload
            expect(card.locator(".state")).to_have_text("new")
            expect(card.locator(".meta").first).to_contain_text("Car park row B · camera virat-0503")
            image = card.locator("img")
            expect(image).to_have_js_property("complete", True)
            assert image.evaluate("img => img.naturalWidth") > 300, "the annotated snapshot should have loaded"
            page.screenshot(path=str(ARTIFACTS / "feed-new-alert.png"), full_page=True)

            card.locator('button[data-action="acknowledge"]').click()
            expect(card.locator(".state")).to_have_text("acknowledged")
            page.reload()
            card = page.locator(f'article[data-alert-id="{alert_id}"]')
            expect(card.locator(".state")).to_have_text("acknowledged")
            expect(card.locator('button[data-action="acknowledge"]')).to_have_count(0)

            card.locator("a").click()  # the alert page: timeline with the transition and who made it
            expect(page.locator("#timeline")).to_contain_text("new → acknowledged by officer1")
            page.screenshot(path=str(ARTIFACTS / "alert-page.png"), full_page=True)

            snapshot = page.request.get(f"{base}/api/alerts/{alert_id}/snapshot")
            assert snapshot.status == 200 and snapshot.headers["content-type"] == "image/jpeg"
            browser.close()
        anonymous = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"{base}/api/alerts/{alert_id}/snapshot"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert anonymous.stdout == "401", "snapshots are for logged-in users only"
    finally:
        console.terminate()
        console.wait(timeout=20)
        log.close()
    assert console.returncode == 0, (tmp_path / "console.log").read_text()[-3000:]

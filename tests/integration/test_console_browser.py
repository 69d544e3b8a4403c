"""The officer console in a real browser: log in, see an alert arrive live with its image, acknowledge it,
reload and find the state kept. Headless Debian Chromium driven by Playwright; a screenshot is saved to
artifacts/console/ for whoever reads the CI output.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

import cv2
import redis.asyncio as aioredis
from playwright.sync_api import Page, expect, sync_playwright

from alerts.config import ClipConfig
from alerts.console.auth import hash_password
from alerts.evidence.clip import encode_objects
from alerts.evidence.clip_maker import ClipMaker
from alerts.models import AlertEvent
from alerts.store import AlertStore
from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject
from streams.kafka.broker import free_port
from tests.integration.conftest import CLIPS, REDIS_URL, SENTINEL, virat_tracks

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


async def _clip_from_shared_frames(key_prefix: str, alert_id: str) -> dict[str, object] | None:
    """The VIRAT car-park video is not shared, only its boxes: keep real frames of a shared parked-cars clip as the
    evidence frames of the alert's window (its boxes on them), then build the clip as the delivery stage does."""
    store = AlertStore(aioredis.from_url(REDIS_URL), 3600, 0, 100, prefix=key_prefix)
    try:
        event = await store.get(alert_id)
        assert isinstance(event, AlertEvent)
        objects = [
            TrackedObject(
                track_id=event.person_track_id,
                cls=ObjectClass.PERSON,
                box=Box(**_xyxy(event.person_box)),
                confidence=0.9,
            ),
            TrackedObject(
                track_id=event.vehicle_track_id,
                cls=ObjectClass.CAR,
                box=Box(**_xyxy(event.vehicle_box)),
                confidence=0.9,
            ),
        ]
        capture = cv2.VideoCapture(str(CLIPS / "residential_street_parked_cars.mp4"))
        ts, seq = event.started_at - 10, 0
        while ts <= event.ts:
            ok, image = capture.read()
            if not ok:
                capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                continue
            if 3.0 < ts - event.started_at < 5.0:  # two seconds the buffer lost: a gap in the clip, not an error
                ts, seq = ts + 0.2, seq + 1
                continue
            image = cv2.resize(image, (event.frame_width, event.frame_height))
            jpeg = cv2.imencode(".jpg", image)[1].tobytes()
            await store.put_frame(
                event.camera_id, event.stream_id, 10_000 + seq, jpeg, 600, ts=ts, boxes=encode_objects(objects)
            )
            ts, seq = ts + 0.2, seq + 1
        capture.release()
        return await ClipMaker(store, ClipConfig()).make(event)
    finally:
        await store.redis.aclose()


async def _put_live(key_prefix: str, camera_id: str, frame_index: int, ts: float) -> None:
    """What the detect stage keeps for the look-in: a real frame of a shared clip and its boxes."""
    store = AlertStore(aioredis.from_url(REDIS_URL), 3600, 0, 100, prefix=key_prefix)
    try:
        capture = cv2.VideoCapture(str(CLIPS / "residential_street_parked_cars.mp4"))
        capture.set(cv2.CAP_PROP_POS_FRAMES, frame_index)
        ok, image = capture.read()
        capture.release()
        assert ok
        person = TrackedObject(
            track_id=3, cls=ObjectClass.PERSON, box=Box(x1=400, y1=200, x2=460, y2=380), confidence=0.9
        )
        jpeg = cv2.imencode(".jpg", cv2.resize(image, (1280, 720)))[1].tobytes()
        await store.put_live(camera_id, jpeg, ts, encode_objects([person]))
    finally:
        await store.redis.aclose()


def _xyxy(box: tuple[float, float, float, float]) -> dict[str, float]:
    return {"x1": box[0], "y1": box[1], "x2": box[2], "y2": box[3]}


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
    guard = {"username": "guard1", "role": "guard", "password_hash": hash_password("gate-house-7")}
    site = make_site(
        alerts={"console": {"port": port, "host": "127.0.0.1", "accounts": [account, guard]}},
        risk={"timezone": "Asia/Shanghai"},
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

            with ThreadPoolExecutor(1) as thread:  # Playwright's sync API holds this thread's event loop
                info = thread.submit(asyncio.run, _clip_from_shared_frames(site.key_prefix, alert_id)).result()
            assert info is not None and info["frames"] and len(info["gaps"]) == 1, info
            card.locator("a").click()  # the alert page: timeline with the transition and who made it
            expect(page.locator("#timeline")).to_contain_text("new → acknowledged by officer1")
            expect(page.locator("#timeline")).to_contain_text("[replay] Alert (")  # a track replay, marked
            expect(page.locator("#timeline li").first).to_contain_text(" CST — ")  # in the site's zone
            expect(card.locator(".badge.replay")).to_be_visible()
            video = page.locator("#clip")
            expect(video).to_be_visible(timeout=15_000)
            expect(page.locator("#clip-status")).to_contain_text("1 gap(s)")
            page.wait_for_function("() => document.getElementById('clip').duration > 0", timeout=15_000)
            page.evaluate("() => document.getElementById('clip').play()")
            page.wait_for_function("() => document.getElementById('clip').currentTime > 0.5", timeout=15_000)
            live = page.locator("#live")
            expect(page.locator("#live-status")).to_contain_text("No live view")  # the camera sends nothing yet
            with ThreadPoolExecutor(1) as thread:
                thread.submit(asyncio.run, _put_live(site.key_prefix, "virat-0503", 10, 1_700_000_000.5)).result()
                expect(live).to_have_attribute("data-captured-at", "1700000000.5", timeout=10_000)
                thread.submit(asyncio.run, _put_live(site.key_prefix, "virat-0503", 40, 1_700_000_001.5)).result()
                expect(live).to_have_attribute("data-captured-at", "1700000001.5", timeout=10_000)  # it updates
            expect(page.locator("#live-status")).to_contain_text("Live · captured")
            assert live.evaluate("img => img.naturalWidth") == 854, "the frame, scaled for phones"
            duration = video.evaluate("v => v.duration")
            assert duration > 20, f"from 10 s before the incident to the alert: {duration}"
            page.screenshot(path=str(ARTIFACTS / "alert-page.png"), full_page=True)

            dispatch = card.locator('button[data-action="dispatch"]')
            dispatch.click()  # first press: choose the responder
            card.locator("select.responder").select_option("guard1")
            dispatch.click()
            expect(card.locator(".state")).to_have_text("dispatched")
            expect(card.locator(".push-note")).to_have_text("guard1 has no push channel")  # not silent
            expect(page.locator("#timeline")).to_contain_text("acknowledged → dispatched by officer1 to guard1")
            phone = browser.new_context(viewport=PHONE, device_scale_factor=2).new_page()  # the guard's phone
            log_in(phone, base, "guard1", "gate-house-7")
            phone.goto(f"{base}/alerts/{alert_id}")
            guard_card = phone.locator(f'article[data-alert-id="{alert_id}"]')
            expect(guard_card.locator('button[data-action="acknowledge"]')).to_have_count(0)  # responders do not triage
            guard_card.locator('button[data-action="on_my_way"]').click()
            expect(guard_card.locator(".state")).to_have_text("en_route")
            guard_card.locator('button[data-action="on_scene"]').click()
            expect(guard_card.locator(".state")).to_have_text("on_scene")
            phone.screenshot(path=str(ARTIFACTS / "guard-on-scene.png"), full_page=True)
            expect(card.locator(".state")).to_have_text("on_scene")  # the officer's page follows live
            expect(page.locator("#timeline")).to_contain_text("en_route → on_scene by guard1")
            page.goto(f"{base}/response-times")
            row = page.locator("#responses tbody tr", has_text="guard1")
            expect(row).to_have_count(1)
            expect(row.locator("td").nth(5)).not_to_have_text("–")  # on scene: measured
            page.screenshot(path=str(ARTIFACTS / "response-times.png"), full_page=True)

            snapshot = page.request.get(f"{base}/api/alerts/{alert_id}/snapshot")
            assert snapshot.status == 200 and snapshot.headers["content-type"] == "image/jpeg"
            part = page.request.get(f"{base}/api/alerts/{alert_id}/clip", headers={"Range": "bytes=0-99"})
            assert part.status == 206 and len(part.body()) == 100 and part.headers["content-type"] == "video/mp4"
            browser.close()
        anonymous = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"{base}/api/alerts/{alert_id}/snapshot"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert anonymous.stdout == "401", "snapshots are for logged-in users only"
        anonymous_clip = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"{base}/api/alerts/{alert_id}/clip"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert anonymous_clip.stdout == "401", "clips too"
        anonymous_live = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"{base}/api/cameras/virat-0503/live"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert anonymous_live.stdout == "401", "and the live view"
    finally:
        console.terminate()
        console.wait(timeout=20)
        log.close()
    assert console.returncode == 0, (tmp_path / "console.log").read_text()[-3000:]

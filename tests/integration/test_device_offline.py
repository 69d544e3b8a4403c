"""A live camera whose ingest stops: the devices worker raises `camera_offline` within offline_after_s + 5 s
(on the real broker and Redis, from a real clip played as a live source), and ends it when frames come back.
A configured terminal that never sends a heartbeat is reported silent by the same worker. The console's devices
API shows both with their state."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from alerts.config import AccountConfig, ConsoleConfig
from alerts.console.app import Console
from alerts.console.auth import ConsoleAuth, hash_password
from alerts.lifecycle import LifecycleStore
from alerts.models import AlertPhase, DeviceAlertEvent
from alerts.store import AlertStore
from streams.app import Role
from streams.config import SiteConfig, load_config
from streams.live import run_live_ingest
from streams.ops.observability import Metrics
from streams.runtime import WorkerRuntime
from tests.integration.conftest import CLIPS

OFFLINE_AFTER_S = 8.0
SLACK_S = 5.0


async def device_alert(store: AlertStore, rule: str, phase: AlertPhase, timeout_s: float) -> DeviceAlertEvent | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for alert_id in await store.list_ids(limit=50):
            for step in await store.timeline(alert_id):
                if isinstance(step, DeviceAlertEvent) and step.rule == rule and step.phase is phase:
                    return step
        await asyncio.sleep(0.25)
    return None


async def scenario(config: SiteConfig, bootstrap: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with WorkerRuntime(config, bootstrap, frozenset({Role.DEVICES, Role.DELIVER})) as runtime:
        assert runtime.services is not None and runtime.services.devices is not None
        stage, store = runtime.services.devices, runtime.services.store
        assert store is not None
        stop = asyncio.Event()
        ingest = asyncio.create_task(run_live_ingest(config, bootstrap, stop, Metrics()))
        deadline = time.monotonic() + 60
        while stage.offline.last_seen("row-a") is None and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        out["frames_arrived"] = stage.offline.last_seen("row-a") is not None
        await asyncio.sleep(2)
        stop.set()
        await ingest
        out["stopped_at"] = time.time()
        out["start"] = await device_alert(store, "camera_offline", AlertPhase.START, OFFLINE_AFTER_S + 30)
        out["seen_at"] = time.time()
        out["terminal"] = await device_alert(store, "terminal_silent", AlertPhase.START, 20)
        out["devices while offline"] = await devices_page(store)
        out["snapshot"] = await store.get_snapshot(out["start"].alert_id) if out["start"] else None
        again = asyncio.Event()
        ingest = asyncio.create_task(run_live_ingest(config, bootstrap, again, Metrics()))
        out["end"] = await device_alert(store, "camera_offline", AlertPhase.END, 60)
        again.set()
        await ingest
    return out


async def devices_page(store: AlertStore) -> dict[str, dict[str, Any]]:
    """What an officer's browser gets from /api/devices, through a logged-in session."""
    account = AccountConfig(username="o1", role="officer", password_hash=hash_password("pw"))  # type: ignore[arg-type]
    auth = ConsoleAuth(store.redis, ConsoleConfig(accounts=(account,)), store.prefix)
    console = Console(store, LifecycleStore(store.redis, 3600, store.prefix), auth)
    port = await console.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            base = f"http://127.0.0.1:{port}"
            async with http.post(base + "/api/login", json={"username": "o1", "password": "pw"}) as reply:
                assert reply.status == 200
            async with http.get(base + "/api/devices") as reply:
                rows = (await reply.json())["devices"]
            async with http.get(base + "/devices") as reply:
                assert reply.status == 200 and "devices.js" in await reply.text()
    finally:
        await console.stop()
    return {row["device_id"]: row for row in rows}


def test_camera_offline_when_ingest_stops(make_site: Any) -> None:
    site = make_site(
        cameras=[{"id": "row-a", "source": str(CLIPS / "residential_street_parked_cars.mp4"), "fps": 4}],
        devices={"offline_after_s": OFFLINE_AFTER_S, "check_every_s": 0.5, "silent_after_s": 3},
        access={"doors": [{"id": "gate-2"}], "devices": [{"id": "gate2-term", "doors": {"1": "gate-2"}}]},
    )
    out = asyncio.run(scenario(load_config(site.path), site.bootstrap))
    assert out["frames_arrived"], "no live frame reached the devices worker"
    start = out["start"]
    assert start is not None, "no camera_offline alert after ingest stopped"
    assert start.device_id == "row-a" and start.severity.value in ("yellow", "red")
    assert start.started_at <= out["stopped_at"]  # the last frame, not the moment it was noticed
    took = out["seen_at"] - out["stopped_at"]
    print(f"camera_offline stored {took:.1f} s after ingest stopped (offline_after_s {OFFLINE_AFTER_S:.0f})")
    assert took <= OFFLINE_AFTER_S + SLACK_S
    assert out["end"] is not None and out["end"].alert_id == start.alert_id
    terminal = out["terminal"]
    assert terminal is not None and (terminal.device_kind, terminal.device_id) == ("terminal", "gate2-term")
    assert out["snapshot"]  # the alert went through delivery: stored, with its evidence card
    devices = out["devices while offline"]
    camera, gate = devices["row-a"], devices["gate2-term"]
    assert (camera["device_kind"], camera["state"], gate["state"]) == ("camera", "offline", "silent")
    assert camera["fps"] is not None and 2.0 <= camera["fps"] <= 6.0  # sampled at 4 fps

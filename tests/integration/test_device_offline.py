"""A live camera whose ingest stops: the devices worker raises `camera_offline` within offline_after_s + 5 s
(on the real broker and Redis, from a real clip played as a live source), and ends it when frames come back.
A configured terminal that never sends a heartbeat is reported silent by the same worker."""

from __future__ import annotations

import asyncio
import time
from typing import Any

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
        again = asyncio.Event()
        ingest = asyncio.create_task(run_live_ingest(config, bootstrap, again, Metrics()))
        out["end"] = await device_alert(store, "camera_offline", AlertPhase.END, 60)
        again.set()
        await ingest
    return out


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
    assert out["seen_at"] - out["stopped_at"] <= OFFLINE_AFTER_S + SLACK_S
    assert out["end"] is not None and out["end"].alert_id == start.alert_id
    terminal = out["terminal"]
    assert terminal is not None and (terminal.device_kind, terminal.device_id) == ("terminal", "gate2-term")

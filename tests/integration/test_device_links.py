"""A camera covered at night next to a risky door entry: the device alert's tier comes from the configured tier,
the night hours and the entry linked through the real entry ledger in Redis (real frames of a shared clip)."""

from __future__ import annotations

import asyncio
from typing import Any

from alerts.access.entry_ledger import EntryLedger
from alerts.models import AlertPhase, LinkedEntry
from streams.config import SiteConfig, load_config
from streams.runtime import make_store
from streams.stages.device_alerts import DeviceLinker
from streams.stages.devices import DeviceHealthStage
from tests.access_builders import NIGHT_1AM
from tests.stages.test_device_health import clip_images, covered, looped, run

ACCESS = {"doors": [{"id": "gate-2", "name": "Gate 2", "leads_to": ["cam-1"]}]}


def covered_at_night(config: SiteConfig, red_entry: bool) -> Any:
    store = make_store(config)
    ledger = EntryLedger(store.redis, 3600, store.prefix)

    async def add_entry() -> None:
        entry = LinkedEntry(
            event_id="night-entry-1",
            door_id="gate-2",
            door_name="Gate 2",
            ts=NIGHT_1AM + 5,
            result="granted",
            risk_tier="red",
            reason="watch list (red): Suspect A",
        )
        await ledger.add(config.site_id, entry)
        await store.redis.aclose()

    if red_entry:
        asyncio.run(add_entry())
    images = clip_images("residential_street_parked_cars.mp4")
    reader = make_store(config)  # its own client: each `run` has its own event loop
    stage = DeviceHealthStage(config, None, DeviceLinker(EntryLedger(reader.redis, 3600, reader.prefix), config))
    run(stage, looped(images, 15), base_ts=NIGHT_1AM)
    alerts = run(stage, looped([covered(i) for i in images], 15), start_seq=1000, base_ts=NIGHT_1AM)
    return [a for a in alerts if a.phase is AlertPhase.START]


def test_covered_at_night_next_to_a_red_entry_is_red(make_site: Any) -> None:
    quiet = {"severity": {"camera_covered": "green"}}
    config = load_config(make_site(access=ACCESS, devices=quiet).path)
    (night,) = covered_at_night(config, red_entry=False)
    assert (night.rule, night.severity.value, night.linked_entries) == ("camera_covered", "yellow", ())
    assert any("night" in reason for reason in night.risk_reasons)

    config = load_config(make_site(access=ACCESS, devices=quiet).path)
    (linked,) = covered_at_night(config, red_entry=True)
    assert linked.severity.value == "red" and linked.risk_tier == "red"
    assert [e.event_id for e in linked.linked_entries] == ["night-entry-1"]
    assert "Suspect A" in linked.message

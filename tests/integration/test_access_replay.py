"""A door log and a track recording replayed together through the real broker and Redis: the combined alert.

The door log says a watch-listed person came in at gate 2 five minutes before the VIRAT car-park recording
shows a person lingering at a parked car; gate 2 leads to that camera, so the car-park alert is raised to red
and carries the entry. A control site without the watch-list entry gets the plain yellow alert.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from alerts.access.entry_ledger import EntryLedger
from alerts.models import AlertEvent, AlertPhase, LinkedEntry
from streams.cli.main import main
from streams.config import load_config
from streams.records import DeadLetter
from streams.runtime import make_store
from streams.stages.linking import AlertLinker
from tests.access_builders import HikvisionEventBuilder
from tests.alert_builders import alert_event
from tests.integration.conftest import VIRAT
from tests.integration.test_access_receiver import read_topic

CAMERA = "virat-0503"
RECORDING_STARTS = "2026-11-24T01:03:00+08:00"
ACCESS = {
    "pseudonym_key": "replay-key",
    "doors": [
        {"id": "gate-2", "name": "Gate 2", "leads_to": [CAMERA]},
        {"id": "lobby", "name": "Lobby", "leads_to": []},
    ],
    "devices": [
        {"id": "gate2-term", "ip_address": "192.168.10.21", "doors": {"1": "gate-2"}, "clock_offset_s": 40},
        {"id": "lobby-panel", "doors": {"1": "lobby"}},
    ],
}


def tracks_from_01_03(tmp_path: Path) -> Path:
    """The VIRAT ground truth as tracks of camera virat-0503, recorded from 01:03 local time, at 10 fps."""
    args = ["import", "virat", str(VIRAT), "--fps", "30", "--camera-id", CAMERA, "--start-time", RECORDING_STARTS]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    path = tmp_path / "virat-0103.tracks.jsonl"
    path.write_text("".join(line + "\n" for i, line in enumerate(result.output.splitlines()) if i % 3 == 0))
    return path


def lobby(when: str, result: str, serial: str) -> str:
    return json.dumps(
        {"format": "generic", "device_id": "lobby-panel", "time": when, "result": result, "serial": serial}
    )


def door_log(tmp_path: Path) -> Path:
    suspect = HikvisionEventBuilder(when="2026-11-24T00:58:44+08:00", serial=8811)  # 00:58:04 by the true clock
    lines = [
        json.dumps(HikvisionEventBuilder(when="2026-11-24T00:41:12+08:00", serial=8810, employee="R-1").payload()),
        lobby("2026-11-24T00:50:03+08:00", "stranger", "L-1"),
        lobby("2026-11-24T00:51:40+08:00", "stranger", "L-2"),
        lobby("2026-11-24T00:52:05+08:00", "denied", "L-3"),
        json.dumps(suspect.payload()),
        json.dumps(suspect.payload()),  # the terminal re-sent it
        '{"format": "generic", "device_id": "lobby-panel", "time": "not a time"}',
        json.dumps(HikvisionEventBuilder(ip="10.6.6.6", serial=1).payload()),  # unknown device
        "{truncated",
    ]
    path = tmp_path / "door-log.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def replay(site: Any, tracks: Path, log: Path) -> list[dict[str, Any]]:
    out = site.tmp_path / f"{site.prefix}-alerts.jsonl"
    site.cli("replay-tracks", str(tracks), "--access-events", str(log), "--out", str(out), "--no-progress")
    return [json.loads(line) for line in out.read_text().splitlines()]


def starts(alerts: list[dict[str, Any]], rule: str) -> list[dict[str, Any]]:
    return [a for a in alerts if a["rule"] == rule and a["phase"] == "start"]


def test_door_log_and_tracks_give_the_combined_alert(make_site: Any, tmp_path: Path) -> None:
    tracks, log = tracks_from_01_03(tmp_path), door_log(tmp_path)
    site = make_site(access=ACCESS)
    site.cli(
        "watchlist",
        "add",
        "--employee-no",
        "E-7731",
        "--label",
        "Suspect A (case 113)",
        "--tier",
        "red",
        "--by",
        "test",
    )
    alerts = replay(site, tracks, log)

    (watch,) = starts(alerts, "watchlist_entry")
    assert (watch["door_id"], watch["severity"]) == ("gate-2", "red")
    assert watch["ts"] == datetime.fromisoformat("2026-11-24T00:58:04+08:00").timestamp()  # device clock 40 s fast
    (burst,) = starts(alerts, "refused_attempts")
    assert (burst["door_id"], burst["attempts"]) == ("lobby", 3)

    car_park = [a for a in alerts if a["record_type"] == "alert_event"]
    assert starts(car_park, "loitering"), "the VIRAT recording should raise a loitering alert"
    for alert in car_park:
        assert alert["severity"] == "red" and alert["risk_tier"] == "red"
        (linked,) = alert["linked_entries"]  # gate 2 only: the lobby does not lead to this camera
        assert linked["door_id"] == "gate-2" and linked["person_label"] == "Suspect A (case 113)"
        assert "Suspect A (case 113)" in alert["message"] and "00:58" in alert["message"]

    letters = [
        DeadLetter.model_validate_json(v)
        for v in asyncio.run(read_topic(site.bootstrap, f"{site.prefix}.deadletter", 3))
    ]
    reasons = " | ".join(letter.reason for letter in letters)
    assert "door-log.jsonl:7" in reasons and "not registered" in reasons and "not valid JSON" in reasons

    control = make_site(access=ACCESS)  # same recordings, nobody on the watch list
    first = replay(control, tracks, log)
    plain = [a for a in first if a["record_type"] == "alert_event"]
    assert starts(plain, "loitering") and all(a["severity"] == "yellow" and not a["linked_entries"] for a in plain)
    again = replay(control, tracks, log)  # the same log again: its door state starts afresh, same alerts
    assert not starts(again, "watchlist_entry")
    assert [a["alert_id"] for a in starts(again, "refused_attempts")] == [
        a["alert_id"] for a in starts(first, "refused_attempts")
    ]


def test_late_entry_relinks_an_open_alert(make_site: Any) -> None:
    """Backward link: an open alert already stored gets an update step when a risky entry before it arrives."""
    config = load_config(make_site(access=ACCESS).path)
    started = 1_795_000_000.0
    alert = alert_event("a" * 20, started_at=started, camera_id=CAMERA, site_id=config.site_id)
    entry = LinkedEntry(
        event_id="e1",
        door_id="gate-2",
        door_name="Gate 2",
        ts=started - 300,
        result="granted",
        risk_tier="yellow",
        reason="night entry at Gate 2 by a non-resident (visitor)",
    )

    async def run() -> list[AlertEvent]:
        store = make_store(config)
        try:
            await store.record(alert)
            linker = AlertLinker(EntryLedger(store.redis, 3600, store.prefix), config)
            assert await linker.relink_open_alerts(entry, store) == []  # not in the ledger yet: nothing to link
            await linker.ledger.add(config.site_id, entry)
            return await linker.relink_open_alerts(entry, store)
        finally:
            await store.redis.aclose()

    (update,) = asyncio.run(run())
    assert update.alert_id == alert.alert_id and update.phase is AlertPhase.UPDATE
    assert update.severity.value == "red" and update.linked_entries == (
        entry,
    )  # 45 + 30 for a linked yellow entry: red
    assert update.event_id != alert.event_id and "linked:" in update.message

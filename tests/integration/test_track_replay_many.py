"""replay-tracks of a folder: every recording through one broker and one worker, each as if replayed alone."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.conftest import virat_tracks
from tests.integration.test_track_replay import NO_CONTINUITY, RULE


def test_a_folder_of_recordings_replays_each_as_alone(make_site, tmp_path: Path) -> None:
    single = virat_tracks(tmp_path, every=6)
    folder = tmp_path / "recordings"
    folder.mkdir()
    for camera in ("gate-a", "gate-b"):
        text = single.read_text().replace('"camera_id":"virat-0503"', f'"camera_id":"{camera}"')
        (folder / f"{camera}.jsonl").write_text(text)
    (folder / "notes.txt").write_text("not a recording, so not replayed")
    site = make_site(loitering=RULE, continuity=NO_CONTINUITY)
    alone, _ = site.replay("tracks", single)
    assert any(a["phase"] == "start" for a in alone), "the recording raises an alert on its own"

    out = tmp_path / "all-alerts.jsonl"
    result = site.cli("replay-tracks", str(folder), "--out", str(out), "--no-progress")
    summaries = [json.loads(line) for line in result.output.splitlines() if line.startswith('{"stream_id"')]
    alerts = [json.loads(line) for line in out.read_text().splitlines()]

    assert len({s["stream_id"] for s in summaries}) == 2, f"one summary per recording: {summaries}"
    pairs = sorted((a["phase"], a["person_track_id"], a["vehicle_track_id"]) for a in alone)
    for camera in ("gate-a", "gate-b"):
        own = [a for a in alerts if a["camera_id"] == camera]
        assert sorted((a["phase"], a["person_track_id"], a["vehicle_track_id"]) for a in own) == pairs, camera


def test_a_folder_without_recordings_is_a_clear_error(make_site, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = make_site().cli("replay-tracks", str(empty), expect_exit=1)
    assert "no *.jsonl track files" in result.output

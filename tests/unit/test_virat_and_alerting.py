"""VIRAT import and the incident -> alert mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.behaviour.incidents import IncidentPhase, LoiterIncidentEvent
from detectors.geometry import Box
from detectors.types import ObjectClass
from streams.evaluation.virat import ViratFormatError, virat_track_frames
from streams.stages.assembly import alert_from_incident


def test_virat_lines_become_track_frames(tmp_path: Path) -> None:
    path = tmp_path / "x.viratdata.objects.txt"
    path.write_text("1 3 10 100 200 20 50 1\n2 3 10 300 300 80 40 2\n1 3 12 104 200 20 50 1\n3 1 11 5 5 9 9 5\n")
    frames = list(virat_track_frames(path, "cam", fps=30))
    assert [f.seq for f in frames] == [10, 11, 12], "every frame in range, empty ones too"
    assert frames[0].ts == pytest.approx(10 / 30)
    assert {o.cls for o in frames[0].objects} == {ObjectClass.PERSON, ObjectClass.CAR}
    assert frames[0].objects[0].box == Box(x1=100, y1=200, x2=120, y2=250)
    assert frames[1].objects == [], "bikes (type 5) are not tracked classes"


def test_virat_malformed_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("1 3 10 100 200 20 50 1\n1 2 3\n")
    with pytest.raises(ViratFormatError, match=r"bad.txt:2: expected 8 fields"):
        list(virat_track_frames(path, "cam", fps=30, strict=True))
    assert len(list(virat_track_frames(path, "cam", fps=30))) == 1, "by default the line is skipped and counted"


def _incident(phase: IncidentPhase, ts: float) -> LoiterIncidentEvent:
    return LoiterIncidentEvent(
        phase=phase,
        camera_id="c",
        stream_id="s",
        person_track_id=1,
        vehicle_track_id=2,
        person_box=Box(x1=0, y1=0, x2=1, y2=2),
        vehicle_box=Box(x1=0, y1=0, x2=4, y2=2),
        started_at=100.0,
        ts=ts,
        dwell_s=ts - 100,
        frame_seq=3,
        frame_width=10,
        frame_height=10,
    )


def test_alert_id_is_stable_across_steps_and_event_ids_differ() -> None:
    start = alert_from_incident("site", _incident(IncidentPhase.START, 130.0))
    update = alert_from_incident("site", _incident(IncidentPhase.UPDATE, 145.0))
    assert start.alert_id == update.alert_id
    assert start.event_id != update.event_id
    assert alert_from_incident("other-site", _incident(IncidentPhase.START, 130.0)).alert_id != start.alert_id

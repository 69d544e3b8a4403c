"""`sentinel demo`, the README's first command after set-up, end to end on the shared data: a parked-car clip
(no alert is right), the VIRAT car park's ground truth (one stay at a car) and the person held at a parked car
(one). It broke once unnoticed when `replay-tracks` came to take several files (the demo passed one path)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from streams.cli.main import main
from tests.integration.conftest import SHARED


def test_the_demo_runs_its_three_parts_and_alerts_where_it_should(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "demo"
    args = ["demo", "--out-dir", str(out), "--shared", str(SHARED), "--no-console"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    cells = [[c.strip() for c in line.split("|")[1:3]] for line in result.output.splitlines() if line.startswith("| ")]
    rows = {part: int(alerts) for part, alerts in cells if alerts.isdigit()}
    assert rows == {
        "1 parked cars (video)": 0,
        "2 VIRAT car park (tracks)": 1,
        "3 person at parked car (video, synthetic)": 1,
    }, result.output
    assert len(list((out / "snapshots").glob("*.jpg"))) == 2

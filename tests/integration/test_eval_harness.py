"""The evaluation harness on a small generated set: labels are written, the rules meet the issue's targets on
them, negatives stay quiet, and the command reports its inputs' problems clearly."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from streams.cli.main import main
from tests.integration.conftest import VIRAT


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def row(report: str, rule: str) -> list[str]:
    line = next(line for line in report.splitlines() if line.startswith(f"| {rule} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_generated_scenarios_meet_the_targets(tmp_path: Path) -> None:
    out = tmp_path / "scenarios"
    run("scenarios", "--out", str(out), "--count", "15", "--seed", "11", "--virat", str(VIRAT))
    labels = [json.loads(p.read_text()) for p in sorted(out.glob("*.labels.json"))]
    assert len(labels) == 16 and {label["kind"] for label in labels} == {
        "casing",
        "dwell",
        "pass_by",
        "glance",
        "owner",
        "normal",
    }
    casing = next(label for label in labels if label["kind"] == "casing")
    assert casing["expect"] == ["casing"] and casing["persons"] and casing["start"] < casing["end"]

    report = run("eval", "--scenarios", str(out))
    _, labelled, detected, recall, false_alerts, precision, duplicates, _ = row(report, "casing")
    assert int(labelled) == 3 and float(recall) >= 0.95 and int(duplicates) == 0
    _, labelled, detected, recall, false_alerts, precision, duplicates, _ = row(report, "loitering")
    assert int(labelled) == 3 and float(recall) >= 0.9 and int(duplicates) == 0
    assert float(re.search(r"all rules: precision ([\d.]+)", report).group(1)) >= 0.9  # type: ignore[union-attr]
    assert re.search(r"normal behaviour .*: 0 alert\(s\)", report), report
    assert "the scene's own activity:" in report


def test_eval_explains_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "--scenarios", str(tmp_path)])
    assert result.exit_code == 1 and "no *.labels.json scenarios" in result.output
    (tmp_path / "x.labels.json").write_text("{}")
    result = CliRunner().invoke(main, ["eval", "--scenarios", str(tmp_path)])
    assert result.exit_code == 1 and "no x.tracks.jsonl beside it" in result.output

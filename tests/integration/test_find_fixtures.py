"""`sentinel find-fixtures` on the real VIRAT plaza clip with the far-field camera section: the lamp post that
camera confirms as a person (docs/people-detection.md) is suggested as a mask, with its snapshot; the walkers are
not."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from detectors.behaviour.zones import contains
from streams.cli.eval_tracks import far_field
from streams.cli.main import main
from tests.integration.conftest import SHARED

CLIP = SHARED / "clips" / "VIRAT_S_010005_04_000299_000323.mp4"
LAMP_POST = ((0.05, 0.55), (0.11, 0.55), (0.11, 0.65), (0.05, 0.65))  # where its foot point is (measured)


def test_the_lamp_post_is_suggested_as_a_mask_and_no_walker_is(tmp_path: Path, shared_data: Path) -> None:
    models = SHARED / "models"
    section = far_field(
        models / "person-vehicle-bike-detection-2003" / "FP16-INT8",
        models / "pedestrian-detection-adas-0002" / "FP16-INT8",
    )
    site = {"cameras": [{"id": "plaza", "detector": section.model_dump(mode="json", exclude_none=True)}]}
    config = tmp_path / "site.yaml"
    config.write_text(yaml.safe_dump(site))
    snapshots = tmp_path / "snapshots"
    args = ["find-fixtures", "--config", str(config), "--camera", "plaza", "--recording", str(CLIP)]
    result = CliRunner().invoke(main, [*args, "--min-seconds", "5", "--snapshots", str(snapshots)])
    assert result.exit_code == 0, result.output
    suggested = yaml.safe_load(result.output[result.output.index("cameras:") :].split("\n\n")[0])
    (masks,) = [f["mask"] for f in suggested["cameras"][0]["filters"]]
    feet = [row.split("|")[3] for row in result.output.splitlines() if row.startswith("| 1 ")]
    assert len(masks) == 1, result.output  # the lamp post only: the walkers move, the bushes stand 4 s
    (foot,) = [tuple(float(v) for v in f.strip(" ()").split(",")) for f in feet]
    assert contains(LAMP_POST, foot), result.output
    assert contains([tuple(p) for p in masks[0]], foot)
    assert (snapshots / "fixture-1.jpg").stat().st_size > 1000

"""Real car-park activity (../shared/virat): the rules' alerts scored against VIRAT's own events, with floors
under the issue's targets (0 red, 0 casing, owner stays alerted <= 20 %, unexplained stays alerted >= 90 %, at most
10 pushed alerts per camera-hour). Fails, never skips, when the shared data is missing."""

from __future__ import annotations

from pathlib import Path

from streams.config import SiteConfig
from streams.evaluation.virat_eval import evaluate_dir, total

VIRAT = Path(__file__).resolve().parents[2].parent / "shared" / "virat"


def test_owners_are_not_suspects_on_real_car_park_activity() -> None:
    scores = evaluate_dir(SiteConfig(), VIRAT)
    all_ = total(scores)
    assert len(scores) >= 12 and all_.minutes > 45
    assert all_.red == 0 and all_.casing == 0, all_.messages
    assert all_.owner_stays >= 5 and all_.owner_alerted <= 0.2 * all_.owner_stays
    assert all_.other_stays >= 3 and all_.other_alerted >= 0.9 * all_.other_stays
    assert all_.per_hour <= 10.0, f"busy daytime activity: at most 10 alerts per camera-hour ({all_.messages})"
    assert all_.skipped_lines > 0, "the malformed release files are imported, their bad lines counted"

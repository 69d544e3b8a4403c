"""A forced alert on real video: a person held beside a parked car in a composite of the shared clips."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np

from tests.integration.conftest import person_at_car_clip


def test_person_held_at_parked_car_raises_one_alert_with_real_snapshot(make_site, tmp_path: Path) -> None:
    clip = person_at_car_clip(tmp_path)
    site = make_site(loitering={"dwell_s": 8})
    snapshots = tmp_path / "snaps"
    alerts, summary = site.replay("video", clip.path, "--camera-id", "composite", "--snapshots", str(snapshots))
    starts = [a for a in alerts if a["phase"] == "start"]
    scale = 1280 / 1920  # frames go on the topic at the default detect width (camera max_width 1280)
    at_the_car = [
        a
        for a in starts
        if abs(a["vehicle_box"][0] - clip.car_box.x1 * scale) < 15
        and abs(a["person_box"][3] - clip.person_box.y2 * scale) < 15
    ]
    assert len(at_the_car) == 1, f"one alert for the person at the pasted car: {starts}"
    alert = at_the_car[0]
    assert 8.0 <= alert["dwell_s"] < 9.0
    assert (alert["frame_width"], alert["frame_height"]) == (1280, 720), "boxes in the pixels of the frames sent"
    assert [a["phase"] for a in alerts if a["alert_id"] == alert["alert_id"]][-1] == "end"

    paced, _ = site.replay("video", clip.path, "--camera-id", "composite", "--speed", "4")
    assert paced == alerts, "the same alerts at 4x real time as flat out: rules run on capture time"

    image = cv2.imdecode(np.frombuffer((snapshots / f"{alert['alert_id']}.jpg").read_bytes(), np.uint8), 1)
    assert image.shape[:2] == (720, 1280)
    assert float(image.std()) > 30, "the snapshot is the camera frame, not a blank canvas"


def test_clip_of_the_alert_is_built_from_the_frames_that_went_through_the_broker(make_site, tmp_path: Path) -> None:
    clip = person_at_car_clip(tmp_path)
    site = make_site(loitering={"dwell_s": 8}, alerts={"clip": {"before_s": 4, "fps": 5}})
    alerts, _ = site.replay("video", clip.path, "--camera-id", "composite")
    start = next(a for a in alerts if a["phase"] == "start" and abs(a["dwell_s"] - 8) < 1)
    out = tmp_path / "evidence.mp4"
    printed = site.cli("alerts", "clip", start["alert_id"], "-o", str(out)).output
    assert str(out) in printed
    clip_ttl = site.redis.ttl(f"{site.key_prefix}clip:{start['alert_id']}")
    snapshot_ttl = site.redis.ttl(f"{site.key_prefix}snapshot:{start['alert_id']}")
    assert abs(clip_ttl - snapshot_ttl) < 120 and clip_ttl > 3600, "kept as long as the snapshot (alerts.retention_s)"
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        decoded = list(container.decode(stream))
    frames = [f.to_ndarray(format="bgr24") for f in decoded]
    seconds = [float(f.pts * f.time_base) for f in decoded]
    assert seconds[-1] - seconds[0] >= 8.0, "from before the incident began to (at least) the alert start"
    assert len(frames) >= 0.8 * 5 * 8, "about 5 fps while the person was at the car"
    assert frames[0].shape[:2] == (480, 854)
    red = [(f[:, :, 2] > 200) & (f[:, :, 1] < 60) & (f[:, :, 0] < 60) for f in frames]
    assert all(mask.sum() > 50 for mask in red), "the person is boxed (red) on every frame"
    assert float(frames[len(frames) // 2].std()) > 30, "real camera frames, not a blank canvas"

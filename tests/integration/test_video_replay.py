"""Video -> Kafka -> YOLO + ByteTrack -> rules -> alerts, on the shared clips through the real broker and Redis."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import CLIPS


def test_parked_cars_clip_raises_no_alert_and_replays_identically(make_site) -> None:
    site = make_site()
    clip = CLIPS / "residential_street_parked_cars.mp4"
    alerts, summary = site.replay("video", clip, "--camera-id", "res-1")
    assert alerts == []
    assert summary["frames"] >= 50, "11 s sampled at 5 fps"
    assert summary["tracks"].get("car", 0) >= 3, f"the parked and passing cars are detected: {summary}"
    again, summary_again = site.replay("video", clip, "--camera-id", "res-1")
    assert again == alerts and summary_again["tracks"] == summary["tracks"], "same input, same result"


def test_street_clip_gives_person_tracks(make_site) -> None:
    site = make_site()
    alerts, summary = site.replay("video", CLIPS / "street_people_1080p.mp4", "--camera-id", "street-1")
    assert summary["tracks"].get("person", 0) >= 8, f"10-20 walkers in view: {summary}"
    assert alerts == [], "no cars in this street, so nobody can loiter at one"


def test_video_that_cannot_be_opened_is_a_clear_error(make_site, tmp_path: Path) -> None:
    site = make_site()
    fake = tmp_path / "broken.mp4"
    fake.write_bytes(b"this is not a video")
    result = site.cli("replay", str(fake), "--camera-id", "x", "--no-progress", expect_exit=1)
    assert "cannot open video source" in result.output
    missing = site.cli("replay", str(tmp_path / "nope.mp4"), "--camera-id", "x", expect_exit=1)
    assert "does not exist" in missing.output


def test_config_with_wrong_type_names_the_key(make_site) -> None:
    site = make_site(loitering={"dwell_s": "half a minute"})
    result = site.cli("replay", str(CLIPS / "residential_street_parked_cars.mp4"), "--camera-id", "x", expect_exit=1)
    assert "loitering.dwell_s" in result.output


def test_unreachable_redis_says_what_to_start(make_site, tmp_path: Path) -> None:
    site = make_site(redis={"url": "redis://127.0.0.1:1/0"})
    tracks = tmp_path / "t.jsonl"
    tracks.write_text('{"camera_id": "c", "stream_id": "s", "seq": 0, "ts": 0, "width": 10, "height": 10}\n')
    result = site.cli("replay-tracks", str(tracks), "--no-progress", expect_exit=1)
    assert "Redis is not reachable at redis://127.0.0.1:1/0" in result.output
    assert "redis-server" in result.output

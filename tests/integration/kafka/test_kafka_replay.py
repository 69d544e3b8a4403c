"""Replays on a 3-node Apache Kafka cluster give the alerts they give on the embedded broker."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.conftest import person_at_car_clip, virat_tracks


def test_virat_replay_alerts_match_the_embedded_broker(make_site, kafka_site, tmp_path: Path, webhook) -> None:
    url, received = webhook
    tracks = virat_tracks(tmp_path)
    rule = {"loitering": {"dwell_s": 8.0}}  # several incidents, not only the default's one
    on_tansu, _ = make_site(**rule).replay("tracks", tracks)
    site = kafka_site(**rule, alerts={"webhooks": [{"url": url, "secret": "s3cret", "backoff_s": 0.05}]})
    on_kafka, summary = site.replay("tracks", tracks)

    assert len({a["alert_id"] for a in on_kafka}) >= 2, "the input raises several incidents"
    assert on_kafka == on_tansu, "the same alert events, in the same order"
    notified = sorted(json.loads(body)["event_id"] for _, body in received)
    assert notified == sorted(e["event_id"] for e in on_kafka), "each event notified once"


def test_video_replay_alerts_match_the_embedded_broker(make_site, kafka_site, tmp_path: Path) -> None:
    """The composite (a real person held at a real parked car) through the model, tracker and rules."""
    clip = person_at_car_clip(tmp_path)
    rule = {"loitering": {"dwell_s": 8}}
    on_tansu, _ = make_site(**rule).replay("video", clip.path, "--camera-id", "composite")
    on_kafka, _ = kafka_site(**rule).replay("video", clip.path, "--camera-id", "composite")
    assert any(a["phase"] == "start" for a in on_kafka), "the person at the car raises an alert"
    assert on_kafka == on_tansu, "the same alert events, in the same order"

"""Two detect+rules+deliver workers in one group on Apache Kafka; one is killed with SIGKILL mid-stream.

Live cameras (a looping clip through ingest, one camera per partition) and the VIRAT track camera run at
once. The worker holding the track camera's partition is killed between notifications while the alerts are
coming: its partitions move to the other worker, no alert is lost and none is notified twice (counted at the
webhook receiver, compared with the embedded broker's replay of the same tracks). The kill is repeated on the
live camera's owner to measure how long the camera goes unprocessed; the figures are printed (run with -s)
and written beside the logs, not asserted on: speed is for bench scripts.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from streams.sources import track_records
from tests.integration.conftest import CLIPS, virat_tracks, wait_until
from tests.integration.kafka.workers import (
    WORKER_ROLES,
    Process,
    content,
    events,
    kill_between_notifications,
    owner_of,
    partition_of,
    percentile,
    produce,
    split_between_alert_steps,
    stream_done,
    write_figures,
)

CAMERAS = ("row-a", "row-b")
TRACK_CAMERA, TRACK_STREAM = "virat-0503", "failover-tracks"
KILLS = 3


def test_sigkill_of_a_worker_moves_its_partitions_and_loses_no_alert(
    make_site, kafka_site, webhook, tmp_path: Path
) -> None:
    assert {partition_of(c, 2) for c in CAMERAS} == {0, 1}, "one live camera per partition"
    watched = next(c for c in CAMERAS if partition_of(c, 2) == partition_of(TRACK_CAMERA, 2))
    url, received = webhook
    rule = {"loitering": {"dwell_s": 5.0}}
    tracks = virat_tracks(tmp_path)
    reference, _ = make_site(**rule).replay("tracks", tracks)  # the embedded broker, uninterrupted

    clip = str(CLIPS / "residential_street_parked_cars.mp4")
    site = kafka_site(
        **rule,
        kafka={"partitions": 2},
        cameras=[{"id": c, "source": clip, "fps": 2, "max_width": 640} for c in CAMERAS],
        alerts={"webhooks": [{"url": url, "secret": "s3cret", "backoff_s": 0.05}]},
    )
    ingest = Process(site, ("--role", "ingest"), "ingest").start()
    workers = [Process(site, WORKER_ROLES, f"worker-{i}").start() for i in range(2)]
    failover_s: list[float] = []
    try:
        assert wait_until(lambda: all(w.processed() for w in workers), 240), workers[0].tail()
        # The track camera's records go in two parts, split between two of its alert steps, so the kill lands
        # among its alerts however fast the workers are: steps of the first part are notified before the kill,
        # steps of the second part after it.
        first, rest = split_between_alert_steps(track_records(tracks, TRACK_STREAM), reference)
        produce(site.bootstrap, f"{site.prefix}.tracks", first)
        assert wait_until(lambda: any(e["camera_id"] == TRACK_CAMERA for e in events(received)), 120)

        for kill in range(KILLS):
            victim = owner_of(watched, workers)
            assert victim is not None, f"one worker holds {watched}: {[w.processed() for w in workers]}"
            survivor = next(w for w in workers if w is not victim)
            if kill == 0:
                kill_between_notifications(victim, site, received)  # mid-way through the track camera's alerts
                delivered_before = len(received)
                produce(site.bootstrap, f"{site.prefix}.tracks", rest)
            else:
                victim.kill()
            killed_at, seen = time.monotonic(), survivor.processed().get(watched, 0.0)
            resumed = lambda w=survivor, n=seen: w.processed().get(watched, 0.0) > n  # noqa: E731
            assert wait_until(resumed, 90), survivor.tail()
            failover_s.append(time.monotonic() - killed_at)
            victim.start()
            if kill == 0:
                assert wait_until(lambda: stream_done(site, TRACK_STREAM), 180), survivor.tail()
            assert wait_until(lambda: all(owner_of(c, workers) for c in CAMERAS), 120), victim.tail()
        wait_until(lambda: False, timeout_s=2)  # the last deliveries land
    finally:
        for process in (*workers, ingest):
            process.stop()

    figures = {"kills": KILLS, "failover_s": failover_s, "p50_s": percentile(failover_s, 0.5), "max_s": max(failover_s)}
    write_figures(tmp_path / "failover.json", figures)
    print(f"\nworker SIGKILL on Kafka: camera {watched} processed again after {figures}")
    notified = events(received)
    assert reference and 0 < delivered_before < len(notified), "the kill landed among the track camera's alerts"
    repeats = {event_id: n for event_id, n in Counter(e["event_id"] for e in notified).items() if n > 1}
    assert not repeats, f"notified twice: {repeats}"
    assert content(notified) == content(reference), "every alert event of the uninterrupted run, none other"

"""Real parts: an embedded Tansu broker for the session, the local Redis, the shared model and clips."""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from click.testing import CliRunner, Result

from detectors.config import OpenVinoModelConfig
from detectors.vision.model import load_detector
from streams.cli.main import main
from streams.evaluation.composite import Composite, compose_person_at_car
from streams.kafka.broker import EmbeddedBroker

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
CLIPS = SHARED / "clips"
VIRAT = SHARED / "tracks" / "VIRAT_S_050301_03_000933_001046.viratdata.objects.txt"
MODEL = SHARED / "models" / "yolo11n_int8_openvino_model"
REDIS_URL = "redis://127.0.0.1:6379/0"
SENTINEL = Path(sys.executable).parent / "sentinel"  # the installed console script, as users run it


def wait_until(check: Callable[[], object], timeout_s: float = 60.0) -> bool:
    """Poll `check` until it is truthy or the time is up; for conditions another process brings about."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    missing = [p for p in (CLIPS, VIRAT, MODEL) if not p.exists()]
    if missing:
        pytest.fail(f"shared data missing (expected beside the checkout): {missing}")
    return SHARED


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as running:
        yield running


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"integration tests need Redis at {REDIS_URL}: {exc}")
    yield client
    client.close()


class Site:
    """One isolated site: own topic prefix, consumer group and Redis key prefix on the shared broker/Redis."""

    def __init__(self, tmp_path: Path, bootstrap: str, client: redis.Redis, overrides: dict[str, Any]) -> None:
        tag = uuid.uuid4().hex[:8]
        self.prefix = f"t{tag}"
        self.key_prefix = f"sentinel-test-{tag}:"
        self.bootstrap = bootstrap
        self.redis = client
        data: dict[str, Any] = {
            "site_id": "test-site",
            "kafka": {
                "bootstrap_servers": bootstrap,
                "topic_prefix": self.prefix,
                "group_id": f"g{tag}",
                "rebalance_timeout_s": 2,
                "session_timeout_s": 10,
                "partitions": 2,
                "replay_static_assignment": True,  # the site's topic prefix is its own: replays skip the group join
            },
            "redis": {"url": REDIS_URL, "key_prefix": self.key_prefix},
            "detector": {"model": {"path": str(MODEL)}},
            "accept_unknown_cameras": True,
            "observability": {"port": 0},  # tests that want the endpoints pick a free port
        }
        for section, values in overrides.items():
            if isinstance(values, dict):
                data.setdefault(section, {}).update(values)
            else:
                data[section] = values
        self.path = tmp_path / f"site-{tag}.yaml"
        self.path.write_text(yaml.safe_dump(data))
        self.tmp_path = tmp_path

    def cli(self, *args: str, expect_exit: int = 0) -> Result:
        result = CliRunner().invoke(main, [*args, "--config", str(self.path)], catch_exceptions=False)
        assert result.exit_code == expect_exit, f"exit {result.exit_code}: {result.output}"
        return result

    def replay(self, kind: str, source: Path, *extra: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        out = self.tmp_path / f"{uuid.uuid4().hex[:6]}-alerts.jsonl"
        command = ["replay", str(source)] if kind == "video" else ["replay-tracks", str(source)]
        result = self.cli(*command, "--out", str(out), "--no-progress", *extra)
        summary = next(json.loads(line) for line in result.output.splitlines() if line.startswith('{"stream_id"'))
        alerts = [json.loads(line) for line in out.read_text().splitlines()]
        return alerts, summary

    def cleanup(self) -> None:
        keys = list(self.redis.scan_iter(match=self.key_prefix + "*", count=1000))
        if keys:
            self.redis.delete(*keys)


@pytest.fixture
def make_site(tmp_path: Path, broker: EmbeddedBroker, redis_client: redis.Redis, shared_data: Path) -> Iterator[Any]:
    sites: list[Site] = []

    def factory(**overrides: Any) -> Site:
        site = Site(tmp_path, broker.bootstrap, redis_client, overrides)
        sites.append(site)
        return site

    yield factory
    for site in sites:
        site.cleanup()


def virat_tracks(tmp_path: Path, every: int = 3) -> Path:
    """The VIRAT ground truth as track JSONL through the real importer, thinned to 30/every fps."""
    result = CliRunner().invoke(main, ["import", "virat", str(VIRAT), "--fps", "30", "--camera-id", "virat-0503"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    path = tmp_path / "virat.tracks.jsonl"
    path.write_text("".join(line + "\n" for i, line in enumerate(lines) if i % every == 0))
    return path


class _Receiver(BaseHTTPRequestHandler):
    """A webhook endpoint: records every POST as (headers with the path under "Path", body)."""

    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(({**dict(self.headers), "Path": self.path}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver.received
    server.shutdown()


def person_at_car_clip(tmp_path: Path, seconds: float = 16, fps: float = 10) -> Composite:
    """The composite of the shared clips (a real person held beside a real parked car), made with the model."""
    return compose_person_at_car(
        tmp_path / "person-at-car.mp4",
        load_detector(OpenVinoModelConfig(path=MODEL)),
        CLIPS / "street_people_1080p.mp4",
        CLIPS / "residential_street_parked_cars.mp4",
        seconds=seconds,
        fps=fps,
    )

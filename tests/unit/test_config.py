"""Config: unknown keys and wrong types are rejected with messages that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kafka:\n  bootstrap_server: x:9092\n", "kafka.bootstrap_server: Extra inputs are not permitted"),
        ("loitering:\n  dwell_s: soon\n", "loitering.dwell_s"),
        ("loitering:\n  dwell_s: -3\n", "greater than 0"),
        ("cameras:\n  - id: a\n  - id: a\n", "listed twice"),
        ("cameras:\n  - id: a\n    fps: 0\n", "cameras.0.fps"),
        ("cameras:\n  - id: a\n    loitering: {dwel_s: 3}\n", "cameras[a].loitering"),
        ("- just\n- a list\n", "top level must be a mapping"),
        ("kafka: [unclosed\n", "not valid YAML"),
        ("detector:\n  model: {type: tensorrt}\n", "detector.model: Input tag 'tensorrt'"),
        ("detector:\n  model: {performance_hint: FAST}\n", "detector.model.openvino.performance_hint"),
        ("detector:\n  model: {type: ultralytics, infer_requests: 2}\n", "ultralytics.infer_requests: Extra inputs"),
        ("kafka: {session_timeout_s: 20}\nalerts: {delivery_claim_s: 15}\n", "longer than kafka.session_timeout_s"),
    ],
)
def test_invalid_configs(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(write(tmp_path, text))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "nope.yaml")


def test_per_camera_override_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(
        tmp_path, "loitering:\n  dwell_s: 40\ncameras:\n  - id: gate\n    loitering: {dwell_s: 20}\n  - id: row-b\n"
    )
    monkeypatch.setenv("SENTINEL_KAFKA__BOOTSTRAP_SERVERS", "kafka-1:9092")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/2")
    config = load_config(path)
    assert config.loiter_for("gate").dwell_s == 20
    assert config.loiter_for("row-b").dwell_s == 40
    assert config.kafka.bootstrap_servers == "kafka-1:9092"
    assert config.redis.url == "redis://cache:6379/2"


def test_shipped_example_config_is_valid() -> None:
    config = load_config(Path(__file__).resolve().parents[2] / "deploy" / "site.example.yaml")
    assert config.cameras, "the example lists cameras"


@pytest.mark.parametrize(
    ("text", "backend", "device"),
    [
        ("{}\n", "openvino", "CPU"),
        ("detector:\n  model: {imgsz: 320}\n", "openvino", "CPU"),
        ("detector:\n  model: {type: ultralytics, path: yolo11n.pt}\n", "ultralytics", "cpu"),
    ],
)
def test_detector_backend_is_chosen_by_type(tmp_path: Path, text: str, backend: str, device: str) -> None:
    model = load_config(write(tmp_path, text)).detector.model
    assert (model.type, model.device) == (backend, device)


def test_the_delivery_claim_outlives_the_group_handing_a_partition_over(tmp_path: Path) -> None:
    """Unset: session + rebalance + 5 s (45 s with the Kafka defaults, 17 s with the test suite's 10 s + 2 s)."""
    assert load_config(write(tmp_path, "site_id: a\n")).delivery_claim_s == 45.0
    text = "kafka: {session_timeout_s: 10, rebalance_timeout_s: 2}\n"
    assert load_config(write(tmp_path, text)).delivery_claim_s == 17.0
    assert load_config(write(tmp_path, text + "alerts: {delivery_claim_s: 60}\n")).delivery_claim_s == 60.0

"""deploy/: the compose file and the Kubernetes manifests parse, hold what they must, and carry valid site configs.

There is no Docker engine or cluster on the development machines, so this is what can be checked here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.app import Role
from streams.config import ObservabilityConfig, config_from_text, load_config
from streams.kafka.cluster import KAFKA_VERSION

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SENTINEL_SERVICES = {
    "ingest": {"ingest"},
    "detect": {"detect"},
    "alerts": {"rules", "deliver", "access", "devices"},
    "console": {"console"},
}


def roles_of(args: list[str]) -> set[str]:
    roles = {args[i + 1] for i, arg in enumerate(args) if arg == "--role"}
    assert roles <= {r.value for r in Role}, roles
    return roles


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict[str, Any]]:
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    docs = [yaml.safe_load((DEPLOY / "k8s" / name).read_text()) for name in kustomization["resources"]]
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in docs}


def test_compose_runs_kafka_in_kraft_mode_and_redis_with_a_password(compose: dict[str, Any]) -> None:
    services = compose["services"]
    kafka = services["kafka"]["environment"]
    assert set(kafka["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}, "KRaft: no ZooKeeper"
    assert "zookeeper" not in services
    assert "--requirepass" in services["redis"]["command"]


def test_compose_splits_the_service_by_role_and_detect_scales(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, roles in SENTINEL_SERVICES.items():
        assert roles_of(services[name]["command"]) == roles
        assert "${REDIS_PASSWORD" in services[name]["environment"]["REDIS_URL"], "Redis AUTH from .env"
    assert "container_name" not in services["detect"], "a fixed name would stop `--scale detect=N`"
    assert services["detect"]["deploy"]["replicas"] >= 1


def test_compose_site_config_is_valid_and_has_room_for_the_detectors(compose: dict[str, Any]) -> None:
    config = load_config(DEPLOY / "site.compose.yaml")
    assert config.kafka.bootstrap_servers == "kafka:9092"
    assert config.kafka.partitions >= compose["services"]["detect"]["deploy"]["replicas"]
    assert config.kafka.idempotent_producers, "the producer settings the Kafka tier tests"


def test_compose_runs_the_kafka_major_version_the_tests_run(compose: dict[str, Any]) -> None:
    image = compose["services"]["kafka"]["image"]
    assert image.split(":")[1].split(".")[0] == KAFKA_VERSION.split(".")[0], image
    assert int(compose["services"]["kafka"]["environment"]["KAFKA_MESSAGE_MAX_BYTES"]) > 16 * 1024 * 1024


def test_example_site_config_is_valid() -> None:
    assert load_config(DEPLOY / "site.example.yaml").cameras


def test_example_access_config_and_door_log_are_valid() -> None:
    from streams.access.door_log import DoorLog

    config = load_config(DEPLOY / "examples" / "site-access.yaml")
    assert config.access.doors and config.access.devices
    log = DoorLog(DEPLOY / "examples" / "door-log.jsonl", config.access, config.site_id, "example")
    assert len(list(log.records())) == log.events + 1 and log.events >= 6 and not log.problems


def test_access_receiver_reachable_in_k8s(manifests: dict[str, dict[str, Any]]) -> None:
    service = manifests["Service/sentinel-access"]["spec"]
    pod = manifests["Deployment/sentinel-alerts"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert service["selector"] == {"app.kubernetes.io/name": "sentinel-alerts"}
    assert {"name": "access", "containerPort": service["ports"][0]["port"]} in container["ports"]


def test_k8s_has_every_part(manifests: dict[str, dict[str, Any]]) -> None:
    expected = {f"Deployment/sentinel-{name}" for name in SENTINEL_SERVICES} | {"Service/sentinel-console"}
    assert expected | {"HorizontalPodAutoscaler/sentinel-detect", "ConfigMap/sentinel-site"} <= set(manifests)


@pytest.mark.parametrize("name", sorted(SENTINEL_SERVICES))
def test_k8s_deployments_have_requests_probes_and_roles(manifests: dict[str, dict[str, Any]], name: str) -> None:
    pod = manifests[f"Deployment/sentinel-{name}"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert roles_of(container["args"]) == SENTINEL_SERVICES[name]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    port = next(p["containerPort"] for p in container["ports"] if p["name"] == "metrics")
    assert port == ObservabilityConfig().port
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"secretRef": {"name": "sentinel-secrets"}} in container["envFrom"]


def test_k8s_site_config_is_valid_with_the_secret_env(
    manifests: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = yaml.safe_load((DEPLOY / "k8s" / "secret.example.yaml").read_text())["stringData"]
    for key, value in secret.items():
        monkeypatch.setenv(key, value)
    config = config_from_text(manifests["ConfigMap/sentinel-site"]["data"]["site.yaml"], "configmap")
    assert config.kafka.security_protocol == "SASL_SSL" and config.kafka.sasl_password is not None
    assert config.kafka.replication_factor == 3 and config.kafka.idempotent_producers
    assert config.redis.url.startswith("rediss://:") and config.alerts.webhooks
    assert config.access.receiver.token is not None and config.access.pseudonym_key is not None
    hpa = manifests["HorizontalPodAutoscaler/sentinel-detect"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "sentinel-detect"
    assert hpa["maxReplicas"] <= config.kafka.partitions, "more detectors than partitions would sit idle"

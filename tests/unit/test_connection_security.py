"""Kafka TLS/SASL and Redis AUTH settings reach every client library, and secrets never reach a log line."""

from __future__ import annotations

import ssl

import faust
import pytest
from pydantic import ValidationError

from streams.config import RedisConfig
from streams.kafka.config import KafkaConfig
from streams.kafka.security import aiokafka_options, faust_credentials, kafka_python_options


def kafka(**overrides: object) -> KafkaConfig:
    return KafkaConfig(**overrides)  # type: ignore[arg-type]


def test_plaintext_by_default() -> None:
    config = kafka()
    assert aiokafka_options(config) == {"security_protocol": "PLAINTEXT"}
    assert kafka_python_options(config) == {"security_protocol": "PLAINTEXT"}
    assert faust_credentials(config) is None


def test_sasl_ssl_reaches_all_three_clients() -> None:
    config = kafka(security_protocol="SASL_SSL", sasl_username="sentinel", sasl_password="s3cret")
    options = aiokafka_options(config)
    assert options["sasl_plain_password"] == "s3cret" and isinstance(options["ssl_context"], ssl.SSLContext)
    assert kafka_python_options(config)["sasl_mechanism"] == "SCRAM-SHA-512"
    credentials = faust_credentials(config)
    assert isinstance(credentials, faust.SASLCredentials) and credentials.ssl_context is not None
    assert "s3cret" not in repr(config), "the password is a SecretStr"


def test_tls_only_gives_faust_ssl_credentials() -> None:
    assert isinstance(faust_credentials(kafka(security_protocol="SSL")), faust.SSLCredentials)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"security_protocol": "SASL_PLAINTEXT", "sasl_username": "u"}, "needs sasl_username and sasl_password"),
        ({"security_protocol": "SSL", "ssl_certfile": "/c.pem"}, "go together"),
        ({"security_protocol": "KERBEROS"}, "security_protocol"),
    ],
)
def test_inconsistent_security_settings_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        kafka(**overrides)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("rediss://:hunter2@redis.local:6380/1", "rediss://:***@redis.local:6380/1"),
        ("redis://sentinel:hunter2@redis.local/0", "redis://sentinel:***@redis.local/0"),
    ],
)
def test_redis_password_is_redacted(url: str, shown: str) -> None:
    assert RedisConfig(url=url).redacted_url == shown

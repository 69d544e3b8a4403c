"""Kafka connection security (TLS, SASL) from the site config, in the shape each client library wants.

Three clients talk to the cluster: Faust (the workers), aiokafka (replay, live ingest, dead-letter tools) and
kafka-python (topic administration). One config section drives all three so they never disagree.
"""

from __future__ import annotations

import ssl
from typing import Any

import faust
from faust.types.auth import CredentialsT, SASLMechanism

from streams.kafka.config import KafkaConfig


def ssl_context(kafka: KafkaConfig) -> ssl.SSLContext | None:
    if "SSL" not in kafka.security_protocol:
        return None
    context = ssl.create_default_context(cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None)
    if kafka.ssl_certfile and kafka.ssl_keyfile:
        context.load_cert_chain(str(kafka.ssl_certfile), str(kafka.ssl_keyfile))
    return context


def _sasl(kafka: KafkaConfig) -> dict[str, Any]:
    if not kafka.security_protocol.startswith("SASL"):
        return {}
    password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
    return {
        "sasl_mechanism": kafka.sasl_mechanism,
        "sasl_plain_username": kafka.sasl_username,
        "sasl_plain_password": password,
    }


def aiokafka_options(kafka: KafkaConfig) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer / AIOKafkaConsumer."""
    options: dict[str, Any] = {"security_protocol": kafka.security_protocol, **_sasl(kafka)}
    context = ssl_context(kafka)
    if context is not None:
        options["ssl_context"] = context
    return options


def kafka_python_options(kafka: KafkaConfig) -> dict[str, Any]:
    """Keyword arguments for kafka-python's KafkaAdminClient."""
    options: dict[str, Any] = {"security_protocol": kafka.security_protocol, **_sasl(kafka)}
    if "SSL" in kafka.security_protocol:
        options["ssl_cafile"] = str(kafka.ssl_cafile) if kafka.ssl_cafile else None
        options["ssl_certfile"] = str(kafka.ssl_certfile) if kafka.ssl_certfile else None
        options["ssl_keyfile"] = str(kafka.ssl_keyfile) if kafka.ssl_keyfile else None
    return options


def faust_credentials(kafka: KafkaConfig) -> CredentialsT | None:
    """Faust's broker_credentials: SASL (optionally over TLS) or TLS alone; None for plaintext."""
    context = ssl_context(kafka)
    if kafka.security_protocol.startswith("SASL"):
        password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else ""
        mechanism = SASLMechanism(kafka.sasl_mechanism)
        return faust.SASLCredentials(
            username=kafka.sasl_username, password=password, mechanism=mechanism, ssl_context=context
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None

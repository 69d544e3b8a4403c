"""Kafka topics, record schemas, camera ingest, replay and record, the Faust app and the CLI."""

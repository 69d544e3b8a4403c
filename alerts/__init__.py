"""Alert lifecycle, storage, dedupe and delivery to officers; no Kafka client is imported here."""

"""Topic creation with kafka-python's admin client, so every topic exists with the configured partitions."""

from __future__ import annotations

import logging

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.config import KafkaConfig
from streams.topics import TopicNames

logger = logging.getLogger(__name__)


def ensure_topics(bootstrap: str, kafka: KafkaConfig) -> TopicNames:
    topics = TopicNames(kafka.topic_prefix)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id=f"{kafka.group_id}-admin")
    try:
        existing = set(admin.list_topics())
        missing = [name for name in topics.all() if name not in existing]
        if missing:
            try:
                admin.create_topics([NewTopic(name, kafka.partitions, kafka.replication_factor) for name in missing])
                logger.info("created topics %s", missing)
            except TopicAlreadyExistsError:
                logger.info("topics %s were created concurrently", missing)
    finally:
        admin.close()
    return topics

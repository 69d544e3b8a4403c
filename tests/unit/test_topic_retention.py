"""Topics are created with retention: frames (most of the bytes) for an hour, the rest for a week."""

from __future__ import annotations

import pytest

from streams.config import KafkaConfig
from streams.kafka.admin import _new_topic
from streams.topics import TopicNames


@pytest.mark.parametrize(
    ("topic", "retention_ms", "segment_ms"),
    [
        ("frames", 3_600_000, 900_000),
        ("tracks", 604_800_000, 151_200_000),
        ("alerts", 604_800_000, 151_200_000),
        ("deadletter", 604_800_000, 151_200_000),
    ],
)
def test_retention_by_topic(topic: str, retention_ms: int, segment_ms: int) -> None:
    topics = TopicNames("site")
    created = _new_topic(getattr(topics, topic), topics, KafkaConfig(partitions=6))
    assert created.topic_configs == {"retention.ms": str(retention_ms), "segment.ms": str(segment_ms)}
    assert created.num_partitions == 6


def test_short_frame_retention_keeps_segments_at_least_a_minute() -> None:
    topics = TopicNames("site")
    created = _new_topic(topics.frames, topics, KafkaConfig(frames_retention_s=60))
    assert created.topic_configs["segment.ms"] == "60000"

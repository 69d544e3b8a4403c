"""Vision and behaviour logic: pure, testable without Kafka or Redis."""

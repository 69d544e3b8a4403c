"""JSON log lines carry the camera and alert ids as fields; library floods stay filtered in both formats."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from streams.ops.logsetup import setup_logging


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield io.StringIO()
    root.handlers[:], root.level = saved[0], saved[1]


def test_json_lines_have_ids_as_fields(captured: io.StringIO) -> None:
    setup_logging(verbose=True, log_format="json", stream=captured)
    logging.getLogger("alerts.service").error(
        "alert %s not delivered to %s", "a1b2", "webhook", extra={"alert_id": "a1b2", "camera_id": "row-b"}
    )
    line = json.loads(captured.getvalue().strip())
    assert line["message"] == "alert a1b2 not delivered to webhook"
    assert (line["level"], line["logger"], line["alert_id"], line["camera_id"]) == (
        "ERROR",
        "alerts.service",
        "a1b2",
        "row-b",
    )
    assert "time" in line


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_repeated_library_lines_are_held_back(captured: io.StringIO, log_format: str) -> None:
    setup_logging(verbose=True, log_format=log_format, stream=captured)  # type: ignore[arg-type]
    for _ in range(50):
        logging.getLogger("aiokafka.conn").error("Unable connect to node with id %s", 1)
    assert len(captured.getvalue().strip().splitlines()) == 1
